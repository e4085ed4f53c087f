//! Staged rows into their staging table as DuckDB data chunks made on the preparing threads.
//!
//! The appender took a record batch on the loading thread (the one that owns the connection),
//! converted it there value by value into a data chunk, then copied the chunk into its own
//! buffer before writing it to the table. Here the preparing threads write their rows straight
//! into data chunks (`batch::StagedColumns`), and the loading thread runs
//! `INSERT INTO stg_<table> SELECT * FROM vbrief_staged(<feed>)`: the table function hands
//! DuckDB the chunks themselves (their vectors are referenced, not copied), so the loading
//! thread writes each value once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::ffi;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};
use duckdb::Connection;

use crate::batch::{StagedChunk, StagingSchema, CHUNK_ROWS};

/// The table function's name (registered on the ingest's connection by [`register`]).
const FUNCTION: &str = "vbrief_staged";

/// Chunks waiting for the next insert of one sheet's stage, and their columns.
struct Feed {
    schema: StagingSchema,
    chunks: VecDeque<StagedChunk>,
}

/// The feeds of the stages open now, by number (a query names its feed by number).
static FEEDS: LazyLock<Mutex<HashMap<u64, Feed>>> = LazyLock::new(Default::default);
static NEXT_FEED: AtomicU64 = AtomicU64::new(0);

/// Makes `vbrief_staged` known to `conn`'s database (registering it again, as every ingest
/// does, is harmless: a test says so).
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_table_function::<StagedScan>(FUNCTION)
}

/// One stage's way into its staging table: chunks are queued, then inserted in order.
pub struct ChunkFeed {
    id: u64,
    table: String,
    queued_rows: usize,
    queued_chunks: usize,
}

/// Rows queued before they are inserted: about a DuckDB row group's worth (each insert is a
/// statement, and what waits is memory; four times as many measured no faster).
pub const INSERT_ROWS: usize = 122_880;

/// Chunks queued before they are inserted, however few rows they hold: a chunk takes its full
/// capacity whatever it holds, and a sheet whose rows are mostly quarantined makes many chunks
/// of a few rows.
const INSERT_CHUNKS: usize = INSERT_ROWS / CHUNK_ROWS;

impl ChunkFeed {
    /// A feed into `table` (a staging table whose columns are `schema`).
    pub fn new(table: String, schema: StagingSchema) -> ChunkFeed {
        let id = NEXT_FEED.fetch_add(1, Ordering::Relaxed);
        feeds().insert(
            id,
            Feed {
                schema,
                chunks: VecDeque::new(),
            },
        );
        ChunkFeed {
            id,
            table,
            queued_rows: 0,
            queued_chunks: 0,
        }
    }

    /// Queues chunks; inserts what is queued once it is enough.
    pub fn push(&mut self, conn: &Connection, chunks: Vec<StagedChunk>) -> duckdb::Result<()> {
        {
            let mut feeds = feeds();
            let feed = feeds
                .get_mut(&self.id)
                .expect("a feed lives as long as its ChunkFeed");
            for chunk in chunks {
                // An empty chunk would end the scan before the chunks after it.
                if chunk.is_empty() {
                    continue;
                }
                assert_eq!(
                    chunk.handle().num_columns(),
                    feed.schema.len(),
                    "a chunk of {} columns for {}",
                    chunk.handle().num_columns(),
                    self.table
                );
                self.queued_rows += chunk.len();
                self.queued_chunks += 1;
                feed.chunks.push_back(chunk);
            }
        }
        if self.queued_rows >= INSERT_ROWS || self.queued_chunks >= INSERT_CHUNKS {
            self.insert(conn)?;
        }
        Ok(())
    }

    /// Inserts every chunk queued, in order.
    pub fn insert(&mut self, conn: &Connection) -> duckdb::Result<()> {
        if self.queued_rows == 0 {
            return Ok(());
        }
        let queued = std::mem::take(&mut self.queued_rows);
        self.queued_chunks = 0;
        let inserted = conn.execute(
            &format!(
                "INSERT INTO {} SELECT * FROM {FUNCTION}({})",
                self.table, self.id
            ),
            [],
        )?;
        assert_eq!(
            inserted, queued,
            "{}: {inserted} rows inserted of {queued} queued",
            self.table
        );
        Ok(())
    }
}

impl Drop for ChunkFeed {
    fn drop(&mut self) {
        feeds().remove(&self.id);
    }
}

fn feeds() -> std::sync::MutexGuard<'static, HashMap<u64, Feed>> {
    FEEDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// `vbrief_staged(feed)`: the chunks queued on a feed, each once, in order.
struct StagedScan;

struct FeedNumber(u64);

impl VTab for StagedScan {
    type InitData = ();
    type BindData = FeedNumber;

    fn bind(bind: &BindInfo) -> Result<FeedNumber, Box<dyn std::error::Error>> {
        let id = bind.get_parameter(0).to_uint64();
        let feeds = feeds();
        let feed = feeds
            .get(&id)
            .ok_or_else(|| format!("{FUNCTION}: no feed {id}"))?;
        for column in feed.schema.iter() {
            bind.add_result_column(&column.name, column.ty.logical_type());
        }
        Ok(FeedNumber(id))
    }

    fn init(_: &InitInfo) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }

    fn func(
        func: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let id = func.get_bind_data().0;
        let next = feeds()
            .get_mut(&id)
            .and_then(|feed| feed.chunks.pop_front());
        let Some(chunk) = next else {
            output.set_len(0);
            return Ok(());
        };
        let (from, to) = (chunk.handle().get_ptr(), output.get_ptr());
        for i in 0..chunk.handle().num_columns() as u64 {
            // SAFETY: both chunks have the staging table's columns (bind declared them from the
            // feed's schema, the chunk was made from it); referencing shares the vector's
            // buffers, which outlive `chunk`.
            unsafe {
                ffi::duckdb_vector_reference_vector(
                    ffi::duckdb_data_chunk_get_vector(to, i),
                    ffi::duckdb_data_chunk_get_vector(from, i),
                );
            }
        }
        output.set_len(chunk.len());
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{table_schema, StagedColumns};

    /// The function is registered once per database, whichever connection asks, as often as
    /// ingests run; a feed's rows reach only its own insert.
    /// A feed dropped (its stage ended) is gone: a query naming it fails rather than reading
    /// another's rows or nothing.
    #[test]
    fn a_dropped_feed_is_gone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE a (n INTEGER);").unwrap();
        register(&conn).unwrap();
        let feed = ChunkFeed::new("a".into(), table_schema(&conn, "a").unwrap());
        let id = feed.id;
        let count = |conn: &Connection| {
            conn.query_row(&format!("SELECT count(*) FROM {FUNCTION}({id})"), [], |r| {
                r.get::<_, i64>(0)
            })
        };
        assert_eq!(count(&conn).unwrap(), 0);
        drop(feed);
        let err = count(&conn).unwrap_err().to_string();
        assert!(err.contains(&format!("no feed {id}")), "{err}");
    }

    /// Chunks of a few rows each (a sheet mostly quarantined) are inserted once there are
    /// enough of them, not held until their rows add up.
    #[test]
    fn many_small_chunks_are_not_held() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE a (n INTEGER);").unwrap();
        register(&conn).unwrap();
        let schema = table_schema(&conn, "a").unwrap();
        let mut feed = ChunkFeed::new("a".into(), schema.clone());
        for n in 0..INSERT_CHUNKS as i32 {
            let mut columns = StagedColumns::new(&schema);
            columns.put(n);
            columns.end_row();
            feed.push(&conn, columns.finish()).unwrap();
        }
        let inserted: i64 = conn
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(inserted, INSERT_CHUNKS as i64);
    }

    #[test]
    fn registering_again_is_harmless_and_feeds_stay_apart() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE a (n INTEGER); CREATE TABLE b (n INTEGER);")
            .unwrap();
        let other = conn.try_clone().unwrap();
        for c in [&conn, &conn, &other] {
            register(c).unwrap();
        }
        let schema = table_schema(&conn, "a").unwrap();
        let chunk = |n: i32| {
            let mut columns = StagedColumns::new(&schema);
            columns.put(n);
            columns.end_row();
            columns.finish()
        };
        let mut a = ChunkFeed::new("a".into(), schema.clone());
        let mut b = ChunkFeed::new("b".into(), schema.clone());
        a.push(&conn, chunk(1)).unwrap();
        b.push(&other, chunk(2)).unwrap();
        a.insert(&conn).unwrap();
        b.insert(&other).unwrap();
        let got: (i32, i32) = conn
            .query_row(
                "SELECT (SELECT sum(n) FROM a), (SELECT sum(n) FROM b)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(got, (1, 2));
    }
}
