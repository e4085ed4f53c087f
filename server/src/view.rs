//! The folder as the pages show it: [`workdir::snapshot`] (what was ingested, the default
//! period's figures, the checks with their files, the years with records), worded for the
//! pages. The worker recomputes it after every job that changes the folder, so pages render
//! without waiting for the warehouse.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// What the pages show, as of the last job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FolderView {
    /// The city or the issuing office is still the default of a new folder (示例市): the
    /// overview leads to the set-up form.
    pub setup_needed: bool,
    pub city: String,
    pub office: String,
    pub has_warehouse: bool,
    pub files: Vec<FileFacts>,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// The default period, as an office writes it (2025年).
    pub period: String,
    /// Its label (2025).
    pub period_label: String,
    pub headline: Vec<reports::briefing::Headline>,
    pub checks: Vec<reports::quality::CheckLine>,
    pub communities: Vec<workdir::check::CommunityQuality>,
    /// Every unit's figures for the default period (the community page reads them).
    #[serde(skip)]
    pub indicators: Option<std::sync::Arc<transforms::Indicators>>,
    pub districts: Vec<String>,
    pub years: Vec<i32>,
    /// The records' status words with their counts and lists.
    pub status_words: Vec<transforms::status::StatusWord>,
    /// Every community (district, street, community, id) of the default period, for links and
    /// the alias form.
    pub communities_all: Vec<(String, String, String, i32)>,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFacts {
    /// The file as the client named it (for an upload), with its sheet.
    pub name: String,
    pub kind: String,
    pub accepted: u64,
    pub quarantined: u64,
}

/// The city's name and office in `view`, and whether the set-up is still needed (either is
/// still the sample's).
pub fn set_city(view: &mut FolderView, city: &domain::config::City) {
    let default_city = domain::config::City::default();
    view.setup_needed = city.name == default_city.name || city.office == default_city.office;
    view.city = city.name.clone();
    view.office = city.office.clone();
}

/// The view of `dir` now (an empty one when it has no warehouse yet).
pub fn compute(dir: &Path) -> Result<FolderView, String> {
    let ws = workdir::Workspace::open(dir).map_err(|e| e.to_string())?;
    let mut setup = FolderView::default();
    set_city(&mut setup, &ws.config().city);
    let Some(snapshot) = workdir::snapshot::snapshot(&ws).map_err(|e| e.to_string())? else {
        return Ok(setup);
    };
    let uploads = crate::upload::known_names(&crate::upload::upload_dir(dir));
    let summary = snapshot.summary();
    let files: Vec<FileFacts> = summary
        .files
        .iter()
        .map(|f| FileFacts {
            name: {
                let path = display_name(&uploads, &f.path);
                if f.sheet.is_empty() {
                    path
                } else {
                    format!("{path}（{}）", f.sheet)
                }
            },
            kind: domain::SourceKind::from_name(&f.kind)
                .map_or("—", |k| k.label_zh())
                .to_string(),
            accepted: f.accepted as u64,
            quarantined: f.quarantined as u64,
        })
        .collect();
    let model = reports::briefing::build(
        &snapshot.indicators,
        ws.config(),
        summary,
        &snapshot.quality.report.checks,
        &reports::briefing::BriefingOptions::default(),
    );
    Ok(FolderView {
        has_warehouse: true,
        setup_needed: setup.setup_needed,
        city: setup.city,
        office: setup.office,
        rows_accepted: files.iter().map(|f| f.accepted).sum(),
        rows_quarantined: files.iter().map(|f| f.quarantined).sum(),
        files,
        period: model.period_label.clone(),
        period_label: snapshot.indicators.period_label.clone(),
        headline: model.headline,
        checks: snapshot
            .quality
            .report
            .checks
            .iter()
            .map(reports::quality::CheckLine::of)
            .collect(),
        communities: snapshot.quality.communities,
        districts: snapshot
            .indicators
            .level("district")
            .map(|r| r.district.clone())
            .collect(),
        communities_all: snapshot
            .indicators
            .level("community")
            .map(|r| {
                (
                    r.district.clone(),
                    r.street.clone(),
                    r.community.clone(),
                    r.community_id,
                )
            })
            .collect(),
        indicators: Some(std::sync::Arc::new(snapshot.indicators)),
        years: snapshot.years,
        status_words: snapshot.status_words,
        error: String::new(),
    })
}

/// A stored upload's name as the client gave it (display text), else the text itself.
pub fn display_name(names: &BTreeMap<String, String>, label: &str) -> String {
    let mut shown = label.to_string();
    for (stored, name) in names {
        let in_folder = format!("{}/{}/{stored}", workdir::INBOX, crate::upload::UPLOAD_DIR);
        shown = shown
            .replace(&in_folder, name)
            .replace(stored.as_str(), name);
    }
    shown
}
