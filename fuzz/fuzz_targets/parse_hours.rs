//! Hours as text (`2.5`, `2小时30分`, `2.5h`, `150分钟`): never a panic, never NaN or infinity.
#![no_main]
use ingest::parse::hours::parse_hours_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(hours) = parse_hours_text(text) {
            assert!(hours.is_finite(), "{text:?} -> {hours}");
        }
    }
});
