//! The status words of vbrief.toml `[status]`, written into the SQL. A SQL file names a list
//! as `@effective_status` (records that count), `@known_pending_status` (words known not to
//! count), `@excluded_volunteer_status` and `@excluded_verification_status` (volunteers who
//! are not registered persons); vbrief replaces each with the quoted words, e.g.
//! `('已生效')`. Literal lists, not tables: DuckDB filters `status IN ('已生效')` while it
//! scans, where a subquery on a table of words became a join over every record.

use domain::config::Config;

/// Never a status word (a list may be configured empty, and `IN ()` is not SQL).
const NO_WORD: &str = "(vbrief: no word)";

/// `sql` with every status-word list written in.
pub fn render(sql: &str, config: &Config) -> String {
    if !sql.contains('@') {
        return sql.to_string();
    }
    let status = &config.status;
    let mut out = sql.to_string();
    for (name, words) in [
        ("@effective_status", &status.effective),
        ("@known_pending_status", &status.not_effective),
        ("@excluded_volunteer_status", &status.volunteer_excluded),
        (
            "@excluded_verification_status",
            &status.verification_excluded,
        ),
    ] {
        if out.contains(name) {
            out = out.replace(name, &quoted_list(words));
        }
    }
    out
}

fn quoted_list(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .map(|w| format!("'{}'", w.replace('\'', "''")))
        .collect();
    if quoted.is_empty() {
        format!("('{NO_WORD}')")
    } else {
        format!("({})", quoted.join(", "))
    }
}

/// transforms/sql/status_words.sql: the status words of the records and their lists.
pub const STATUS_WORDS_SQL: (&str, &str) =
    ("status_words.sql", include_str!("../sql/status_words.sql"));

/// A status word the records carry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusWord {
    pub word: String,
    pub records: i64,
    /// `effective`, `not_effective` or `unknown`.
    pub list: String,
}

/// Every status word in the service records, most frequent first.
pub fn words_in_records(
    engine: &dyn crate::Engine,
    config: &Config,
) -> Result<Vec<StatusWord>, crate::IndicatorError> {
    let (file, sql) = STATUS_WORDS_SQL;
    engine
        .run(file, &render(sql, config))
        .map_err(crate::IndicatorError::Sql)?;
    let conn = engine.fetch(&["status_words"])?;
    let mut stmt =
        conn.prepare("SELECT word, records, list FROM status_words ORDER BY records DESC, word")?;
    let words = stmt.query_map([], |r| {
        Ok(StatusWord {
            word: r.get(0)?,
            records: r.get(1)?,
            list: r.get(2)?,
        })
    })?;
    Ok(words.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_quoted_and_never_empty() {
        let mut config = Config::default();
        config.status.volunteer_excluded = vec![];
        config.status.effective = vec!["已生效".into(), "it's ok".into()];
        let sql = "WHERE s IN @effective_status AND v NOT IN @excluded_volunteer_status";
        assert_eq!(
            render(sql, &config),
            "WHERE s IN ('已生效', 'it''s ok') AND v NOT IN ('(vbrief: no word)')"
        );
    }
}
