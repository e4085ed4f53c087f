//! ID numbers as text and as numbers: never a panic; an accepted number is 18 characters with a
//! valid check character and parses to itself; a rejection's message never holds 6 digits in a
//! row (nothing of the number leaks into it).
#![no_main]
use ingest::parse::id_number::{check_char, IdNumber};
use libfuzzer_sys::fuzz_target;

fn check(result: Result<IdNumber, ingest::parse::id_number::IdError>) {
    match result {
        Ok(id) => {
            let s = id.as_str();
            assert_eq!(s.len(), 18);
            assert!(s.ends_with(check_char(&s[..17])));
            assert_eq!(IdNumber::parse(s).ok(), Some(id.clone()));
        }
        Err(e) => {
            let reason = e.reason();
            let run = reason
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(run < 6, "{reason}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(IdNumber::parse(text));
    }
    if data.len() >= 8 {
        check(IdNumber::from_number(f64::from_le_bytes(
            data[..8].try_into().unwrap(),
        )));
    }
});
