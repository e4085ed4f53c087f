//! The direct xlsx reader against calamine on arbitrary sheet rows: the bytes become the inside
//! of a worksheet's `<sheetData>` (with a shared-strings table and styles of dates, times and
//! durations), and the workbook is read both ways. The same rows, values and errors, or a
//! failure; and the tokenizers alone never panic on the raw bytes.
#![no_main]
use ingest::xlsx_direct::testing::{rows_both_ways, write_xlsx, SHARED, STYLES};
use libfuzzer_sys::fuzz_target;

/// Whether a cell or row reference is long enough to overflow calamine's own parsing of it (a
/// panic in this debug-checked build, a wrapped number in a release build; the direct reader
/// declines such references, so calamine reads them either way).
fn overflows_calamine(data: &[u8]) -> bool {
    data.windows(3).enumerate().any(|(at, w)| {
        (w == b"r=\"" || w == b"r='")
            && data[at + 3..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count()
                > 6
    })
}

fuzz_target!(|data: &[u8]| {
    ingest::xlsx_direct::tokenize_any(data);
    if overflows_calamine(data) {
        return;
    }
    let path = std::env::temp_dir().join(format!("vbrief-fuzz-{}.xlsx", std::process::id()));
    let rows = String::from_utf8_lossy(data).into_owned();
    write_xlsx(&path, &[("S", rows)], Some(SHARED), Some(STYLES), data.first() == Some(&b'1'));
    let (direct, calamine) = rows_both_ways(&path);
    assert_eq!(direct, calamine);
});
