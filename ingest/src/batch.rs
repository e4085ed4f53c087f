//! Prepared rows as Arrow record batches for the staging appenders: DuckDB takes a batch as
//! whole data chunks, where appending value by value costs a call (and a few allocations) per
//! value on the one thread that owns the connection.

use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, FixedSizeBinaryBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::identity::Key128;
use crate::kind::SourceKind;
use crate::warehouse::table_of;

/// The column names and types of `kind`'s staging table, as an Arrow schema (the table must
/// exist: `warehouse::create_staging`).
pub fn staging_schema(conn: &Connection, kind: SourceKind) -> duckdb::Result<SchemaRef> {
    let mut stmt = conn.prepare(&format!("DESCRIBE stg_{}", table_of(kind)))?;
    let columns = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let fields: Vec<Field> = columns
        .into_iter()
        .map(|(name, sql_type)| {
            let data_type = arrow_type(&sql_type).unwrap_or_else(|| {
                panic!("staging column {name} has type {sql_type}, which has no Arrow form here")
            });
            let field = Field::new(name, data_type, true);
            if sql_type == "UUID" {
                // DuckDB reads 16 bytes as a UUID only when the field says so.
                field.with_metadata(std::collections::HashMap::from([(
                    "ARROW:extension:name".to_string(),
                    "arrow.uuid".to_string(),
                )]))
            } else {
                field
            }
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The Arrow type a staging column of this SQL type is appended as (exactly its type: the
/// appender does not cast whole chunks).
fn arrow_type(sql_type: &str) -> Option<DataType> {
    Some(match sql_type {
        "VARCHAR" => DataType::Utf8,
        "INTEGER" => DataType::Int32,
        "BIGINT" => DataType::Int64,
        "DOUBLE" => DataType::Float64,
        "BOOLEAN" => DataType::Boolean,
        "DATE" => DataType::Date32,
        "TIMESTAMP" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "UUID" => DataType::FixedSizeBinary(16),
        _ => return None,
    })
}

/// The staged rows of one batch, column by column: each value goes into its column's Arrow
/// builder as its row is prepared. No row of values is kept and nothing is read twice (a
/// `Vec<Value>` per row, then a pass per column over all rows: ~8% of the preparing threads'
/// samples in the profile of bench/RESULTS.md, "Where a city's time goes").
///
/// A value of another type than its column's is a bug in a row processor: it panics, naming
/// the column, rather than staging something else; so does a row with too few or too many
/// values.
pub struct StagedColumns {
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    /// The column the next value of the row being written goes to.
    next: usize,
    rows: usize,
}

/// One staging column's Arrow builder (only [`Staged`] values are put into it).
pub enum ColumnBuilder {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Date32(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Key(FixedSizeBinaryBuilder),
}

impl StagedColumns {
    /// Empty columns of `schema`'s types, with room for `capacity` rows.
    pub fn new(schema: &SchemaRef, capacity: usize) -> StagedColumns {
        let builders = schema
            .fields()
            .iter()
            .map(|field| match field.data_type() {
                DataType::Utf8 => {
                    ColumnBuilder::Utf8(StringBuilder::with_capacity(capacity, capacity * 16))
                }
                DataType::Int32 => ColumnBuilder::Int32(Int32Builder::with_capacity(capacity)),
                DataType::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(capacity)),
                DataType::Float64 => {
                    ColumnBuilder::Float64(Float64Builder::with_capacity(capacity))
                }
                DataType::Boolean => {
                    ColumnBuilder::Boolean(BooleanBuilder::with_capacity(capacity))
                }
                DataType::Date32 => ColumnBuilder::Date32(Date32Builder::with_capacity(capacity)),
                DataType::Timestamp(TimeUnit::Microsecond, None) => {
                    ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity))
                }
                DataType::FixedSizeBinary(16) => {
                    ColumnBuilder::Key(FixedSizeBinaryBuilder::with_capacity(capacity, 16))
                }
                other => panic!("staging column {} has Arrow type {other}", field.name()),
            })
            .collect();
        StagedColumns {
            schema: schema.clone(),
            builders,
            next: 0,
            rows: 0,
        }
    }

    /// Appends the next value of the row being written.
    #[inline]
    pub fn put(&mut self, value: impl Staged) {
        let i = self.next;
        let Some(builder) = self.builders.get_mut(i) else {
            panic!(
                "staging row has more values than its {} columns",
                self.schema.fields().len()
            )
        };
        if let Err(value) = value.append_to(builder) {
            let field = self.schema.field(i);
            panic!(
                "staging column {} ({}) given {value:?}",
                field.name(),
                field.data_type()
            )
        }
        self.next += 1;
    }

    /// Ends the row being written: every column has had its value.
    pub fn end_row(&mut self) {
        assert_eq!(
            self.next,
            self.builders.len(),
            "staging row has {} values for {} columns",
            self.next,
            self.builders.len()
        );
        self.next = 0;
        self.rows += 1;
    }

    /// The rows written as one record batch, or None when there are none.
    pub fn finish(self) -> Option<RecordBatch> {
        if self.rows == 0 {
            return None;
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .map(|builder| match builder {
                ColumnBuilder::Utf8(mut b) => Arc::new(b.finish()) as ArrayRef,
                ColumnBuilder::Int32(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Int64(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Float64(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Boolean(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Date32(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Timestamp(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Key(mut b) => Arc::new(b.finish()),
            })
            .collect();
        Some(RecordBatch::try_new(self.schema, columns).expect("columns match the schema"))
    }
}

impl ColumnBuilder {
    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Utf8(b) => b.append_null(),
            ColumnBuilder::Int32(b) => b.append_null(),
            ColumnBuilder::Int64(b) => b.append_null(),
            ColumnBuilder::Float64(b) => b.append_null(),
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Date32(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Key(b) => b.append_null(),
        }
    }
}

/// A value a row processor stages. Each type goes straight into its column's builder: a city
/// stages ~80 M values, and a `Value` (an owned text, an enum matched once more) per value was
/// the largest single item of the preparing threads' profile.
pub trait Staged: Sized + std::fmt::Debug {
    /// Appends to `column`, or gives the value back when the column is of another type.
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self>;
}

impl<T: Staged> Staged for Option<T> {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match self {
            None => {
                column.append_null();
                Ok(())
            }
            Some(v) => v.append_to(column).map_err(Some),
        }
    }
}

/// Texts: borrowed, owned or either.
macro_rules! staged_text {
    ($($t:ty),*) => {$(
        impl Staged for $t {
            #[inline]
            fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
                match column {
                    ColumnBuilder::Utf8(b) => b.append_value(&*self),
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
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Int32(b) => b.append_value(self),
            ColumnBuilder::Int64(b) => b.append_value(i64::from(self)),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for i64 {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Int64(b) => b.append_value(self),
            // Counts come as BIGINT; they are capped to fit (`RowContext::count`).
            ColumnBuilder::Int32(b) if i32::try_from(self).is_ok() => b.append_value(self as i32),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for f64 {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Float64(b) => b.append_value(self),
            _ => return Err(self),
        }
        Ok(())
    }
}

impl Staged for bool {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Boolean(b) => b.append_value(self),
            _ => return Err(self),
        }
        Ok(())
    }
}

/// A key is staged as its 128 bits, big-endian (its column is a UUID).
impl Staged for Key128 {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Key(b) => {
                b.append_value(self.0).expect("a key is 16 bytes");
                Ok(())
            }
            _ => Err(self),
        }
    }
}

/// A date as DuckDB's DATE: days since 1970-01-01, appended as is (no text to format here and
/// cast there).
impl Staged for NaiveDate {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        const EPOCH_DAYS_CE: i32 = 719_163;
        match column {
            ColumnBuilder::Date32(b) => b.append_value(self.num_days_from_ce() - EPOCH_DAYS_CE),
            _ => return Err(self),
        }
        Ok(())
    }
}

/// A date and time as DuckDB's TIMESTAMP: microseconds since 1970-01-01, no time zone.
impl Staged for NaiveDateTime {
    #[inline]
    fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
        match column {
            ColumnBuilder::Timestamp(b) => b.append_value(self.and_utc().timestamp_micros()),
            _ => return Err(self),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::types::Value;

    /// Rows written as DuckDB values, in the tests.
    impl Staged for Value {
        fn append_to(self, column: &mut ColumnBuilder) -> Result<(), Self> {
            match (column, self) {
                (column, Value::Null) => column.append_null(),
                (ColumnBuilder::Utf8(b), Value::Text(s)) => b.append_value(s),
                (ColumnBuilder::Date32(b), Value::Date32(x)) => b.append_value(x),
                (
                    ColumnBuilder::Timestamp(b),
                    Value::Timestamp(duckdb::types::TimeUnit::Microsecond, x),
                ) => b.append_value(x),
                (ColumnBuilder::Key(b), Value::UHugeInt(key)) => b
                    .append_value(key.to_be_bytes())
                    .expect("a key is 16 bytes"),
                (column, Value::Int(x)) => return x.append_to(column).map_err(Value::Int),
                (column, Value::BigInt(x)) => return x.append_to(column).map_err(Value::BigInt),
                (column, Value::Double(x)) => return x.append_to(column).map_err(Value::Double),
                (column, Value::Boolean(x)) => return x.append_to(column).map_err(Value::Boolean),
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

    /// A schema of nullable columns.
    fn nullable(columns: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, t)| Field::new(*name, t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// Rows of values (in the schema's column order) as one record batch.
    fn to_record_batch(schema: &SchemaRef, rows: &[Vec<Value>]) -> RecordBatch {
        let mut columns = StagedColumns::new(schema, rows.len());
        for row in rows {
            for value in row {
                columns.put(value.clone());
            }
            columns.end_row();
        }
        columns
            .finish()
            .unwrap_or_else(|| RecordBatch::new_empty(schema.clone()))
    }

    /// Dates and times are staged as DuckDB's own DATE and TIMESTAMP, and read back as they
    /// were: before the epoch, on 29 February, at the last microsecond of a day.
    #[test]
    fn dates_and_times_read_back_as_they_were() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (day DATE, seen TIMESTAMP);")
            .unwrap();
        let schema = nullable(&[
            ("day", DataType::Date32),
            ("seen", DataType::Timestamp(TimeUnit::Microsecond, None)),
        ]);
        let cases = [
            ("1969-12-31", "1969-12-31 23:59:59.999999"),
            ("1970-01-01", "1970-01-01 00:00:00"),
            ("2024-02-29", "2024-02-29 08:30:00.5"),
            ("2025-12-31", "2025-12-31 23:59:59.999999"),
        ];
        let mut columns = StagedColumns::new(&schema, cases.len() + 1);
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
        let mut appender = conn.appender("t").unwrap();
        appender
            .append_record_batch(columns.finish().unwrap())
            .unwrap();
        drop(appender);
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
        let schema = nullable(&[
            ("s", DataType::Utf8),
            ("i", DataType::Int32),
            ("b", DataType::Int64),
            ("d", DataType::Float64),
            ("f", DataType::Boolean),
            ("day", DataType::Date32),
        ]);
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
        let mut appender = conn.appender("t").unwrap();
        appender
            .append_record_batch(to_record_batch(&schema, &rows))
            .unwrap();
        drop(appender);
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

    #[test]
    fn a_key_is_appended_as_the_uuid_of_its_hex() {
        // Batches (the staged rows) and the row appender (quarantine, which passes the hex)
        // must give the same UUID for a key, and the UUID's digits must be the key's hex, which
        // is what `migrate_keys` assumes of older warehouses.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (k UUID, n INTEGER); CREATE TABLE stg_volunteers AS SELECT k FROM t;",
        )
        .unwrap();
        let key = Key128([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
            0x32, 0x10,
        ]);
        let schema = staging_schema(&conn, SourceKind::Volunteers).unwrap();
        let mut appender = conn.appender("stg_volunteers").unwrap();
        appender
            .append_record_batch(to_record_batch(
                &schema,
                &[vec![Value::from(key)], vec![Value::Null]],
            ))
            .unwrap();
        drop(appender);
        let mut appender = conn.appender("t").unwrap();
        appender
            .append_row(duckdb::params![key.to_hex(), 1])
            .unwrap();
        drop(appender);
        let got: Vec<String> = conn
            .prepare(
                "SELECT coalesce(k::VARCHAR, '-') FROM stg_volunteers
                 UNION ALL SELECT k::VARCHAR || ' ' || (k = ?::UUID) FROM t ORDER BY 1",
            )
            .unwrap()
            .query_map([key.to_hex()], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "-",
                "01234567-89ab-cdef-fedc-ba9876543210",
                "01234567-89ab-cdef-fedc-ba9876543210 true"
            ]
        );
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given BigInt(3000000000)")]
    fn a_count_too_large_for_its_column_is_a_bug_not_a_wrap() {
        let schema = nullable(&[("i", DataType::Int32)]);
        to_record_batch(&schema, &[vec![Value::BigInt(3_000_000_000)]]);
    }

    #[test]
    #[should_panic(expected = "staging row has 1 values for 2 columns")]
    fn a_row_missing_a_value_is_a_bug_not_a_shifted_row() {
        let schema = nullable(&[("i", DataType::Int32), ("s", DataType::Utf8)]);
        let mut columns = StagedColumns::new(&schema, 1);
        columns.put(Value::Int(1));
        columns.end_row();
    }

    #[test]
    #[should_panic(expected = "staging row has more values than its 1 columns")]
    fn a_row_with_a_value_too_many_is_a_bug() {
        let schema = nullable(&[("i", DataType::Int32)]);
        let mut columns = StagedColumns::new(&schema, 1);
        columns.put(Value::Int(1));
        columns.put(Value::Int(2));
    }

    #[test]
    fn typed_values_stage_exactly_what_their_values_stage() {
        let schema = nullable(&[
            ("s", DataType::Utf8),
            ("t", DataType::Utf8),
            ("i", DataType::Int32),
            ("b", DataType::Int64),
            ("d", DataType::Float64),
            ("f", DataType::Boolean),
            ("k", DataType::FixedSizeBinary(16)),
        ]);
        let key = Key128([7; 16]);
        let mut typed = StagedColumns::new(&schema, 2);
        typed.put(std::borrow::Cow::Borrowed("青山区"));
        typed.put(Some(String::from("A001")));
        typed.put(7_i64);
        typed.put(3_i32);
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
        let by_value = to_record_batch(
            &schema,
            &[
                vec![
                    Value::Text("青山区".into()),
                    Value::Text("A001".into()),
                    Value::Int(7),
                    Value::BigInt(3),
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
            ],
        );
        assert_eq!(typed.finish().unwrap(), by_value);
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given 3000000000")]
    fn a_typed_count_too_large_for_its_column_is_a_bug_not_a_wrap() {
        let schema = nullable(&[("i", DataType::Int32)]);
        let mut columns = StagedColumns::new(&schema, 1);
        columns.put(3_000_000_000_i64);
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given Some(\"1\")")]
    fn a_typed_text_in_a_number_column_is_a_bug_not_a_cast() {
        let schema = nullable(&[("i", DataType::Int32)]);
        let mut columns = StagedColumns::new(&schema, 1);
        columns.put(Some("1"));
    }

    #[test]
    fn no_rows_make_no_batch() {
        let schema = nullable(&[("i", DataType::Int32)]);
        assert!(StagedColumns::new(&schema, 8).finish().is_none());
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given Text")]
    fn a_value_of_the_wrong_type_is_a_bug_not_a_cast() {
        let schema = nullable(&[("i", DataType::Int32)]);
        to_record_batch(&schema, &[vec![Value::Text("1".into())]]);
    }
}
