//! The web app's test harness: `vbrief serve` on a free port in a temporary folder, driven by a
//! plain HTTP/1.1 client over a TCP socket.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{samples, BIN};

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub login: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP response.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, extra)
}

pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--workdir",
            dir.path().to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vbrief serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let login = loop {
        let line = lines
            .next()
            .expect("vbrief serve printed its login link")
            .unwrap();
        if let Some(at) = line.find("http://").or_else(|| line.find("https://")) {
            break line[at..].trim().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let port: u16 = login
        .split("://127.0.0.1:")
        .nth(1)
        .expect("a loopback address")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Server {
        child,
        port,
        login,
        dir,
    }
}

impl Server {
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            head.push_str(&format!("Host: {}\r\n", self.host()));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // A refused upload may be answered before the body is all sent.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        parse(&raw)
    }

    /// Signs in with the printed link; returns the session cookie.
    pub fn sign_in(&self) -> String {
        let path = &self.login[self.login.find("/login").unwrap()..];
        let r = self.request("GET", path, &[], b"");
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = r
            .header("set-cookie")
            .expect("a session cookie")
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_string()
    }

    pub fn get(&self, cookie: &str, path: &str) -> Response {
        self.request("GET", path, &[("Cookie", cookie)], b"")
    }

    /// The CSRF token from a page's forms.
    pub fn csrf(&self, cookie: &str) -> String {
        let page = self.get(cookie, "/upload").body;
        let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        page[at..at + 64].to_string()
    }

    /// A multipart upload from this server's own page.
    pub fn upload(&self, cookie: &str, csrf: &str, files: &[(&str, Vec<u8>)]) -> Response {
        let boundary = "----vbriefTestBoundary7d3f";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        for (name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let origin = format!("http://{}", self.host());
        self.request(
            "POST",
            "/upload",
            &[
                ("Cookie", cookie),
                ("Content-Type", &content_type),
                ("Origin", &origin),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            &body,
        )
    }

    /// Waits for a job to end; returns its page.
    pub fn wait_job(&self, cookie: &str, id: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let page = self.get(cookie, &format!("/jobs/{id}")).body;
            if page.contains("data-finished=\"true\"") {
                return page;
            }
            assert!(Instant::now() < deadline, "job {id} did not finish");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn uploads(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("inbox/uploads"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    // names.json maps stored names to the client's (display text).
                    .filter(|n| n != "names.json" && n != "pending.json")
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    // A 100 Continue comes first when the client sent a body.
    let (head, body) = if head.starts_with("HTTP/1.1 100") {
        body.split_once("\r\n\r\n").unwrap_or((body, ""))
    } else {
        (head, body)
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

pub fn job_id(r: &Response) -> usize {
    assert_eq!(r.status, 303, "{}", r.body);
    r.header("location")
        .and_then(|l| l.strip_prefix("/jobs/"))
        .and_then(|id| id.parse().ok())
        .expect("a job")
}

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples().join(name)).unwrap()
}
