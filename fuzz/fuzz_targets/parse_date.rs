//! Dates as text (`2024-05-01`, `2024/5/1`, `2024年5月1日`, `20240501`, serials, times) and
//! Excel serial numbers: never a panic; a date that parses formats back to itself.
#![no_main]
use ingest::parse::date::{from_excel_serial, parse_date_text, parse_year};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(date) = parse_date_text(text) {
            let again = parse_date_text(&date.format("%Y-%m-%d").to_string());
            assert_eq!(again.ok(), Some(date), "{text:?}");
        }
        let _ = parse_year(text);
    }
    if data.len() >= 8 {
        let serial = f64::from_le_bytes(data[..8].try_into().unwrap());
        let _ = from_excel_serial(serial);
    }
});
