//! Writers for generated tables in the shapes real exports come in.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
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

pub fn write_csv(path: &Path, table: &Table, encoding: TextEncoding) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut buf);
        if let Some(title) = &table.title {
            w.write_record([title])?;
        }
        w.write_record(&table.header)?;
        for row in table.rows.iter().chain(table.total.iter()) {
            w.write_record(row.iter().map(Value::as_csv))?;
        }
        w.flush()?;
    }
    let text = String::from_utf8(buf)?;
    let bytes = match encoding {
        TextEncoding::Utf8 => text.into_bytes(),
        TextEncoding::Utf8Bom => {
            let mut b = "\u{FEFF}".as_bytes().to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        TextEncoding::Gbk => {
            let (encoded, _, unmappable) = encoding_rs::GBK.encode(&text);
            anyhow::ensure!(!unmappable, "generated text not representable in GBK");
            encoded.into_owned()
        }
    };
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&bytes)?;
    Ok(())
}

pub fn write_xlsx(path: &Path, sheets: &[(&str, &Table)]) -> anyhow::Result<()> {
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
    wb.save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
