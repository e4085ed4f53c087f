//! Prepared rows as DuckDB data chunks of their staging table's column types: each value is
//! written into its column's vector as its row is prepared, on the preparing thread, so the
//! loading thread (the one that owns the connection) only hands whole chunks to DuckDB
//! (`staged_scan`). Appending value by value costs a call (and a few allocations) per value on
//! that one thread; a record batch converted there costs a copy of every text more.

use std::os::raw::c_char;
use std::sync::Arc;

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::{ffi, Connection};

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::identity::Key128;
use crate::kind::SourceKind;
use crate::warehouse::table_of;

/// The form a staging column's values are written in (exactly its SQL type: nothing is cast on
/// the way in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// VARCHAR
    Utf8,
    /// INTEGER
    Int32,
    /// BIGINT
    Int64,
    /// DOUBLE
    Float64,
    /// BOOLEAN
    Boolean,
    /// DATE: days since 1970-01-01
    Date32,
    /// TIMESTAMP: microseconds since 1970-01-01, no time zone
    Timestamp,
    /// UUID: a key's 128 bits
    Uuid,
}

impl ColumnType {
    /// The form of a column of this SQL type (as `DESCRIBE` names it), if it has one here.
    pub fn of_sql(sql_type: &str) -> Option<ColumnType> {
        Some(match sql_type {
            "VARCHAR" => ColumnType::Utf8,
            "INTEGER" => ColumnType::Int32,
            "BIGINT" => ColumnType::Int64,
            "DOUBLE" => ColumnType::Float64,
            "BOOLEAN" => ColumnType::Boolean,
            "DATE" => ColumnType::Date32,
            "TIMESTAMP" => ColumnType::Timestamp,
            "UUID" => ColumnType::Uuid,
            _ => return None,
        })
    }

    /// The bytes of one value in its vector (a text's is DuckDB's 16-byte string header).
    fn width(self) -> usize {
        match self {
            ColumnType::Boolean => 1,
            ColumnType::Int32 | ColumnType::Date32 => 4,
            ColumnType::Int64 | ColumnType::Float64 | ColumnType::Timestamp => 8,
            ColumnType::Utf8 | ColumnType::Uuid => 16,
        }
    }

    pub fn logical_type(self) -> LogicalTypeHandle {
        LogicalTypeHandle::from(match self {
            ColumnType::Utf8 => LogicalTypeId::Varchar,
            ColumnType::Int32 => LogicalTypeId::Integer,
            ColumnType::Int64 => LogicalTypeId::Bigint,
            ColumnType::Float64 => LogicalTypeId::Double,
            ColumnType::Boolean => LogicalTypeId::Boolean,
            ColumnType::Date32 => LogicalTypeId::Date,
            ColumnType::Timestamp => LogicalTypeId::Timestamp,
            ColumnType::Uuid => LogicalTypeId::Uuid,
        })
    }
}

/// One column of a staging table.
#[derive(Debug, Clone)]
pub struct StagingColumn {
    pub name: String,
    pub ty: ColumnType,
}

/// A staging table's columns, in order.
pub type StagingSchema = Arc<[StagingColumn]>;

/// The columns of `kind`'s staging table (the table must exist: `warehouse::create_staging`).
pub fn staging_schema(conn: &Connection, kind: SourceKind) -> duckdb::Result<StagingSchema> {
    table_schema(conn, &format!("stg_{}", table_of(kind)))
}

/// The columns of `table`.
pub fn table_schema(conn: &Connection, table: &str) -> duckdb::Result<StagingSchema> {
    let mut stmt = conn.prepare(&format!("DESCRIBE {table}"))?;
    let columns = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(columns
        .into_iter()
        .map(|(name, sql_type)| {
            let ty = ColumnType::of_sql(&sql_type).unwrap_or_else(|| {
                panic!("staging column {name} has type {sql_type}, which is not staged here")
            });
            StagingColumn { name, ty }
        })
        .collect())
}

/// Rows of one data chunk at most (DuckDB's vector size).
pub const CHUNK_ROWS: usize = 2048;

/// Staged rows as a DuckDB data chunk of their staging table's column types.
pub struct StagedChunk(DataChunkHandle);

// SAFETY: a data chunk made by `duckdb_create_data_chunk` is a plain owned object with no tie to
// the thread that made it; a `StagedChunk` is moved whole from the thread that filled it to the
// one that hands it to DuckDB, never shared.
unsafe impl Send for StagedChunk {}

impl StagedChunk {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn handle(&self) -> &DataChunkHandle {
        &self.0
    }
}

/// The staged rows of one batch, column by column: each value goes into its column's vector
/// as its row is prepared. No row of values is kept and nothing is read twice (a `Vec<Value>`
/// per row, then a pass per column over all rows: ~8% of the preparing threads' samples in the
/// profile of bench/RESULTS.md, "Where a city's time goes").
///
/// A value of another type than its column's is a bug in a row processor: it panics, naming
/// the column, rather than staging something else; so does a row with too few or too many
/// values.
pub struct StagedColumns {
    schema: StagingSchema,
    types: Vec<LogicalTypeHandle>,
    /// Chunks filled.
    full: Vec<StagedChunk>,
    /// The chunk being filled (made when its first value comes).
    current: Option<ChunkWriter>,
    /// The column the next value of the row being written goes to.
    next: usize,
}

/// A chunk being filled and where each of its columns' values go.
struct ChunkWriter {
    chunk: DataChunkHandle,
    columns: Vec<ColumnWriter>,
    /// Rows written whole.
    rows: usize,
}

/// Where one column's values go in the chunk being filled.
pub struct ColumnWriter {
    ty: ColumnType,
    vector: ffi::duckdb_vector,
    data: *mut std::ffi::c_void,
    /// The validity mask, made writable at the column's first NULL.
    validity: *mut u64,
    /// The row being written.
    row: usize,
}

impl StagedColumns {
    /// Empty columns of `schema`'s types.
    pub fn new(schema: &StagingSchema) -> StagedColumns {
        StagedColumns {
            schema: schema.clone(),
            types: schema.iter().map(|c| c.ty.logical_type()).collect(),
            full: Vec::new(),
            current: None,
            next: 0,
        }
    }

    /// Appends the next value of the row being written.
    #[inline]
    pub fn put(&mut self, value: impl Staged) {
        let i = self.next;
        let (schema, types) = (&self.schema, &self.types);
        let writer = self
            .current
            .get_or_insert_with(|| ChunkWriter::new(schema, types));
        let Some(column) = writer.columns.get_mut(i) else {
            panic!(
                "staging row has more values than its {} columns",
                self.schema.len()
            )
        };
        column.row = writer.rows;
        if let Err(value) = value.write_to(column) {
            let c = &self.schema[i];
            panic!("staging column {} ({:?}) given {value:?}", c.name, c.ty)
        }
        self.next += 1;
    }

    /// Ends the row being written: every column has had its value.
    pub fn end_row(&mut self) {
        assert_eq!(
            self.next,
            self.schema.len(),
            "staging row has {} values for {} columns",
            self.next,
            self.schema.len()
        );
        self.next = 0;
        let Some(writer) = self.current.as_mut() else {
            return; // a table without columns: nothing to write
        };
        writer.rows += 1;
        if writer.rows == CHUNK_ROWS {
            let full = self.current.take().expect("just written");
            self.full.push(full.finish());
        }
    }

    /// The rows written, as chunks in order (none when no row was written).
    pub fn finish(mut self) -> Vec<StagedChunk> {
        if let Some(writer) = self.current.take() {
            if writer.rows > 0 {
                self.full.push(writer.finish());
            }
        }
        self.full
    }
}

impl ChunkWriter {
    fn new(schema: &StagingSchema, types: &[LogicalTypeHandle]) -> ChunkWriter {
        // SAFETY: a plain query of a build constant.
        let capacity = unsafe { ffi::duckdb_vector_size() } as usize;
        assert_eq!(capacity, CHUNK_ROWS, "DuckDB's vector size");
        let chunk = DataChunkHandle::new(types);
        let columns = schema
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // SAFETY: the chunk has a vector per column of `schema`; its buffers live as
                // long as the chunk, which this writer owns.
                unsafe {
                    let vector = ffi::duckdb_data_chunk_get_vector(chunk.get_ptr(), i as u64);
                    ColumnWriter {
                        ty: c.ty,
                        vector,
                        data: ffi::duckdb_vector_get_data(vector),
                        validity: std::ptr::null_mut(),
                        row: 0,
                    }
                }
            })
            .collect();
        ChunkWriter {
            chunk,
            columns,
            rows: 0,
        }
    }

    fn finish(self) -> StagedChunk {
        self.chunk.set_len(self.rows);
        StagedChunk(self.chunk)
    }
}

impl ColumnWriter {
    #[inline]
    fn write_null(&mut self) {
        // SAFETY: `row` < CHUNK_ROWS, the vector's capacity; the mask is made writable first.
        unsafe {
            if self.validity.is_null() {
                ffi::duckdb_vector_ensure_validity_writable(self.vector);
                self.validity = ffi::duckdb_vector_get_validity(self.vector);
            }
            ffi::duckdb_validity_set_row_invalid(self.validity, self.row as u64);
        }
    }

    /// Writes a fixed-size value of the column's physical type `T` (the caller has matched
    /// `ty`).
    #[inline]
    fn write<T: Copy>(&mut self, value: T) {
        debug_assert_eq!(std::mem::size_of::<T>(), self.ty.width(), "{:?}", self.ty);
        // SAFETY: `T` has the width of `ty`'s values (the callers' match gives its
        // physical type), and `row` < CHUNK_ROWS, the vector's capacity.
        unsafe { (self.data as *mut T).add(self.row).write(value) }
    }

    #[inline]
    fn write_text(&mut self, text: &str) {
        // SAFETY: a `str` is valid UTF-8 (so DuckDB need not check it again), and `row` <
        // CHUNK_ROWS; DuckDB copies the bytes into the vector's own string heap.
        unsafe {
            ffi::duckdb_unsafe_vector_assign_string_element_len(
                self.vector,
                self.row as u64,
                text.as_ptr() as *const c_char,
                text.len() as u64,
            )
        }
    }
}

/// A value a row processor stages. Each type goes straight into its column's vector: a city
/// stages ~80 M values, and a `Value` (an owned text, an enum matched once more) per value was
/// the largest single item of the preparing threads' profile.
pub trait Staged: Sized + std::fmt::Debug {
    /// Writes into `column`, or gives the value back when the column is of another type.
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self>;
}

impl<T: Staged> Staged for Option<T> {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match self {
            None => {
                column.write_null();
                Ok(())
            }
            Some(v) => v.write_to(column).map_err(Some),
        }
    }
}

/// Texts: borrowed, owned or either.
macro_rules! staged_text {
    ($($t:ty),*) => {$(
        impl Staged for $t {
            #[inline]
            fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
                match column.ty {
                    ColumnType::Utf8 => column.write_text(&self),
                    _ => return Err(self),
                }
                Ok(())
            }
        }
    )*};
}
staged_text!(&str, String, std::borrow::Cow<'_, str>);

impl Staged for i32 {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Int32 => column.write(self),
            ColumnType::Int64 => column.write(i64::from(self)),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for i64 {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Int64 => column.write(self),
            // Counts come as BIGINT; they are capped to fit (`RowContext::count`).
            ColumnType::Int32 if i32::try_from(self).is_ok() => column.write(self as i32),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for f64 {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Float64 => column.write(self),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for bool {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Boolean => column.write(self),
            _ => return Err(self),
        }
        Ok(())
    }
}

/// A key is staged as the UUID whose 32 hex digits are the key's 128 bits, big-endian. DuckDB
/// holds a UUID as a signed 128-bit integer with the top bit flipped (so that UUIDs sort as
/// their text does).
impl Staged for Key128 {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Uuid => {
                let bits = u128::from_be_bytes(self.0);
                column.write(ffi::duckdb_hugeint {
                    lower: bits as u64,
                    upper: ((bits >> 64) as u64 ^ (1 << 63)) as i64,
                });
                Ok(())
            }
            _ => Err(self),
        }
    }
}

/// A date as DuckDB's DATE: days since 1970-01-01, written as is (no text to format here and
/// cast there).
impl Staged for NaiveDate {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        const EPOCH_DAYS_CE: i32 = 719_163;
        match column.ty {
            ColumnType::Date32 => column.write(self.num_days_from_ce() - EPOCH_DAYS_CE),
            _ => return Err(self),
        }
        Ok(())
    }
}

/// A date and time as DuckDB's TIMESTAMP: microseconds since 1970-01-01, no time zone.
impl Staged for NaiveDateTime {
    #[inline]
    fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
        match column.ty {
            ColumnType::Timestamp => column.write(self.and_utc().timestamp_micros()),
            _ => return Err(self),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staged_scan::{self, ChunkFeed};
    use duckdb::types::{TimeUnit, Value};

    /// Rows written as DuckDB values, in the tests.
    impl Staged for Value {
        fn write_to(self, column: &mut ColumnWriter) -> Result<(), Self> {
            match (column.ty, self) {
                (_, Value::Null) => column.write_null(),
                (ColumnType::Utf8, Value::Text(s)) => column.write_text(&s),
                (ColumnType::Date32, Value::Date32(x)) => column.write(x),
                (ColumnType::Timestamp, Value::Timestamp(TimeUnit::Microsecond, x)) => {
                    column.write(x)
                }
                (ColumnType::Uuid, Value::UHugeInt(key)) => {
                    return Key128(key.to_be_bytes())
                        .write_to(column)
                        .map_err(|k| Value::UHugeInt(u128::from_be_bytes(k.0)))
                }
                (_, Value::Int(x)) => return x.write_to(column).map_err(Value::Int),
                (_, Value::BigInt(x)) => return x.write_to(column).map_err(Value::BigInt),
                (_, Value::Double(x)) => return x.write_to(column).map_err(Value::Double),
                (_, Value::Boolean(x)) => return x.write_to(column).map_err(Value::Boolean),
                (_, other) => return Err(other),
            }
            Ok(())
        }
    }

    /// A key as a `Value` (128 bits, big-endian, as `Staged for Key128` stages it), for rows
    /// written as values.
    impl From<Key128> for Value {
        fn from(key: Key128) -> Value {
            Value::UHugeInt(u128::from_be_bytes(key.0))
        }
    }

    /// A schema of columns of these types.
    fn columns(columns: &[(&str, ColumnType)]) -> StagingSchema {
        columns
            .iter()
            .map(|(name, ty)| StagingColumn {
                name: name.to_string(),
                ty: *ty,
            })
            .collect()
    }

    /// Rows of values (in the schema's column order) as chunks.
    fn to_chunks(schema: &StagingSchema, rows: &[Vec<Value>]) -> Vec<StagedChunk> {
        let mut columns = StagedColumns::new(schema);
        for row in rows {
            for value in row {
                columns.put(value.clone());
            }
            columns.end_row();
        }
        columns.finish()
    }

    /// Inserts chunks into `table` as the ingest does (`staged_scan`).
    fn insert(conn: &Connection, table: &str, chunks: Vec<StagedChunk>) {
        staged_scan::register(conn).unwrap();
        let mut feed = ChunkFeed::new(table.to_string(), table_schema(conn, table).unwrap());
        feed.push(conn, chunks).unwrap();
        feed.insert(conn).unwrap();
    }

    /// Every row of `table` in its stored order, as values.
    fn rows_of(conn: &Connection, table: &str) -> Vec<Vec<Value>> {
        let width = table_schema(conn, table).unwrap().len();
        conn.prepare(&format!("SELECT * FROM {table}"))
            .unwrap()
            .query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Dates and times are staged as DuckDB's own DATE and TIMESTAMP, and read back as they
    /// were: before the epoch, on 29 February, at the last microsecond of a day.
    #[test]
    fn dates_and_times_read_back_as_they_were() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (day DATE, seen TIMESTAMP);")
            .unwrap();
        let schema = columns(&[("day", ColumnType::Date32), ("seen", ColumnType::Timestamp)]);
        let cases = [
            ("1969-12-31", "1969-12-31 23:59:59.999999"),
            ("1970-01-01", "1970-01-01 00:00:00"),
            ("2024-02-29", "2024-02-29 08:30:00.5"),
            ("2025-12-31", "2025-12-31 23:59:59.999999"),
        ];
        let mut columns = StagedColumns::new(&schema);
        for (day, at) in cases {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
            let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            columns.put(day);
            columns.put(at);
            columns.end_row();
        }
        columns.put(None::<NaiveDate>);
        columns.put(None::<NaiveDateTime>);
        columns.end_row();
        insert(&conn, "t", columns.finish());
        let got: Vec<(Option<String>, Option<String>)> = conn
            .prepare("SELECT day::VARCHAR, strftime(seen, '%Y-%m-%d %H:%M:%S.%f') FROM t ORDER BY day NULLS LAST")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<(Option<String>, Option<String>)> = cases
            .iter()
            .map(|(day, at)| {
                let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%.f").unwrap();
                (
                    Some(day.to_string()),
                    Some(at.format("%Y-%m-%d %H:%M:%S.%6f").to_string()),
                )
            })
            .chain([(None, None)])
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_batch_appends_exactly_the_rows_it_was_given() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (s VARCHAR, i INTEGER, b BIGINT, d DOUBLE, f BOOLEAN, day DATE);",
        )
        .unwrap();
        let schema = table_schema(&conn, "t").unwrap();
        let rows = vec![
            vec![
                Value::Text("青山区".into()),
                Value::Int(7),
                Value::BigInt(1 << 40),
                Value::Double(2.5),
                Value::Boolean(true),
                Value::Date32(20_089), // 2025-01-01
            ],
            vec![
                Value::Null,
                Value::Null,
                Value::Int(3),
                Value::Null,
                Value::Boolean(false),
                Value::Null,
            ],
        ];
        insert(&conn, "t", to_chunks(&schema, &rows));
        let got: Vec<String> = conn
            .prepare("SELECT concat_ws('|', coalesce(s, '-'), coalesce(i::VARCHAR, '-'), b, coalesce(d::VARCHAR, '-'), f, coalesce(day::VARCHAR, '-')) FROM t ORDER BY b DESC")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "青山区|7|1099511627776|2.5|true|2025-01-01",
                "-|-|3|-|false|-"
            ]
        );
    }

    /// Rows past one chunk (DuckDB's vector size) go on in the next, in order, with each NULL
    /// where it was, and a feed holding more rows than one insert takes inserts them all, in
    /// order.
    #[test]
    fn rows_past_a_chunk_and_past_an_insert_stay_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n BIGINT, s VARCHAR);")
            .unwrap();
        staged_scan::register(&conn).unwrap();
        let schema = table_schema(&conn, "t").unwrap();
        let total = staged_scan::INSERT_ROWS + 3 * CHUNK_ROWS + 5;
        let mut feed = ChunkFeed::new("t".to_string(), schema.clone());
        let mut written = 0;
        while written < total {
            let mut batch = StagedColumns::new(&schema);
            for n in written..(written + 4096).min(total) {
                batch.put(n as i64);
                // Every seventh text is NULL; a long one is kept out of line by DuckDB.
                batch.put((n % 7 != 0).then(|| format!("第{n}行，足够长以免内联存储")));
                batch.end_row();
            }
            written = (written + 4096).min(total);
            let chunks = batch.finish();
            assert!(chunks.iter().all(|c| c.len() <= CHUNK_ROWS));
            feed.push(&conn, chunks).unwrap();
        }
        feed.insert(&conn).unwrap();
        let (rows, in_order, nulls_right): (i64, bool, bool) = conn
            .query_row(
                "SELECT count(*),
                        bool_and(n = rn - 1),
                        bool_and((s IS NULL) = (n % 7 = 0)
                                 AND (s IS NULL OR s = '第' || n || '行，足够长以免内联存储'))
                   FROM (SELECT *, row_number() OVER () AS rn FROM t)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((rows, in_order, nulls_right), (total as i64, true, true));
    }

    #[test]
    fn a_key_is_appended_as_the_uuid_of_its_hex() {
        // Chunks (the staged rows) and the row appender (quarantine, which passes the hex)
        // must give the same UUID for a key, and the UUID's digits must be the key's hex, which
        // is what `migrate_keys` assumes of older warehouses.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (k UUID, n INTEGER); CREATE TABLE stg_volunteers AS SELECT k FROM t;",
        )
        .unwrap();
        let keys = [
            Key128([
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
                0x32, 0x10,
            ]),
            // The top bit set (DuckDB flips it in storage).
            Key128([
                0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                0xcd, 0xef,
            ]),
        ];
        let schema = staging_schema(&conn, SourceKind::Volunteers).unwrap();
        insert(
            &conn,
            "stg_volunteers",
            to_chunks(
                &schema,
                &[
                    vec![Value::from(keys[0])],
                    vec![Value::from(keys[1])],
                    vec![Value::Null],
                ],
            ),
        );
        let mut appender = conn.appender("t").unwrap();
        for key in keys {
            appender
                .append_row(duckdb::params![key.to_hex(), 1])
                .unwrap();
        }
        drop(appender);
        let got: Vec<String> = conn
            .prepare(
                "SELECT coalesce(k::VARCHAR, '-') FROM stg_volunteers
                 UNION ALL SELECT k::VARCHAR || ' ' || (k IN (SELECT k FROM stg_volunteers))
                   FROM t ORDER BY 1",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "-",
                "01234567-89ab-cdef-fedc-ba9876543210",
                "01234567-89ab-cdef-fedc-ba9876543210 true",
                "fedcba98-7654-3210-0123-456789abcdef",
                "fedcba98-7654-3210-0123-456789abcdef true",
            ]
        );
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given BigInt(3000000000)")]
    fn a_count_too_large_for_its_column_is_a_bug_not_a_wrap() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        to_chunks(&schema, &[vec![Value::BigInt(3_000_000_000)]]);
    }

    #[test]
    #[should_panic(expected = "staging row has 1 values for 2 columns")]
    fn a_row_missing_a_value_is_a_bug_not_a_shifted_row() {
        let schema = columns(&[("i", ColumnType::Int32), ("s", ColumnType::Utf8)]);
        let mut columns = StagedColumns::new(&schema);
        columns.put(Value::Int(1));
        columns.end_row();
    }

    #[test]
    #[should_panic(expected = "staging row has more values than its 1 columns")]
    fn a_row_with_a_value_too_many_is_a_bug() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        let mut columns = StagedColumns::new(&schema);
        columns.put(Value::Int(1));
        columns.put(Value::Int(2));
    }

    #[test]
    fn typed_values_stage_exactly_what_their_values_stage() {
        let conn = Connection::open_in_memory().unwrap();
        let ddl = "(s VARCHAR, t VARCHAR, i BIGINT, b INTEGER, d DOUBLE, f BOOLEAN, k UUID)";
        conn.execute_batch(&format!(
            "CREATE TABLE typed {ddl}; CREATE TABLE by_value {ddl};"
        ))
        .unwrap();
        let schema = table_schema(&conn, "typed").unwrap();
        let key = Key128([7; 16]);
        let mut typed = StagedColumns::new(&schema);
        typed.put(std::borrow::Cow::Borrowed("青山区"));
        typed.put(Some(String::from("A001")));
        typed.put(7_i32);
        typed.put(3_i64);
        typed.put(2.5);
        typed.put(true);
        typed.put(Some(key));
        typed.end_row();
        typed.put(None::<&str>);
        typed.put("x");
        typed.put(None::<i32>);
        typed.put(None::<i64>);
        typed.put(None::<f64>);
        typed.put(Some(false));
        typed.put(None::<Key128>);
        typed.end_row();
        // Negative values after a NULL: a value written in the other width would read back
        // as another number.
        typed.put("y");
        typed.put("z");
        typed.put(-7_i32);
        typed.put(-3_i64);
        typed.put(-0.5);
        typed.put(false);
        typed.put(key);
        typed.end_row();
        insert(&conn, "typed", typed.finish());
        let by_value = to_chunks(
            &schema,
            &[
                vec![
                    Value::Text("青山区".into()),
                    Value::Text("A001".into()),
                    Value::BigInt(7),
                    Value::Int(3),
                    Value::Double(2.5),
                    Value::Boolean(true),
                    Value::from(key),
                ],
                vec![
                    Value::Null,
                    Value::Text("x".into()),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Boolean(false),
                    Value::Null,
                ],
                vec![
                    Value::Text("y".into()),
                    Value::Text("z".into()),
                    Value::BigInt(-7),
                    Value::Int(-3),
                    Value::Double(-0.5),
                    Value::Boolean(false),
                    Value::from(key),
                ],
            ],
        );
        insert(&conn, "by_value", by_value);
        let typed = rows_of(&conn, "typed");
        assert_eq!(typed.len(), 3);
        assert_eq!(typed, rows_of(&conn, "by_value"));
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given 3000000000")]
    fn a_typed_count_too_large_for_its_column_is_a_bug_not_a_wrap() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        let mut columns = StagedColumns::new(&schema);
        columns.put(3_000_000_000_i64);
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given Some(\"1\")")]
    fn a_typed_text_in_a_number_column_is_a_bug_not_a_cast() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        let mut columns = StagedColumns::new(&schema);
        columns.put(Some("1"));
    }

    #[test]
    fn no_rows_make_no_chunk() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        assert!(StagedColumns::new(&schema).finish().is_empty());
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given Text")]
    fn a_value_of_the_wrong_type_is_a_bug_not_a_cast() {
        let schema = columns(&[("i", ColumnType::Int32)]);
        to_chunks(&schema, &[vec![Value::Text("1".into())]]);
    }
}
