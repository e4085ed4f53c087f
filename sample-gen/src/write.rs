//! Writers for generated tables in the shapes real exports come in.

use std::io::Write;
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use crate::{GenError, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

/// A generated cell.
#[derive(Debug, Clone)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// A real Excel date cell (in csv: `YYYY-MM-DD`).
    Date(NaiveDate),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    fn as_csv(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
            Value::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Value::Number(n) => format!("{n}"),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

pub struct Table {
    pub title: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// A trailing 合计 row, as offices add by hand.
    pub total: Option<Vec<Value>>,
}

#[derive(Clone, Copy)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

pub fn write_csv(path: &Path, table: &Table, encoding: TextEncoding) -> Result<()> {
    let mut w = CsvStream::create(path, encoding, table.title.as_deref(), &table.header)?;
    for row in table.rows.iter().chain(table.total.iter()) {
        w.push(row)?;
    }
    w.finish()
}

/// A csv file written row by row, so tables of any size never sit in memory.
pub struct CsvStream {
    writer: csv::Writer<Encoder>,
    path: std::path::PathBuf,
}

impl CsvStream {
    pub fn create(
        path: &Path,
        encoding: TextEncoding,
        title: Option<&str>,
        header: &[String],
    ) -> Result<CsvStream> {
        let file = std::fs::File::create(path).map_err(|source| GenError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        if let TextEncoding::Utf8Bom = encoding {
            out.write_all("\u{FEFF}".as_bytes())?;
        }
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_writer(Encoder {
                out,
                gbk: matches!(encoding, TextEncoding::Gbk),
                pending: Vec::new(),
            });
        if let Some(title) = title {
            writer.write_record([title])?;
        }
        writer.write_record(header)?;
        Ok(CsvStream {
            writer,
            path: path.to_path_buf(),
        })
    }

    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        self.writer.write_record(row.iter().map(Value::as_csv))?;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        let path = self.path;
        let mut enc = self.writer.into_inner().map_err(|e| GenError::Write {
            path: path.clone(),
            reason: e.error().to_string(),
        })?;
        if !enc.pending.is_empty() {
            return Err(GenError::Write {
                path,
                reason: "generated text ends inside a character".into(),
            });
        }
        enc.out.flush().map_err(|e| GenError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }
}

/// UTF-8 in, the file's encoding out. The csv writer may split a character between two writes:
/// the incomplete tail waits for the next write.
struct Encoder {
    out: std::io::BufWriter<std::fs::File>,
    gbk: bool,
    pending: Vec<u8>,
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.gbk {
            return self.out.write(buf);
        }
        self.pending.extend_from_slice(buf);
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        };
        let text = std::str::from_utf8(&self.pending[..complete]).expect("checked above");
        let (encoded, _, unmappable) = encoding_rs::GBK.encode(text);
        if unmappable {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "generated text not representable in GBK",
            ));
        }
        self.out.write_all(&encoded)?;
        self.pending.drain(..complete);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

pub fn write_xlsx(path: &Path, sheets: &[(&str, &Table)]) -> Result<()> {
    let mut wb = Workbook::new();
    // A fixed creation time keeps the generated file byte-identical from run to run.
    let fixed = ExcelDateTime::from_ymd(2026, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_author("vbrief gen (示例数据)"),
    );
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let bold = Format::new().set_bold();
    for (name, table) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name)?;
        let mut r: u32 = 0;
        if let Some(title) = &table.title {
            ws.write_string_with_format(r, 0, title, &bold)?;
            r += 1;
        }
        for (c, h) in table.header.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, h, &bold)?;
        }
        r += 1;
        for row in table.rows.iter().chain(table.total.iter()) {
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Empty => {}
                    Value::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Value::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Value::Date(d) => {
                        let dt = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        ws.write_datetime_with_format(r, c, &dt, &date_format)?;
                    }
                }
            }
            r += 1;
        }
    }
    wb.save(path).map_err(|e| GenError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(())
}
