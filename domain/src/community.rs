//! Community names and paths: how a 社区 and its 街道 and 区县 are written once they are
//! normalized, so that every crate (matching at ingest, checks, outputs) names a place alike.

use crate::text::compact;

/// `区县/街道/社区`, leaving out the empty parts.
pub fn path(district: &str, street: &str, community: &str) -> String {
    [district, street, community]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Community name normalization: half-width, no spaces, no committee suffix.
pub fn normalize_community(raw: &str) -> String {
    let s = compact(raw);
    for suffix in ["居民委员会", "村民委员会", "居委会", "村委会"] {
        if let Some(stem) = s.strip_suffix(suffix) {
            if !stem.is_empty() {
                // `幸福社区居委会` → `幸福社区`; `幸福居委会` → `幸福社区`.
                return if stem.ends_with("社区") || stem.ends_with('村') {
                    stem.to_string()
                } else if suffix.starts_with('村') {
                    format!("{stem}村")
                } else {
                    format!("{stem}社区")
                };
            }
        }
    }
    s
}

/// The name without its generic tail, for a second, looser lookup (`幸福` ~ `幸福社区`).
pub fn stem(name: &str) -> &str {
    for suffix in ["社区", "村"] {
        if let Some(s) = name.strip_suffix(suffix) {
            if !s.is_empty() {
                return s;
            }
        }
    }
    name
}

/// District and street names are compared without their administrative tail
/// (东城区 ~ 东城, 朝阳街道办事处 ~ 朝阳街道 ~ 朝阳).
pub fn area_stem(raw: &str) -> String {
    let mut s = compact(raw);
    for suffix in [
        "街道办事处",
        "办事处",
        "街道办",
        "街道",
        "镇",
        "乡",
        "区",
        "县",
        "旗",
        "市",
    ] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            if !stripped.is_empty() {
                s = stripped.to_string();
                break;
            }
        }
    }
    s
}

/// The identity of a ledger row's community: the same place written slightly differently in
/// two ledgers (居委会 suffix, 街道办事处) gets the same key.
pub fn ledger_key(district: &str, street: &str, community: &str) -> String {
    format!(
        "{}|{}|{}",
        area_stem(district),
        area_stem(street),
        normalize_community(community)
    )
}
