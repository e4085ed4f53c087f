//! Matching the community named in a row to the communities ledger (人口台账).
//!
//! Names are normalized (half-width, no spaces, no 居委会/居民委员会/村委会 suffix), aliases from
//! the config are applied, and district/street narrow the choice. A name found in two districts
//! with no district to tell them apart is ambiguous: it is quarantined, never guessed.

use std::collections::{BTreeMap, HashMap};

use domain::community::stem;
pub use domain::community::{area_stem, ledger_key, normalize_community, path};
use domain::text::compact;

/// One community of the ledger.
#[derive(Debug, Clone)]
pub struct CommunityEntry {
    pub id: i32,
    pub district: String,
    pub street: String,
    pub community: String,
}

impl CommunityEntry {
    /// `区县/街道/社区`, for messages and quarantine candidates.
    pub fn path(&self) -> String {
        path(&self.district, &self.street, &self.community)
    }
}

/// The outcome of matching one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Found(i32),
    /// No community name in the row.
    Missing,
    /// Not in the ledger (or not in the given district); closest names attached.
    Unknown {
        candidates: Vec<String>,
    },
    /// Several communities fit; the row must say which (district or street).
    Ambiguous {
        candidates: Vec<String>,
    },
}

/// The ledger's communities, indexed for matching.
#[derive(Debug, Default)]
pub struct CommunityIndex {
    entries: Vec<CommunityEntry>,
    by_name: HashMap<String, Vec<usize>>,
    by_stem: HashMap<String, Vec<usize>>,
    /// The ledger's districts and streets, to recognize them inside a region path.
    districts: Vec<AreaName>,
    streets: Vec<AreaName>,
    /// Normalized alias → (district, street, community) of the target, any part may be empty.
    aliases: HashMap<String, (String, String, String)>,
    closest_cache: std::sync::Mutex<HashMap<String, Vec<String>>>,
    /// Rows name the same few thousand communities over and over: each distinct
    /// (district, street, community) text is matched once.
    match_cache: std::sync::Mutex<HashMap<String, Match>>,
}

/// Past this many distinct texts the match cache stops growing (garbage input).
const MATCH_CACHE_MAX: usize = 200_000;

impl CommunityIndex {
    pub fn new(entries: Vec<CommunityEntry>, aliases: &BTreeMap<String, String>) -> CommunityIndex {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            let name = normalize_community(&e.community);
            by_stem.entry(stem(&name).to_string()).or_default().push(i);
            by_name.entry(name).or_default().push(i);
        }
        let aliases = aliases
            .iter()
            .map(|(alias, target)| {
                let parts: Vec<&str> = target.split('/').map(str::trim).collect();
                let target = match parts.as_slice() {
                    [d, s, c] => (d.to_string(), s.to_string(), c.to_string()),
                    [d, c] => (d.to_string(), String::new(), c.to_string()),
                    _ => (String::new(), String::new(), target.to_string()),
                };
                (normalize_community(alias), target)
            })
            .collect();
        let areas = |part: fn(&CommunityEntry) -> &str, tails: &[&str]| {
            let mut names: Vec<AreaName> = entries
                .iter()
                .map(|e| AreaName::new(part(e), tails))
                .filter(|a| !a.full.is_empty())
                .collect();
            names.sort_by(|a, b| a.full.cmp(&b.full));
            names.dedup_by(|a, b| a.full == b.full);
            names
        };
        let districts = areas(|e| &e.district, DISTRICT_TAILS);
        let streets = areas(|e| &e.street, STREET_TAILS);
        CommunityIndex {
            entries,
            by_name,
            by_stem,
            districts,
            streets,
            aliases,
            closest_cache: Default::default(),
            match_cache: Default::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Matches a row's district, street and community.
    pub fn find(
        &self,
        district: Option<&str>,
        street: Option<&str>,
        community: Option<&str>,
    ) -> Match {
        // Each part length-prefixed (`-` when absent): no two triples share a key.
        let mut key = String::with_capacity(64);
        for part in [district, street, community] {
            match part {
                Some(p) => {
                    key.push_str(&p.len().to_string());
                    key.push(':');
                    key.push_str(p);
                }
                None => key.push('-'),
            }
        }
        if let Some(hit) = lock(&self.match_cache).get(&key) {
            return hit.clone();
        }
        let found = self.find_uncached(district, street, community);
        let mut cache = lock(&self.match_cache);
        if cache.len() < MATCH_CACHE_MAX {
            cache.insert(key, found.clone());
        }
        found
    }

    /// Matches a region column that holds a path: province, city, district, street and
    /// community concatenated (`某省某市青湖区枫林街道春园社区`) or separated by `>`, `/`, `-`,
    /// `－` or spaces, with or without province and city. The community is the ledger name the
    /// path ends with; districts and streets of the ledger named in the rest of the path must
    /// be the community's own (they tell apart communities that share a name). A path that fits
    /// no community, or several, is Unknown or Ambiguous with the candidates, as for columns.
    pub fn find_path(&self, path: &str) -> Match {
        let key = format!("path:{path}");
        if let Some(hit) = lock(&self.match_cache).get(&key) {
            return hit.clone();
        }
        let found = self.find_path_uncached(path);
        let mut cache = lock(&self.match_cache);
        if cache.len() < MATCH_CACHE_MAX {
            cache.insert(key, found.clone());
        }
        found
    }

    /// A row's community column read with a region column that names the place it is in
    /// (a district alone, or a path down to the street): the areas named in `region` narrow
    /// the match as district and street columns would.
    pub fn find_in_region(&self, region: &str, street: Option<&str>, community: &str) -> Match {
        // Rows repeat the same few region texts: each is read once, like a path.
        let key = format!(
            "region:{}:{region}|{}|{community}",
            region.len(),
            street.unwrap_or("\u{0}")
        );
        if let Some(hit) = lock(&self.match_cache).get(&key) {
            return hit.clone();
        }
        let found = self.find_in_region_uncached(region, street, community);
        let mut cache = lock(&self.match_cache);
        if cache.len() < MATCH_CACHE_MAX {
            cache.insert(key, found.clone());
        }
        found
    }

    fn find_in_region_uncached(
        &self,
        region: &str,
        street: Option<&str>,
        community: &str,
    ) -> Match {
        let parts = path_parts(region);
        let joined: String = parts.concat();
        let district = self.mentioned(&self.districts, &joined, &parts);
        let street_in_path = self.mentioned(&self.streets, &joined, &parts);
        let street = street
            .map(str::to_string)
            .or(street_in_path.first().cloned());
        self.find(
            (district.len() == 1).then(|| district[0].as_str()),
            street.as_deref(),
            Some(community),
        )
    }

    fn find_path_uncached(&self, path: &str) -> Match {
        let parts = path_parts(path);
        if parts.is_empty() {
            return Match::Missing;
        }
        let joined = normalize_community(&parts.concat());
        // Every ledger name the path ends with, longest first.
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for (at, _) in joined.char_indices() {
            if let Some(found) = self.by_name.get(&joined[at..]) {
                ends.extend(found.iter().map(|&i| (at, i)));
            }
        }
        if ends.is_empty() {
            // A short form at the end of the path (`…枫林街道春园` for 春园社区): the longest
            // ending of at least two characters that is a ledger name without its 社区/村.
            for (at, _) in joined.char_indices() {
                if joined[at..].chars().count() < 2 {
                    break;
                }
                if let Some(found) = self.by_stem.get(&joined[at..]) {
                    ends.extend(found.iter().map(|&i| (at, i)));
                    break;
                }
            }
        }
        if ends.is_empty() {
            // No ledger name at the end: the path may end with an alias (`…青云街道老城社区`),
            // or its last part be a short form or a misspelling. Match that name as a
            // community column within the areas the rest of the path names.
            let alias_at = joined
                .char_indices()
                .map(|(at, _)| at)
                .find(|&at| self.aliases.contains_key(&joined[at..]));
            let (last, prefix, rest): (String, String, &[String]) = match alias_at {
                Some(at) => (joined[at..].to_string(), joined[..at].to_string(), &[]),
                None => {
                    let rest = &parts[..parts.len() - 1];
                    (
                        normalize_community(parts.last().map_or("", String::as_str)),
                        rest.concat(),
                        rest,
                    )
                }
            };
            let districts = self.mentioned(&self.districts, &prefix, rest);
            let streets = self.mentioned(&self.streets, &prefix, rest);
            if alias_at.is_none() && parts.len() == 1 && districts.is_empty() {
                // One unseparated text that names no ledger community.
                return Match::Unknown {
                    candidates: self.closest(&last, None),
                };
            }
            return self.find(
                (districts.len() == 1).then(|| districts[0].as_str()),
                (streets.len() == 1).then(|| streets[0].as_str()),
                Some(&last),
            );
        }
        let fits = |&(at, i): &(usize, usize)| {
            let prefix = &joined[..at];
            let entry = &self.entries[i];
            let districts = self.mentioned(&self.districts, prefix, &parts);
            let streets = self.mentioned(&self.streets, prefix, &parts);
            (districts.is_empty() || districts.contains(&compact(&entry.district)))
                && (streets.is_empty() || streets.contains(&compact(&entry.street)))
        };
        let fitting: Vec<(usize, usize)> = ends.iter().copied().filter(fits).collect();
        let Some(longest) = fitting.iter().map(|(at, _)| *at).min() else {
            return Match::Unknown {
                candidates: ends.iter().map(|&(_, i)| self.entries[i].path()).collect(),
            };
        };
        let best: Vec<usize> = fitting
            .iter()
            .filter(|(at, _)| *at == longest)
            .map(|&(_, i)| i)
            .collect();
        match best.as_slice() {
            [one] => Match::Found(self.entries[*one].id),
            many => Match::Ambiguous {
                candidates: many.iter().map(|&i| self.entries[i].path()).collect(),
            },
        }
    }

    /// The ledger areas (full names) that `text` names: by the full name, by the name's stem
    /// followed by an administrative tail (`青湖` + `区`), or by a separated part that is the
    /// stem alone. A bare stem inside a longer text is not enough (`青湖街道` does not name
    /// the district 青湖区).
    fn mentioned(&self, areas: &[AreaName], text: &str, parts: &[String]) -> Vec<String> {
        areas
            .iter()
            .filter(|a| {
                text.contains(a.full.as_str())
                    || parts.contains(&a.stem)
                    || a.tailed.iter().any(|t| text.contains(t.as_str()))
            })
            .map(|a| a.full.clone())
            .collect()
    }

    fn find_uncached(
        &self,
        district: Option<&str>,
        street: Option<&str>,
        community: Option<&str>,
    ) -> Match {
        let Some(raw_name) = community.filter(|c| !compact(c).is_empty()) else {
            return Match::Missing;
        };
        let mut name = normalize_community(raw_name);
        let mut district = district.map(area_stem).filter(|d| !d.is_empty());
        let mut street = street.map(area_stem).filter(|s| !s.is_empty());
        if let Some((d, s, c)) = self.aliases.get(&name) {
            name = normalize_community(c);
            if !d.is_empty() {
                district = Some(area_stem(d));
            }
            if !s.is_empty() {
                street = Some(area_stem(s));
            }
        }
        let mut found: Vec<usize> = self.by_name.get(&name).cloned().unwrap_or_default();
        if found.is_empty() {
            found = self.by_stem.get(stem(&name)).cloned().unwrap_or_default();
        }
        if found.is_empty() {
            return Match::Unknown {
                candidates: self.closest(&name, district.as_deref()),
            };
        }
        if let Some(d) = &district {
            let in_district: Vec<usize> = found
                .iter()
                .copied()
                .filter(|&i| area_stem(&self.entries[i].district) == *d)
                .collect();
            if in_district.is_empty() {
                return Match::Unknown {
                    candidates: found.iter().map(|&i| self.entries[i].path()).collect(),
                };
            }
            found = in_district;
        }
        if let Some(s) = &street {
            let in_street: Vec<usize> = found
                .iter()
                .copied()
                .filter(|&i| area_stem(&self.entries[i].street) == *s)
                .collect();
            // Street names are written many ways; a street that matches nothing does not
            // reject a row that is otherwise unique.
            if !in_street.is_empty() {
                found = in_street;
            }
        }
        match found.as_slice() {
            [one] => Match::Found(self.entries[*one].id),
            many => Match::Ambiguous {
                candidates: many.iter().map(|&i| self.entries[i].path()).collect(),
            },
        }
    }

    /// The three ledger communities whose names are closest to `name`.
    fn closest(&self, name: &str, district: Option<&str>) -> Vec<String> {
        let cache_key = format!("{}|{name}", district.unwrap_or(""));
        if let Some(hit) = lock(&self.closest_cache).get(&cache_key) {
            return hit.clone();
        }
        let mut scored: Vec<(usize, &CommunityEntry)> = self
            .entries
            .iter()
            .filter(|e| district.is_none_or(|d| area_stem(&e.district) == d))
            .map(|e| (edit_distance(name, &normalize_community(&e.community)), e))
            .collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path().cmp(&b.1.path())));
        let out: Vec<String> = scored.iter().take(3).map(|(_, e)| e.path()).collect();
        lock(&self.closest_cache).insert(cache_key, out.clone());
        out
    }
}

/// A district or street of the ledger: its name as written (compacted), its stem, and the
/// stem with each administrative tail of its kind (青湖 → 青湖区, 青湖县 …), made once.
#[derive(Debug, Clone)]
struct AreaName {
    full: String,
    stem: String,
    tailed: Vec<String>,
}

impl AreaName {
    fn new(raw: &str, tails: &[&str]) -> AreaName {
        let stem = area_stem(raw);
        AreaName {
            full: compact(raw),
            tailed: tails.iter().map(|t| format!("{stem}{t}")).collect(),
            stem,
        }
    }
}

const DISTRICT_TAILS: &[&str] = &["区", "县", "市", "旗"];
const STREET_TAILS: &[&str] = &["街道", "镇", "乡", "办事处"];

/// The parts of a region path (compacted), split at `>`, `/`, `-`, `－`, `\\`, `|`, `、`,
/// `，` and spaces.
fn path_parts(path: &str) -> Vec<String> {
    crate::parse::text::to_half_width(path)
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '>' | '/' | '-' | '\\' | '|' | '、' | ',' | '→' | '»')
        })
        .map(compact)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A cache's lock (rows are matched on several threads). A cache is only ever whole or
/// missing an entry, so one left by a panicking thread is still good to use.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: i32, d: &str, s: &str, c: &str) -> CommunityEntry {
        CommunityEntry {
            id,
            district: d.into(),
            street: s.into(),
            community: c.into(),
        }
    }

    fn index() -> CommunityIndex {
        let mut aliases = BTreeMap::new();
        aliases.insert("老站社区".to_string(), "站前社区".to_string());
        aliases.insert("老幸福".to_string(), "西城区/幸福社区".to_string());
        CommunityIndex::new(
            vec![
                e(1, "东城区", "朝阳街道", "幸福社区"),
                e(2, "西城区", "和平街道", "幸福社区"),
                e(3, "东城区", "朝阳街道", "站前社区"),
                e(4, "东城区", "建设街道", "光明村"),
            ],
            &aliases,
        )
    }

    #[test]
    fn exact_normalized_and_suffixes() {
        let ix = index();
        assert_eq!(
            ix.find(None, None, Some(" 站前社区居委会 ")),
            Match::Found(3)
        );
        assert_eq!(ix.find(None, None, Some("站前居委会")), Match::Found(3));
        assert_eq!(ix.find(None, None, Some("站前")), Match::Found(3));
        assert_eq!(ix.find(None, None, Some("光明村村委会")), Match::Found(4));
        assert_eq!(
            ix.find(Some("东城区"), None, Some("幸福社区")),
            Match::Found(1)
        );
        assert_eq!(
            ix.find(Some("西城"), Some("和平街道办事处"), Some("幸福社区")),
            Match::Found(2)
        );
    }

    #[test]
    fn same_name_without_district_is_ambiguous() {
        let ix = index();
        match ix.find(None, None, Some("幸福社区")) {
            Match::Ambiguous { candidates } => {
                assert_eq!(
                    candidates,
                    vec!["东城区/朝阳街道/幸福社区", "西城区/和平街道/幸福社区"]
                )
            }
            other => panic!("{other:?}"),
        }
        // The street alone can settle it.
        assert_eq!(
            ix.find(None, Some("和平街道"), Some("幸福社区")),
            Match::Found(2)
        );
    }

    fn city() -> CommunityIndex {
        CommunityIndex::new(
            vec![
                e(1, "青湖区", "枫林街道", "春园社区"),
                e(2, "白河区", "枫林街道", "春园社区"),
                e(3, "青湖区", "青湖街道", "秋实社区"),
                e(4, "白河区", "河西街道", "花园社区"),
                e(5, "白河区", "河西街道", "东花园社区"),
            ],
            &BTreeMap::new(),
        )
    }

    #[test]
    fn region_paths_with_every_separator() {
        let ix = city();
        for path in [
            "某省某市青湖区枫林街道春园社区",
            "青湖区枫林街道春园社区居委会",
            "某省>某市>青湖区>枫林街道>春园社区",
            "青湖区/枫林街道/春园社区",
            "青湖区-枫林街道-春园社区",
            "青湖区－枫林街道－春园社区",
            "青湖区 枫林街道 春园社区",
            "青湖 > 枫林 > 春园社区",
        ] {
            assert_eq!(ix.find_path(path), Match::Found(1), "{path}");
        }
        assert_eq!(ix.find_path("某市青湖区秋实社区"), Match::Found(3));
        assert_eq!(ix.find_path("青湖街道秋实社区"), Match::Found(3));
        assert_eq!(ix.find_path("秋实社区"), Match::Found(3));
        // A short form without 社区 at the end of an unseparated path.
        assert_eq!(ix.find_path("某市青湖区青湖街道秋实"), Match::Found(3));
        // The longer name wins over the name it ends with.
        assert_eq!(ix.find_path("白河区河西街道东花园社区"), Match::Found(5));
        assert_eq!(ix.find_path("白河区河西街道花园社区"), Match::Found(4));
    }

    #[test]
    fn ambiguous_and_unknown_paths_carry_candidates() {
        let ix = city();
        match ix.find_path("某市枫林街道春园社区") {
            Match::Ambiguous { candidates } => assert_eq!(
                candidates,
                vec!["青湖区/枫林街道/春园社区", "白河区/枫林街道/春园社区"]
            ),
            other => panic!("{other:?}"),
        }
        match ix.find_path("青湖区河西街道花园社区") {
            Match::Unknown { candidates } => {
                assert_eq!(candidates, vec!["白河区/河西街道/花园社区"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ix.find_path("某省某市黑山区新村社区"),
            Match::Unknown { .. }
        ));
        assert!(matches!(
            ix.find_path("青湖区>枫林街道>春园新社区"),
            Match::Unknown { .. }
        ));
        assert_eq!(ix.find_path(" / "), Match::Missing);
        // An alias at the end of a path without separators.
        let mut aliases = BTreeMap::new();
        aliases.insert("老秋实社区".to_string(), "秋实社区".to_string());
        let aliased = CommunityIndex::new(ix.entries.clone(), &aliases);
        assert_eq!(
            aliased.find_path("某市青湖区青湖街道老秋实社区"),
            Match::Found(3)
        );
        // A community column with a region column naming its district.
        assert_eq!(
            ix.find_in_region("白河区", None, "春园社区"),
            Match::Found(2)
        );
        assert_eq!(
            ix.find_in_region("某市青湖区枫林街道", None, "春园社区居委会"),
            Match::Found(1)
        );
    }

    #[test]
    fn unknown_gets_candidates_and_aliases_apply() {
        let ix = index();
        match ix.find(Some("东城区"), None, Some("站前新社区")) {
            Match::Unknown { candidates } => assert_eq!(candidates[0], "东城区/朝阳街道/站前社区"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ix.find(Some("北城区"), None, Some("幸福社区")),
            Match::Unknown { .. }
        ));
        assert_eq!(ix.find(None, None, Some("老站社区")), Match::Found(3));
        assert_eq!(ix.find(None, None, Some("老幸福")), Match::Found(2));
        assert_eq!(ix.find(None, None, Some("  ")), Match::Missing);
    }
}
