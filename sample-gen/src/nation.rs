//! The shape of a national-shaped data set at a fraction of the nation (`vbrief gen --nation`):
//! which communities exist, under which street, district, city and province, and how many
//! residents, volunteers, service records and teams each has. The rows themselves are made
//! from this shape by `workdir::national`, in SQL, and written as one Parquet export per
//! province.
//!
//! The proportions are the nation's:
//! - the 31 provinces with their resident population (第七次全国人口普查, 2020, 万人; 140,977
//!   万 in all, the census's 141,178 less the servicemen counted apart) and
//!   their number of prefecture-level divisions (地级行政区; a municipality counts as one);
//! - ≈ 60 万 villages and urban communities (村（居）民委员会), ≈ 3.9 万 streets and towns,
//!   2,844 county-level districts;
//! - [`NATION_VOLUNTEERS`] registered volunteers and [`NATION_RECORDS`] service records (the
//!   figures of the issue that asked for this data: 2.4 亿 volunteers, 53.6 亿 hours, read as
//!   one record per hour), [`NATION_TEAMS`] teams (an assumption: ≈ 135 万 volunteer teams).
//!
//! At a fraction f the nation has f × 60 万 communities, so that a community keeps a real
//! community's size (≈ 2,350 residents, ≈ 400 volunteers). Provinces are always the 31,
//! each with its population's share of the communities (at least one). A province has one
//! city per ≈ [`COMMUNITIES_PER_CITY_AT_LEAST`] of its communities, up to its real number of
//! cities; a city one district per ≈ 211 communities (the real average); a district one
//! street per ≈ 15 communities. As f grows the shape becomes the real one.

use crate::rng::Rng;

/// Registered volunteers of the nation (end of 2024).
pub const NATION_VOLUNTEERS: f64 = 2.4e8;
/// Service records of the nation (53.6 亿 hours read as one record per hour).
pub const NATION_RECORDS: f64 = 5.36e9;
/// Volunteer teams of the nation (an assumption, see the module's text).
pub const NATION_TEAMS: f64 = 1.35e6;
/// Villages and urban communities of the nation.
pub const NATION_COMMUNITIES: f64 = 6.0e5;
/// A city is made for about this many communities of a province, up to its real count.
pub const COMMUNITIES_PER_CITY_AT_LEAST: usize = 10;
const COMMUNITIES_PER_DISTRICT: f64 = 211.0;
const COMMUNITIES_PER_STREET: f64 = 15.0;

/// (name, resident population in 万, prefecture-level divisions).
pub const PROVINCES: [(&str, f64, usize); 31] = [
    ("北京市", 2189.0, 1),
    ("天津市", 1387.0, 1),
    ("河北省", 7461.0, 11),
    ("山西省", 3492.0, 11),
    ("内蒙古自治区", 2405.0, 12),
    ("辽宁省", 4259.0, 14),
    ("吉林省", 2407.0, 9),
    ("黑龙江省", 3185.0, 13),
    ("上海市", 2487.0, 1),
    ("江苏省", 8475.0, 13),
    ("浙江省", 6457.0, 11),
    ("安徽省", 6103.0, 16),
    ("福建省", 4154.0, 9),
    ("江西省", 4519.0, 11),
    ("山东省", 10153.0, 16),
    ("河南省", 9937.0, 17),
    ("湖北省", 5775.0, 13),
    ("湖南省", 6644.0, 14),
    ("广东省", 12601.0, 21),
    ("广西壮族自治区", 5013.0, 14),
    ("海南省", 1008.0, 4),
    ("重庆市", 3205.0, 1),
    ("四川省", 8367.0, 21),
    ("贵州省", 3856.0, 9),
    ("云南省", 4721.0, 16),
    ("西藏自治区", 365.0, 7),
    ("陕西省", 3953.0, 10),
    ("甘肃省", 2502.0, 14),
    ("青海省", 592.0, 8),
    ("宁夏回族自治区", 720.0, 5),
    ("新疆维吾尔自治区", 2585.0, 14),
];

/// One community of the national-shaped set.
#[derive(Debug, Clone, PartialEq)]
pub struct NationCommunity {
    /// 0-based position in [`PROVINCES`]: the export it is written to.
    pub province_no: usize,
    pub province: String,
    pub city: String,
    pub district: String,
    pub street: String,
    pub community: String,
    pub population: u64,
    pub volunteers: u64,
    pub records: u64,
    pub teams: u64,
    /// Persons of the community are numbered `first_person ..`, records `first_record ..`.
    pub first_person: u64,
    pub first_record: u64,
}

/// The communities of the nation at `fraction`, in province order.
pub fn communities(fraction: f64, seed: u64) -> Vec<NationCommunity> {
    let mut rng = Rng::new(seed ^ 0x4E41_5449_4F4E);
    let total_population: f64 = PROVINCES.iter().map(|p| p.1).sum();
    let n_total = (NATION_COMMUNITIES * fraction)
        .round()
        .max(PROVINCES.len() as f64);
    let mut out = Vec::new();
    // Raw weights first (population, volunteers, records, teams), scaled to the totals after.
    let mut weights: Vec<(f64, f64, f64)> = Vec::new();
    for (province_no, (province, people, cities_real)) in PROVINCES.iter().enumerate() {
        let share = people / total_population;
        let n = ((n_total * share).round() as usize).max(1);
        let cities = (n / COMMUNITIES_PER_CITY_AT_LEAST).clamp(1, *cities_real);
        // Registration differs between provinces: 0.6 … 1.4 of the national rate.
        let province_factor = 0.6 + 0.8 * rng.unit();
        let per_community_people = people * 1e4 * fraction / n as f64;
        for (city_no, city_n) in split(n, cities).into_iter().enumerate() {
            let city = if *cities_real == 1 {
                province.to_string()
            } else {
                format!("{}{}市", short(province), city_no + 1)
            };
            let districts = ((city_n as f64 / COMMUNITIES_PER_DISTRICT).round() as usize).max(1);
            for (district_no, district_n) in split(city_n, districts).into_iter().enumerate() {
                let district = format!("{}区", district_no + 1);
                let streets =
                    ((district_n as f64 / COMMUNITIES_PER_STREET).round() as usize).max(1);
                for (street_no, street_n) in split(district_n, streets).into_iter().enumerate() {
                    let street = format!("{}街道", street_no + 1);
                    for community_no in 0..street_n {
                        let population = (per_community_people * (0.5 + rng.unit()))
                            .round()
                            .max(50.0);
                        let registration = province_factor * (0.5 + rng.unit());
                        let activity = 0.3 + 1.4 * rng.unit();
                        weights.push((
                            population,
                            population * registration,
                            population * registration * activity,
                        ));
                        out.push(NationCommunity {
                            province_no,
                            province: province.to_string(),
                            city: city.clone(),
                            district: district.clone(),
                            street: street.clone(),
                            community: format!("{}社区", community_no + 1),
                            population: population as u64,
                            volunteers: 0,
                            records: 0,
                            teams: 0,
                            first_person: 0,
                            first_record: 0,
                        });
                    }
                }
            }
        }
    }
    let volunteers = allocate(
        (NATION_VOLUNTEERS * fraction).round() as u64,
        &weights.iter().map(|w| w.1).collect::<Vec<_>>(),
    );
    let records = allocate(
        (NATION_RECORDS * fraction).round() as u64,
        &weights.iter().map(|w| w.2).collect::<Vec<_>>(),
    );
    let teams = allocate(
        (NATION_TEAMS * fraction).round() as u64,
        &weights.iter().map(|w| w.1).collect::<Vec<_>>(),
    );
    // Each province's residents are its census population × fraction, exactly.
    for (province_no, (_, people, _)) in PROVINCES.iter().enumerate() {
        let members: Vec<usize> = (0..out.len())
            .filter(|&i| out[i].province_no == province_no)
            .collect();
        let residents = allocate(
            (people * 1e4 * fraction).round() as u64,
            &members.iter().map(|&i| weights[i].0).collect::<Vec<_>>(),
        );
        for (&i, n) in members.iter().zip(residents) {
            out[i].population = n.max(1);
        }
    }
    let (mut person, mut record) = (0, 0);
    for (i, c) in out.iter_mut().enumerate() {
        c.volunteers = volunteers[i];
        // A record needs a person to belong to.
        c.records = if c.volunteers == 0 { 0 } else { records[i] };
        c.teams = teams[i];
        c.first_person = person;
        c.first_record = record;
        person += c.volunteers;
        record += c.records;
    }
    out
}

/// A province's name without its suffix (江苏省 → 江苏), for its cities' names.
fn short(province: &str) -> &str {
    for suffix in [
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "省",
        "市",
    ] {
        if let Some(s) = province.strip_suffix(suffix) {
            return s;
        }
    }
    province
}

/// `n` items in `parts` groups as equal as can be (the first ones one larger).
fn split(n: usize, parts: usize) -> Vec<usize> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|i| n / parts + usize::from(i < n % parts))
        .collect()
}

/// `total` split in proportion to `weights`, exactly (largest remainders).
fn allocate(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut out: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total - out.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousandth_of_the_nation_has_its_totals_and_its_provinces() {
        let c = communities(0.001, 1);
        assert_eq!(c.iter().map(|c| c.volunteers).sum::<u64>(), 240_000);
        assert_eq!(c.iter().map(|c| c.records).sum::<u64>(), 5_360_000);
        assert_eq!(c.iter().map(|c| c.teams).sum::<u64>(), 1_350);
        // 60 万 × 1/1000, each province's share rounded.
        assert!((595..=605).contains(&c.len()), "{}", c.len());
        let provinces: std::collections::BTreeSet<_> = c.iter().map(|c| &c.province).collect();
        assert_eq!(provinces.len(), 31);
        // 广东 has 12601 / 140977 of the people, and so of the communities.
        let guangdong: Vec<_> = c.iter().filter(|c| c.province == "广东省").collect();
        assert_eq!(
            guangdong.len(),
            (600.0f64 * 12601.0 / 140977.0).round() as usize
        );
        // And its residents are its census population × the fraction.
        assert_eq!(guangdong.iter().map(|c| c.population).sum::<u64>(), 126_010);
        // Persons and records are numbered without gaps or overlaps.
        for w in c.windows(2) {
            assert_eq!(w[1].first_person, w[0].first_person + w[0].volunteers);
            assert_eq!(w[1].first_record, w[0].first_record + w[0].records);
        }
    }

    #[test]
    fn the_tree_grows_toward_the_real_one() {
        let cities = |f: f64| {
            let c = communities(f, 1);
            let set: std::collections::BTreeSet<_> = c
                .iter()
                .map(|c| (c.province.clone(), c.city.clone()))
                .collect();
            set.len()
        };
        let real: usize = PROVINCES.iter().map(|p| p.2).sum();
        assert!(cities(0.001) < cities(0.01));
        assert!(cities(0.01) <= real);
        assert_eq!(cities(0.1), real);
        // Paths are unique: no two communities share one.
        let c = communities(0.01, 1);
        let paths: std::collections::BTreeSet<_> = c
            .iter()
            .map(|c| (&c.province, &c.city, &c.district, &c.street, &c.community))
            .collect();
        assert_eq!(paths.len(), c.len());
    }

    #[test]
    fn allocation_is_exact_and_proportional() {
        assert_eq!(allocate(10, &[1.0, 1.0, 2.0]), vec![3, 2, 5]);
        assert_eq!(allocate(0, &[1.0]), vec![0]);
        assert_eq!(split(7, 3), vec![3, 2, 2]);
        assert_eq!(short("广西壮族自治区"), "广西");
    }
}
