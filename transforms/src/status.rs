//! The status words of vbrief.toml `[status]`, as the tables the SQL reads: which service
//! records count (`effective_status`), which statuses are known not to count
//! (`known_pending_status`), and which volunteers are not registered persons
//! (`excluded_volunteer_status`, `excluded_verification_status`).

use domain::config::Config;
use duckdb::Connection;

/// Creates (or replaces) the status-word tables for this connection.
pub fn set_status_words(conn: &Connection, config: &Config) -> duckdb::Result<()> {
    let status = &config.status;
    for (table, words) in [
        ("effective_status", &status.effective),
        ("known_pending_status", &status.not_effective),
        ("excluded_volunteer_status", &status.volunteer_excluded),
        (
            "excluded_verification_status",
            &status.verification_excluded,
        ),
    ] {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {table} (word VARCHAR);"
        ))?;
        let mut insert = conn.prepare(&format!("INSERT INTO {table} VALUES (?)"))?;
        for word in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            insert.execute([word])?;
        }
    }
    Ok(())
}
