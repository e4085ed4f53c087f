//! `vbrief serve` over HTTP: the real binary on a free port, a plain HTTP/1.1 client. Sign-in,
//! cross-site and foreign-host refusals, uploads with hostile names, oversize uploads and zip
//! bombs, the job queue, the CLI told that the server holds the folder, and a report the CLI
//! made asked again in the web app.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{job_id, sample, start, start_in};
use common::{has_number, samples, BIN};

#[test]
fn sign_in_is_required_and_the_link_works_once() {
    let server = start(&[]);
    let r = server.request("GET", "/", &[], b"");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login"));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    let r = server.request("GET", "/login?token=00", &[], b"");
    assert_eq!(r.status, 403);
    let cookie = server.sign_in();
    let r = server.get(&cookie, "/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("从这里开始"), "{}", r.body);
    // The link is spent.
    let path = &server.login[server.login.find("/login").unwrap()..];
    assert_eq!(server.request("GET", path, &[], b"").status, 403);
    // Downloads need the session too.
    assert_eq!(
        server
            .request("GET", "/quality/community/x/rows.csv", &[], b"")
            .status,
        303
    );
}

#[test]
fn foreign_hosts_and_cross_site_posts_are_refused() {
    let server = start(&["--allowed-host", "office-pc"]);
    let cookie = server.sign_in();
    // DNS rebinding: a page of evil.example resolving to 127.0.0.1.
    let r = server.request(
        "GET",
        "/",
        &[("Host", "evil.example"), ("Cookie", &cookie)],
        b"",
    );
    assert_eq!(r.status, 421);
    let office = format!("office-pc:{}", server.port);
    let r = server.request("GET", "/", &[("Host", &office), ("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200, "an allowed host");

    let csrf = server.csrf(&cookie);
    let form = format!("csrf={csrf}&period=2025&custom=&district=");
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut all = vec![
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        all.extend_from_slice(headers);
        server.request("POST", "/briefing", &all, body.as_bytes())
    };
    // Another site's form, by Origin and by Sec-Fetch-Site.
    assert_eq!(
        post(&[("Origin", "http://evil.example")], &form).status,
        403
    );
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")], &form).status, 403);
    // No token, a wrong token.
    assert_eq!(post(&[], "period=2025").status, 403);
    assert_eq!(post(&[], "csrf=00&period=2025").status, 403);
    // Without a session.
    let r = server.request(
        "POST",
        "/briefing",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 401);
    // A period no year holds is refused at the form (it once crashed the worker).
    let far = format!("csrf={csrf}&period=2025&custom=-262143-01-01..-262143-01-02&district=");
    let origin = format!("http://{}", server.host());
    let r = post(&[("Origin", &origin)], &far);
    assert_eq!(r.status, 400, "{}", r.body);
    // The real form is taken (and fails politely: nothing is imported yet).
    let r = post(&[("Origin", &origin)], &form);
    assert_eq!(r.status, 303, "{}", r.body);
}

#[test]
fn hostile_file_names_are_display_text_only() {
    let server = start(&[]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let ledger = sample("01_人口台账.xlsx");
    let r = server.upload(
        &cookie,
        &csrf,
        &[
            ("../../x.xlsx", ledger.clone()),
            ("<script>alert(1)</script>.xlsx", ledger),
            ("notes.txt", b"hello".to_vec()),
        ],
    );
    let id = job_id(&r);
    let page = server.wait_job(&cookie, id);
    // Stored under names the server chose, inside inbox/uploads (names.json maps them to the
    // names shown), and deleted once imported: they hold ID numbers in the clear.
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
    let names: std::collections::BTreeMap<String, String> = serde_json::from_slice(
        &std::fs::read(server.dir.path().join("inbox/uploads/names.json")).unwrap(),
    )
    .unwrap();
    let stored: Vec<&String> = names.keys().collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(names.values().any(|v| v == "../../x.xlsx"));
    for name in &stored {
        assert!(
            name.ends_with(".xlsx")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !name.contains("script")
                && !name.starts_with('.'),
            "{name}"
        );
    }
    assert!(!server.dir.path().join("x.xlsx").exists());
    assert!(!server.dir.path().parent().unwrap().join("x.xlsx").exists());
    // Shown, escaped.
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;.xlsx"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "unescaped name");
    assert!(page.contains("notes.txt") && page.contains("只接受 .xlsx、.xls、.csv 文件"));
    assert!(page.contains("已导入"), "{page}");
}

#[test]
fn an_oversize_upload_is_refused_and_nothing_is_stored() {
    let server = start(&["--max-upload-mb", "1"]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let mut big = b"\xe5\x8c\xba\xe5\x8e\xbf,\xe7\xa4\xbe\xe5\x8c\xba\n".to_vec();
    big.resize(3 << 20, b'a');
    let r = server.upload(&cookie, &csrf, &[("big.csv", big)]);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(
        r.body.contains("文件太大") && r.body.contains("最多 1 MB"),
        "{}",
        r.body
    );
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_read() {
    let server = start(&["--max-unzipped-mb", "50"]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    // A zip whose one entry inflates 100 MB of zeros: small on the wire.
    let mut bomb = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut bomb);
        zip.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    let bomb = bomb.into_inner();
    assert!(bomb.len() < 1 << 20);
    let r = server.upload(
        &cookie,
        &csrf,
        &[("report.xlsx", bomb), ("fake.xlsx", b"not a zip".to_vec())],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("压缩炸弹"), "{}", r.body);
    assert!(r.body.contains("不是 xlsx 文件"), "{}", r.body);
    assert!(server.uploads().is_empty());
}

#[test]
fn jobs_queue_and_the_cli_is_told_the_server_holds_the_folder() {
    let server = start(&[]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let first =
        job_id(&server.upload(&cookie, &csrf, &[("人口.xlsx", sample("01_人口台账.xlsx"))]));
    let second = job_id(&server.upload(
        &cookie,
        &csrf,
        &[
            ("志愿者.csv", sample("02_志愿者注册信息_青山区.csv")),
            ("人口again.xlsx", sample("01_人口台账.xlsx")),
        ],
    ));
    assert_eq!((first, second), (1, 2));
    let page = server.wait_job(&cookie, second);
    assert!(
        page.contains("未变化"),
        "the same ledger again is not counted twice: {page}"
    );
    assert!(server.wait_job(&cookie, first).contains("已导入"));
    // A community's figures, with what `vbrief explain` counts (through the worker).
    let page = server.get(&cookie, "/community?q=%E4%B8%9C%E6%B9%BE").body;
    assert!(page.contains("东湾社区"), "{page}");
    assert!(page.contains("本社区志愿者（去重后）"), "{page}");
    assert!(
        page.contains("transforms&#x2F;sql&#x2F;03_volunteers.sql"),
        "{page}"
    );

    let run = Command::new(BIN)
        .args(["report", "--workdir", server.dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("vbrief serve 正在使用这个工作目录"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_newcomer_sets_up_maps_compares_in_a_real_browser() {
    let server = start(&[]);
    let pdf = server.dir.path().join("downloaded.pdf");
    let xlsx = server.dir.path().join("downloaded.xlsx");
    // A population ledger in an office's own words (居委会名称, 人口总数): refused until its
    // columns are mapped in the page. Older figures (2023): the 2025 figures do not change.
    let extra = server.dir.path().join("人口台账_本地格式.csv");
    std::fs::write(
        &extra,
        "区县,街道,居委会名称,人口总数,统计年份\n青山区,青云街道,春园社区,5000,2023\n青山区,青云街道,幸福社区,4000,2023\n",
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/serve_flow.py");
    let mut args = vec![
        script.to_str().unwrap().to_string(),
        server.login.clone(),
        samples().to_str().unwrap().to_string(),
        extra.to_str().unwrap().to_string(),
        pdf.to_str().unwrap().to_string(),
        xlsx.to_str().unwrap().to_string(),
        "2025".into(),
        "河东区".into(),
    ];
    // VBRIEF_SHOTS=DIR keeps a screenshot of every page at 1280 and 390 px, to look at.
    if let Ok(shots) = std::env::var("VBRIEF_SHOTS") {
        args.push(shots);
    }
    let out = Command::new("python3")
        .args(&args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed (scripts/test installs it and Playwright): {e}")
        });
    assert!(
        out.status.success(),
        "the browser run failed (scripts/test installs Playwright: pip install playwright==1.65.2):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The settings the pages saved are the folder's, comments kept.
    let toml = std::fs::read_to_string(server.dir.path().join("vbrief.toml")).unwrap();
    assert!(toml.contains("name = \"青山市\""), "{toml}");
    assert!(toml.contains("\"居委会名称\" = \"community\""), "{toml}");
    assert!(toml.contains("\"老春园\" = \"春园社区\""), "{toml}");
    assert!(toml.contains("# 城市名称"), "{toml}");
    // The mapped file was imported from the stored upload, which is gone now.
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
    // The downloaded PDF states the district's registration rate of indicators.json, under
    // the city's new name.
    let json = std::fs::read_to_string(
        server
            .dir
            .path()
            .join("out/2025-河东区/indicators/indicators.json"),
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(json.trim_start_matches('\u{FEFF}')).unwrap();
    let rate = json["levels"]["district"][0]["registration_rate"]
        .as_f64()
        .unwrap();
    let text = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is needed");
    let text: String = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect();
    assert!(text.contains("河东区"), "the district's briefing");
    // In the title: the office's name, typed at the set-up, holds the city's name too.
    assert!(
        text.contains("青山市社区志愿服务评估简报"),
        "the city's name from the set-up"
    );
    assert!(
        has_number(&text, &format!("{:.2}%", rate * 100.0)),
        "the PDF lacks the registration rate {rate}"
    );
    // The comparison table, read back: every community of the district, the first the one
    // the page listed first, per-capita hours as numbers, highest first.
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
    let sheet = book.worksheet_range("社区对比").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[1][2], "社区");
    let first = std::fs::read_to_string(format!("{}.first", xlsx.display())).unwrap();
    assert_eq!(rows[2][2], first.trim());
    let at = rows[1]
        .iter()
        .position(|h| h == "人均时长（小时）")
        .unwrap();
    let data: Vec<&Vec<String>> = rows[2..]
        .iter()
        .filter(|r| r.get(2).is_some_and(|c| !c.is_empty() && c != "合计"))
        .collect();
    // Every figure a number (none dropped unread), highest first.
    let hours: Vec<f64> = data
        .iter()
        .map(|r| r[at].as_str())
        .filter(|c| !c.is_empty() && *c != "—")
        .map(|c| {
            c.parse()
                .unwrap_or_else(|_| panic!("per-capita hours {c:?}"))
        })
        .collect();
    assert!(
        hours.len() > 3 && hours.windows(2).all(|w| w[0] >= w[1]),
        "{hours:?}"
    );
    let communities = json["levels"]["community"].as_array().unwrap().len();
    assert_eq!(
        data.len(),
        communities,
        "one row per community of the district"
    );
}

/// Every sample export, in name order, as (name, bytes).
fn all_samples() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(samples())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".xlsx") || n.ends_with(".xls") || n.ends_with(".csv"))
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), sample(&n))).collect()
}

fn city_csv(dir: &std::path::Path) -> String {
    let run = Command::new(BIN)
        .args([
            "report",
            "--workdir",
            dir.to_str().unwrap(),
            "--period",
            "2025",
            "--out",
        ])
        .arg(dir.join("o"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(dir.join("o/indicators/city.csv")).unwrap()
}

#[test]
fn a_server_killed_during_an_ingest_leaves_the_warehouse_consistent() {
    let mut server = start(&[]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let files = all_samples();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let id = job_id(&server.upload(&cookie, &csrf, &refs));
    // Kill it while it reads the 2025 hour records (the largest file).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = server.get(&cookie, &format!("/jobs/{id}")).body;
        if page.contains("05_服务时长记录_2025") && page.contains("读取 reading") {
            break;
        }
        assert!(
            !page.contains("data-finished=\"true\""),
            "finished before it could be killed"
        );
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Restarted on the same folder (the lock of the dead server does not count), the same
    // files again: everything is loaded once.
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    drop(server);
    let server = start_in(dir, &[]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let page = server.wait_job(&cookie, job_id(&server.upload(&cookie, &csrf, &refs)));
    assert!(page.contains("已导入"), "{page}");
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let after_kill = city_csv(server.dir.path());

    // The same exports ingested once, by the CLI, on a fresh folder.
    let clean = tempfile::tempdir().unwrap();
    let inbox = clean.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for (name, bytes) in &files {
        std::fs::write(inbox.join(name), bytes).unwrap();
    }
    let run = Command::new(BIN)
        .args(["ingest", "--workdir", clean.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(after_kill, city_csv(clean.path()));
}

/// A report made on the command line, then the same report asked for in the web app: nothing
/// changed, so its files are left as written, and the job lists them (the folder named
/// relative to the working folder by one, absolute by the other).
#[test]
fn the_same_report_from_the_web_app_after_the_command_line_lists_the_files_left_as_written() {
    let env = common::sample_env();
    let run = Command::new(BIN)
        .args(["run", "--workdir", ".", "--period", "2025"])
        .current_dir(env.path())
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = env.path().join("out/2025/briefing.pdf");
    let written_at = std::fs::metadata(&pdf).unwrap().modified().unwrap();

    let server = start_in(env.dir, &[]);
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let origin = format!("http://{}", server.host());
    let r = server.request(
        "POST",
        "/briefing",
        &[
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
        ],
        format!("csrf={csrf}&period=2025&custom=&district=").as_bytes(),
    );
    let page = server.wait_job(&cookie, job_id(&r));
    // (the page escapes the slash)
    for file in [
        "briefing.pdf",
        "briefing.docx",
        "星级认定名单.xlsx",
        "indicators&#x2F;city.csv",
    ] {
        assert!(page.contains(file), "{file} listed: {page}");
    }
    let pdf = server.dir.path().join("out/2025/briefing.pdf");
    assert_eq!(
        std::fs::metadata(&pdf).unwrap().modified().unwrap(),
        written_at,
        "left as written"
    );
}
