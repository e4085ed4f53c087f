//! Prepared rows as Arrow record batches for the staging appenders: DuckDB takes a batch as
//! whole data chunks, where appending value by value costs a call (and a few allocations) per
//! value on the one thread that owns the connection.

use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, FixedSizeBinaryArray, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::Connection;

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

/// Rows of values (in the schema's column order) as one record batch.
///
/// A value of another type than its column's is a bug in a row processor: it panics, naming
/// the column, rather than staging something else.
pub fn to_record_batch(schema: &SchemaRef, rows: &[Vec<Value>]) -> RecordBatch {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| column(field, rows.iter().map(|row| &row[i])))
        .collect();
    RecordBatch::try_new(schema.clone(), columns).expect("columns match the schema")
}

/// One column's builder filled from the values: NULL as null, the listed variants as values,
/// anything else is a bug (`$wrong`).
macro_rules! build {
    ($builder:expr, $values:expr, $wrong:expr, { $($variant:pat $(if $guard:expr)? => $value:expr),+ $(,)? }) => {{
        let mut b = $builder;
        for v in $values {
            match v {
                Value::Null => b.append_null(),
                $($variant $(if $guard)? => b.append_value($value),)+
                other => $wrong(other),
            }
        }
        Arc::new(b.finish()) as ArrayRef
    }};
}

fn column<'v>(field: &Field, values: impl ExactSizeIterator<Item = &'v Value>) -> ArrayRef {
    let n = values.len();
    let wrong = |v: &Value| -> ! {
        panic!(
            "staging column {} ({}) given {v:?}",
            field.name(),
            field.data_type()
        )
    };
    match field.data_type() {
        DataType::Utf8 => build!(StringBuilder::with_capacity(n, n * 16), values, wrong, {
            Value::Text(s) => s,
        }),
        DataType::Int32 => build!(Int32Builder::with_capacity(n), values, wrong, {
            Value::Int(x) => *x,
            // Counts come as BIGINT; they are capped to fit (`RowContext::count`).
            Value::BigInt(x) if i32::try_from(*x).is_ok() => *x as i32,
        }),
        DataType::Int64 => build!(Int64Builder::with_capacity(n), values, wrong, {
            Value::BigInt(x) => *x,
            Value::Int(x) => i64::from(*x),
        }),
        DataType::Float64 => build!(Float64Builder::with_capacity(n), values, wrong, {
            Value::Double(x) => *x,
        }),
        DataType::Boolean => build!(BooleanBuilder::with_capacity(n), values, wrong, {
            Value::Boolean(x) => *x,
        }),
        DataType::Date32 => build!(Date32Builder::with_capacity(n), values, wrong, {
            Value::Date32(x) => *x,
        }),
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            build!(TimestampMicrosecondBuilder::with_capacity(n), values, wrong, {
                Value::Timestamp(duckdb::types::TimeUnit::Microsecond, x) => *x,
            })
        }
        DataType::FixedSizeBinary(16) => Arc::new(
            FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                values.map(|v| match v {
                    Value::Null => None,
                    Value::UHugeInt(key) => Some(key.to_be_bytes()),
                    other => wrong(other),
                }),
                16,
            )
            .expect("16 bytes each"),
        ) as ArrayRef,
        other => panic!("staging column {} has Arrow type {other}", field.name()),
    }
}

/// A key is staged as its 128 bits, big-endian (its column is a UUID): a `Value` with no heap
/// copy, where `Value::Blob` would allocate for each of a record's two keys.
impl From<Key128> for Value {
    fn from(key: Key128) -> Value {
        Value::UHugeInt(u128::from_be_bytes(key.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_appends_exactly_the_rows_it_was_given() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (s VARCHAR, i INTEGER, b BIGINT, d DOUBLE, f BOOLEAN, day DATE);",
        )
        .unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("i", DataType::Int32, true),
            Field::new("b", DataType::Int64, true),
            Field::new("d", DataType::Float64, true),
            Field::new("f", DataType::Boolean, true),
            Field::new("day", DataType::Date32, true),
        ]));
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
        let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int32, true)]));
        to_record_batch(&schema, &[vec![Value::BigInt(3_000_000_000)]]);
    }

    #[test]
    #[should_panic(expected = "staging column i (Int32) given Text")]
    fn a_value_of_the_wrong_type_is_a_bug_not_a_cast() {
        let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int32, true)]));
        to_record_batch(&schema, &[vec![Value::Text("1".into())]]);
    }
}
