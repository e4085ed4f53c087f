//! Identity documents other than the 居民身份证 (docs/CONTRACT.md §2.2, §3): with a `证件类型` column, a
//! passport or a 通行证 is a valid identity, keyed by type and normalized number and never
//! checked against GB 11643.

use super::text::{compact, to_half_width};

/// What the `证件类型` cell says about the number beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentType {
    /// 居民身份证, and the residence permits of Hong Kong, Macao and Taiwan residents, which
    /// are numbered by GB 11643: checked and keyed as ID numbers.
    ResidentId,
    /// Any other document, by its canonical name (the type as written when vbrief does not
    /// know it, so that two spellings of an unknown type stay two types rather than merge).
    Other(String),
}

/// Canonical names of the documents the national system offers, with the other ways
/// exports write them.
const OTHER_DOCUMENTS: &[(&str, &[&str])] = &[
    (
        "护照",
        &["护照", "中国护照", "外国护照", "普通护照", "外籍护照"],
    ),
    (
        "港澳居民来往内地通行证",
        &["港澳居民来往内地通行证", "回乡证", "港澳居民往来内地通行证"],
    ),
    (
        "台湾居民来往大陆通行证",
        &["台湾居民来往大陆通行证", "台胞证", "台湾居民往来大陆通行证"],
    ),
    (
        "外国人永久居留身份证",
        &["外国人永久居留身份证", "外国人永久居留证", "永久居留证"],
    ),
];

/// `证件类型` texts read as a 居民身份证 (numbered by GB 11643).
pub const RESIDENT_ID: &[&str] = &[
    "居民身份证",
    "身份证",
    "二代身份证",
    "第二代居民身份证",
    "中华人民共和国居民身份证",
    "大陆居民身份证",
    "内地居民身份证",
    "港澳台居民居住证",
    "港澳居民居住证",
    "台湾居民居住证",
];

/// Classifies a `证件类型` text; `None` when it is blank (today's rules apply).
pub fn classify(type_text: &str) -> Option<DocumentType> {
    let t = compact(type_text);
    if t.is_empty() {
        return None;
    }
    if RESIDENT_ID.contains(&t.as_str()) {
        return Some(DocumentType::ResidentId);
    }
    let canonical = OTHER_DOCUMENTS
        .iter()
        .find(|(_, names)| names.contains(&t.as_str()))
        .map(|(name, _)| name.to_string());
    // Other spellings of the ID card and the residence permits (中国居民身份证, 临时身份证,
    // 港澳居民居住证（香港）…) are numbered by GB 11643 as well: checked and keyed as ID
    // numbers, so they join records exported without a type column.
    if canonical.is_none()
        && !t.contains("永久居留")
        && (t.contains("身份证") || t.contains("居住证"))
    {
        return Some(DocumentType::ResidentId);
    }
    let canonical = OTHER_DOCUMENTS
        .iter()
        .find(|(_, names)| names.contains(&t.as_str()))
        .map_or(t.clone(), |(name, _)| name.to_string());
    Some(DocumentType::Other(canonical))
}

/// The other documents vbrief knows, each with the spellings exports use (the canonical name
/// first).
pub fn known_documents() -> &'static [(&'static str, &'static [&'static str])] {
    OTHER_DOCUMENTS
}

/// A document number as compared: half-width, no spaces or dashes, upper case.
pub fn normalize_number(raw: &str) -> String {
    to_half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_documents_of_the_national_system() {
        assert_eq!(classify(" 居民身份证 "), Some(DocumentType::ResidentId));
        assert_eq!(classify("港澳台居民居住证"), Some(DocumentType::ResidentId));
        assert_eq!(
            classify("台胞证"),
            Some(DocumentType::Other("台湾居民来往大陆通行证".into()))
        );
        assert_eq!(classify("护照"), Some(DocumentType::Other("护照".into())));
        assert_eq!(
            classify("军官证"),
            Some(DocumentType::Other("军官证".into()))
        );
        assert_eq!(classify("中国居民身份证"), Some(DocumentType::ResidentId));
        assert_eq!(classify("台湾居民居住证"), Some(DocumentType::ResidentId));
        assert_eq!(
            classify("外国人永久居留证件"),
            Some(DocumentType::Other("外国人永久居留证件".into()))
        );
        assert_eq!(classify(""), None);
    }

    #[test]
    fn numbers_are_compared_half_width_upper_case() {
        assert_eq!(normalize_number(" ｅ１２３ ４５６７８ "), "E12345678");
        assert_eq!(normalize_number("h-1234567-8"), "H12345678");
    }
}
