//! Header rows (cells separated by tabs): normalization is idempotent, kind detection and
//! column mapping never panic, a mapped column is inside the row; and the text helpers used on
//! every cell (half-width, masking, safe excerpts, 合计 labels) never panic either.
#![no_main]
use ingest::header::{detect_kind, header_score, map_columns, missing_required, normalize};
use ingest::parse::text::{compact, is_total_label, mask_name, safe_excerpt};
use ingest::SourceKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cells: Vec<String> = text.split('\t').map(String::from).collect();
    for cell in &cells {
        let once = normalize(cell);
        assert_eq!(normalize(&once), once, "{cell:?}");
        let _ = compact(cell);
        let _ = mask_name(cell);
        let _ = is_total_label(cell);
        assert!(safe_excerpt(cell).chars().count() <= 41);
    }
    let _ = header_score(&cells);
    let _ = detect_kind(&cells);
    for kind in SourceKind::ALL {
        let map = map_columns(kind, &cells);
        assert!(map.columns.values().all(|&i| i < cells.len()));
        let _ = missing_required(&map);
    }
});
