//! The web app without dead ends, over HTTP: settings saved only when valid and never over a
//! concurrent edit; a refused upload kept, mapped and imported without a second upload, then
//! swept after its retention and at start-up; CSV cells that would start a formula
//! neutralized; slow clients cut off while others stay fast; HTTPS with a `Secure` cookie.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{job_id, sample, start, start_in, Response, Server};
use common::{Env, BIN};

/// A population ledger in an office's own words: refused until mapped.
const OWN_HEADERS: &str =
    "区县,街道,居委会名称,人口总数,统计年份\n青山区,青云街道,春园社区,5000,2023\n";

/// A value of the first `name="…" value="…"` field of a page.
fn field_value(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page.find(&key).unwrap_or_else(|| panic!("no {name} field")) + key.len();
    page[at..].split('"').next().unwrap().to_string()
}

fn post_form(server: &Server, cookie: &str, path: &str, body: &str) -> Response {
    let origin = format!("http://{}", server.host());
    server.request(
        "POST",
        path,
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
        ],
        body.as_bytes(),
    )
}

/// `application/x-www-form-urlencoded` of the pairs.
/// The settings page's city form, saved as 青山市 / 青山市文明办 (and `extra` fields).
fn save_city(
    server: &Server,
    cookie: &str,
    csrf: &str,
    version: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut pairs = vec![
        ("csrf", csrf),
        ("version", version),
        ("action", "city"),
        ("city_name", "青山市"),
        ("city_office", "青山市文明办"),
    ];
    pairs.extend_from_slice(extra);
    post_form(server, cookie, "/settings", &encode(&pairs))
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A folder made by `vbrief init`, served.
fn started_with_config() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let init = Command::new(BIN)
        .args(["init", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success());
    start_in(dir, &[])
}

#[test]
fn a_setting_that_fails_validation_writes_nothing_and_a_cli_edit_is_not_overwritten() {
    let server = started_with_config();
    let cookie = server.sign_in();
    let config = server.dir.path().join("vbrief.toml");
    let before = std::fs::read(&config).unwrap();
    let page = server.get(&cookie, "/settings").body;
    let (csrf, version) = (field_value(&page, "csrf"), field_value(&page, "version"));

    // A registration target of 1500% and thresholds that do not increase: refused beside the
    // field, nothing written, no backup.
    let r = post_form(
        &server,
        &cookie,
        "/settings",
        &encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("action", "targets"),
            ("value_registration_rate", "1500%"),
            ("source_registration_rate", "某文件"),
        ]),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("field-error"), "{}", r.body);
    assert!(
        r.body.contains("targets.registration_rate.value"),
        "{}",
        r.body
    );
    let r = post_form(
        &server,
        &cookie,
        "/settings",
        &encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("action", "stars"),
            ("star1", "100"),
            ("star2", "50"),
            ("star3", "600"),
            ("star4", "1000"),
            ("star5", "1500"),
        ]),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // The screening's criteria: a streak of half a day, and an inspection date in words.
    for (name, value) in [("streak_days", "7.5"), ("inspection_date", "11月15日")] {
        let page = server.get(&cookie, "/settings").body;
        let mut form: Vec<(String, String)> = ["long_day_hours", "streak_days", "inspection_date"]
            .iter()
            .map(|n| (n.to_string(), field_value(&page, n)))
            .collect();
        form.retain(|(n, _)| n != name);
        form.push((name.to_string(), value.to_string()));
        let mut pairs: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("version", &version),
            ("action", "screening"),
        ];
        pairs.extend(form.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let r = post_form(&server, &cookie, "/settings", &encode(&pairs));
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(r.body.contains("field-error"), "{}", r.body);
    }
    assert_eq!(std::fs::read(&config).unwrap(), before);
    assert!(!server.dir.path().join(".vbrief-backups").exists());

    // Someone edits the file from the command line meanwhile: the page's save is refused.
    let mut edited = before.clone();
    edited.extend_from_slice("\n# 命令行中修改 edited from the CLI\n".as_bytes());
    std::fs::write(&config, &edited).unwrap();
    let r = save_city(&server, &cookie, &csrf, &version, &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("已被修改"), "{}", r.body);
    assert_eq!(std::fs::read(&config).unwrap(), edited);

    // Saved from the page as it now is: written, with the CLI's edit, a backup and a log line.
    let page = server.get(&cookie, "/settings").body;
    let version = field_value(&page, "version");
    let r = save_city(&server, &cookie, &csrf, &version, &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("name = \"青山市\"") && text.contains("edited from the CLI"));
    let page = server.get(&cookie, "/settings?saved=2").body;
    assert!(page.contains("已保存 2 项修改"), "{page}");
    assert!(page.contains("city.office"), "{page}");
    let backups = std::fs::read_dir(server.dir.path().join(".vbrief-backups"))
        .unwrap()
        .count();
    assert_eq!(backups, 2, "the previous file and the change log");
    // The screening's criteria are settings like any other.
    let page = server.get(&cookie, "/settings").body;
    let version = field_value(&page, "version");
    let r = post_form(
        &server,
        &cookie,
        "/settings",
        &encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("action", "screening"),
            ("streak_days", "7"),
            ("inspection_date", "2025-11-15"),
        ]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let text = std::fs::read_to_string(&config).unwrap();
    // A key and value as a line of their own, its comment aside: the default file's comments
    // name an inspection_date too, and "= 7" is found in "= 70".
    let set = |kv: &str| {
        text.lines()
            .any(|l| l.split('#').next().unwrap().trim() == kv)
    };
    assert!(
        set("streak_days = 7") && set("inspection_date = \"2025-11-15\""),
        "{text}"
    );
    // The overview no longer asks for the set-up.
    let overview = server.get(&cookie, "/").body;
    assert!(!overview.contains("请先完成设置"), "{overview}");
}

#[test]
fn a_refused_upload_is_mapped_imported_without_a_second_upload_and_swept() {
    let mut server = started_with_config();
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    let id = job_id(&server.upload(
        &cookie,
        &csrf,
        &[
            ("人口.xlsx", sample("01_人口台账.xlsx")),
            ("本地人口.csv", OWN_HEADERS.as_bytes().to_vec()),
        ],
    ));
    let page = server.wait_job(&cookie, id);
    assert!(page.contains("部分完成"), "{page}");
    assert!(page.contains("对应列并重新导入"), "{page}");
    // The overview says so too.
    let overview = server.get(&cookie, "/").body;
    assert!(
        overview.contains("部分完成") && overview.contains("本地人口.csv"),
        "{overview}"
    );
    let kept = server.uploads();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let stored = &kept[0];
    let mapping = server
        .get(&cookie, &format!("/uploads/{stored}/mapping"))
        .body;
    assert!(
        mapping.contains("value=\"community\" selected"),
        "{mapping}"
    );
    assert!(
        mapping.contains("value=\"population\" selected"),
        "{mapping}"
    );
    // A mapping the settings refuse writes nothing and keeps the file.
    let config = server.dir.path().join("vbrief.toml");
    let before = std::fs::read(&config).unwrap();
    let version = field_value(&mapping, "version");
    let twice = post_form(
        &server,
        &cookie,
        &format!("/uploads/{stored}/mapping"),
        &encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("h2", "community"),
            ("h3", "community"),
        ]),
    );
    assert_eq!(twice.status, 422, "{}", twice.body);
    assert_eq!(std::fs::read(&config).unwrap(), before);
    // Saved as suggested: the same stored file imported again.
    let r = post_form(
        &server,
        &cookie,
        &format!("/uploads/{stored}/mapping"),
        &encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("h2", "community"),
            ("h3", "population"),
        ]),
    );
    let page = server.wait_job(&cookie, job_id(&r));
    assert!(page.contains("mark done"), "{page}");
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("[headers.communities]"), "{text}");

    // Another refused upload, past its retention when the server starts again, and a file
    // left by a crash: both go at start-up.
    let id = job_id(&server.upload(
        &cookie,
        &csrf,
        &[(
            "又一个.csv",
            OWN_HEADERS.replace("居委会名称", "片区名").into_bytes(),
        )],
    ));
    server.wait_job(&cookie, id);
    assert_eq!(server.uploads().len(), 1);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let uploads = server.dir.path().join("inbox/uploads");
    let registry = uploads.join("pending.json");
    let mut pending: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&registry).unwrap()).unwrap();
    for (_, p) in pending.as_object_mut().unwrap() {
        p["since"] = serde_json::json!(p["since"].as_u64().unwrap() - 24 * 3600 - 1);
    }
    std::fs::write(&registry, pending.to_string()).unwrap();
    std::fs::write(uploads.join("20260101000000-001-deadbeef.csv"), OWN_HEADERS).unwrap();
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    drop(server);
    let server = start_in(dir, &[]);
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
    let cookie = server.sign_in();
    assert!(!server.get(&cookie, "/").body.contains("又一个.csv"));
}

#[test]
fn formula_cells_are_neutralized_in_every_csv() {
    let env = Env::new();
    env.csv(
        "人口台账.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "=cmd|' /C calc'!A0,+街道,=1+2社区,1000,2025",
            "青湖区,枫林街道,@春园社区,1000,2025",
        ],
    );
    env.csv(
        "志愿者.csv",
        &[
            "志愿者编号,姓名,注册时间,所属区县,所属街道,所属社区",
            "V1,张三,2024-01-01,=cmd|' /C calc'!A0,+街道,=1+2社区",
            "V2,李四,2024-01-01,青湖区,枫林街道,-2+3社区",
        ],
    );
    env.csv(
        "时长.csv",
        &[
            "志愿者编号,服务日期,服务时长,项目名称",
            "V1,2025-03-01,2.5,=HYPERLINK(\"http://x\")",
        ],
    );
    env.ingest_and_report(&["--period", "2025"]).code(0);
    env.check(&[]);
    let mut checked = 0;
    let mut stack = vec![env.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("inbox") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "csv") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
            for record in reader.records() {
                for cell in record.unwrap().iter() {
                    checked += 1;
                    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                    assert!(
                        !risky || cell.trim().parse::<f64>().is_ok(),
                        "{}: a cell starts a formula: {cell:?}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(checked > 100, "{checked} cells");
    // The names are still there, behind the quote, and numbers stay numbers.
    let community =
        std::fs::read_to_string(env.path().join("out/2025/indicators/community.csv")).unwrap();
    assert!(community.contains("'=1+2社区"), "{community}");
    assert!(community.contains("'@春园社区"), "{community}");
    let quarantine = std::fs::read_to_string(env.path().join("quarantine.csv")).unwrap();
    assert!(
        quarantine.contains("'-2+3社区") || quarantine.contains("-2+3社区"),
        "{quarantine}"
    );
}

#[test]
fn slow_header_clients_are_cut_off_while_other_requests_stay_fast() {
    let server = start(&[]);
    // Twenty clients that send a header line every second and never finish.
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(8) {
        for s in &mut slow {
            let _ = s.write_all(b"X-Slow: 1\r\n");
        }
        let t = Instant::now();
        let r = server.request("GET", "/login", &[], b"");
        assert_eq!(r.status, 200);
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(slowest < Duration::from_secs(2), "a page took {slowest:?}");
    // Past the 10 s limit every slow client is cut off.
    std::thread::sleep(Duration::from_secs(4));
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(b"X-Slow: 1\r\n");
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).unwrap_or(0);
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(
            n == 0 || answer.starts_with("HTTP/1.1 408"),
            "still open: {answer}"
        );
    }
    // One address cannot hold more than 64 connections: the next is closed at once.
    let held: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let _ = extra.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let mut buf = [0u8; 64];
    assert_eq!(
        extra.read(&mut buf).unwrap_or(0),
        0,
        "the 65th connection was served"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.request("GET", "/login", &[], b"").status, 200);
}

#[test]
fn https_with_the_office_certificate_and_a_secure_cookie() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is needed (scripts/test installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(
        server.login.starts_with("https://127.0.0.1:"),
        "{}",
        server.login
    );
    // A browser that trusts the office's certificate signs in; the cookie is Secure.
    let path = &server.login[server.login.find("/login").unwrap()..];
    let script = format!(
        "import http.client, ssl\n\
         c = http.client.HTTPSConnection('127.0.0.1', {port}, context=ssl.create_default_context(cafile={cert:?}))\n\
         c.request('GET', {path:?})\n\
         r = c.getresponse()\n\
         print(r.status)\n\
         print(r.getheader('Set-Cookie'))\n",
        port = server.port,
        cert = cert.to_str().unwrap(),
        path = path,
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("303"));
    let cookie = lines.next().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Plain HTTP on the TLS port gets no page.
    let r = server.request("GET", "/login", &[], b"");
    assert_ne!(r.status, 200);
}

#[test]
fn the_page_after_saving_the_city_shows_it_while_an_import_still_runs() {
    let server = started_with_config();
    let cookie = server.sign_in();
    let csrf = server.csrf(&cookie);
    assert!(server.get(&cookie, "/").body.contains("请先完成设置"));
    // An import keeps the worker busy, so the figures' refresh after the save waits behind it.
    let files: Vec<(&str, Vec<u8>)> = [
        "01_人口台账.xlsx",
        "02_志愿者注册信息_青山区.csv",
        "03_志愿者注册信息_其他区县.xlsx",
        "04_服务时长记录_2024.xlsx",
        "05_服务时长记录_2025.xlsx",
    ]
    .iter()
    .map(|name| (*name, sample(name)))
    .collect();
    let id = job_id(&server.upload(&cookie, &csrf, &files));
    let version = field_value(&server.get(&cookie, "/settings").body, "version");
    let r = save_city(
        &server,
        &cookie,
        &csrf,
        &version,
        &[("city_province", "青山省")],
    );
    assert!(r.status < 400, "{} {}", r.status, r.body);
    // The next page already knows the city: no set-up asked for again.
    let overview = server.get(&cookie, "/").body;
    assert!(!overview.contains("请先完成设置"), "{overview}");
    server.wait_job(&cookie, id);
    let config = std::fs::read_to_string(server.dir.path().join("vbrief.toml")).unwrap();
    assert!(config.contains("province = \"青山省\""), "{config}");
}
