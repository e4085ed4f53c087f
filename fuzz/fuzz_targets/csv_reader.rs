//! The csv reader on arbitrary bytes: encoding detection (UTF-8, BOMs, GB18030), delimiter
//! sniffing, blank lines kept as rows, quoted fields across lines. Never a panic; rows come out
//! numbered 1, 2, 3, … up to the first error, where ingest stops reading the file.
#![no_main]
use ingest::reader::Workbook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The reader streams from a path, as it does for real exports.
    let path = std::env::temp_dir().join(format!("vbrief-fuzz-{}.csv", std::process::id()));
    std::fs::write(&path, data).unwrap();
    if let Ok(mut wb) = Workbook::open(&path, None) {
        let mut expected = 1;
        for row in wb.rows("").unwrap() {
            match row {
                Ok(row) => {
                    assert_eq!(row.number, expected);
                    expected += 1;
                }
                Err(_) => break,
            }
        }
    }
});
