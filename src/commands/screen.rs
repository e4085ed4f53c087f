//! `vbrief screen`: the screening of padded hours for a period (the work is
//! `workdir::screen`); prints each rule's count and the communities with the largest share of
//! flagged hours, and the files written.

use std::path::Path;

use crate::cli::ScreenArgs;
use crate::exit;
use workdir::screen::ScreenRequest;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ScreenArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    let request = ScreenRequest {
        period: args.period.clone(),
        district: args.district.clone(),
        out: args.out.clone(),
    };
    let outcome = match crate::commands::report::engine_over_export(&args.engine)? {
        None => workdir::screen::write_screening(&ws, &request)?,
        Some(engine) => {
            let source = workdir::Source::Engine {
                engine: engine.as_ref(),
                config: ws.config(),
                dir: ws.dir(),
            };
            workdir::screen::write_screening_from(source, &request)?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.screening)?);
        return Ok(exit::OK);
    }
    let m = &outcome.model;
    println!(
        "时长核查 Screening — {} {}：有效记录 {} 条，被列 {} 条（{} 小时）",
        m.period, m.scope, m.total_records, m.total_flagged, m.total_flagged_hours
    );
    for r in &m.rules {
        println!(
            "  {:<20} {:>7} 条 records {:>10} 小时  {} 个社区  {}",
            r.id, r.records, r.hours, r.communities, r.name
        );
    }
    let mut worst: Vec<&reports::screening::CommunityLine> = m
        .communities
        .iter()
        .filter(|c| c.flagged_records > 0)
        .collect();
    worst.sort_by(|a, b| {
        let share = |c: &reports::screening::CommunityLine| {
            c.flagged_share
                .trim_end_matches('%')
                .parse::<f64>()
                .unwrap_or(0.0)
        };
        share(b).total_cmp(&share(a))
    });
    if !worst.is_empty() {
        println!("  被列时长占比最高的社区 communities with the largest flagged share:");
        for c in worst.iter().take(10) {
            println!(
                "    {}/{}/{}: {} 条，{} 小时（{}）；人均 {} → 去掉后 {}",
                c.district,
                c.street,
                c.community,
                c.flagged_records,
                c.flagged_hours,
                c.flagged_share,
                c.per_capita_hours,
                c.per_capita_hours_unflagged
            );
        }
    }
    for path in &outcome.written {
        println!("  → {}", path.display());
    }
    Ok(exit::OK)
}
