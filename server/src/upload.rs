//! Uploads. What may arrive here is checked before anything reads it:
//! - the request's size is limited on this route only (`--max-upload-mb`, default 2 GB), and
//!   each file is streamed to disk as it arrives, never held in memory;
//! - a file is stored under a name the server chooses (`inbox/uploads/<random>.<ext>`); the
//!   client's file name is display text only, never part of a path;
//! - only .xlsx, .xls and .csv are taken, and their content must match: an xlsx is a zip, an
//!   xls an OLE2 compound file, a csv text;
//! - an xlsx whose zip directory declares more than `--max-unzipped-mb` megabytes, too many
//!   entries or an extreme compression ratio is refused before any parser opens it (zip bombs).
//!
//! A refused file is deleted and named in the answer; the others are ingested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tokio::io::AsyncWriteExt;

use crate::auth::Session;
use crate::guard::csrf_refusal;
use crate::AppState;

/// Where uploads are stored, inside the inbox.
pub const UPLOAD_DIR: &str = "uploads";

/// The uploads folder of the working folder `workdir`.
pub fn upload_dir(workdir: &Path) -> PathBuf {
    workdir.join(workdir::INBOX).join(UPLOAD_DIR)
}
/// More zip entries than any export has.
const MAX_ENTRIES: usize = 10_000;
/// Above this declared size, a compression ratio over [`MAX_RATIO`] is refused.
const RATIO_FLOOR: u64 = 64 << 20;
const MAX_RATIO: u64 = 100;

pub async fn receive(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    mut multipart: Multipart,
) -> Response {
    let dir = upload_dir(app.jobs.workdir());
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        return app.pages.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "无法保存上传的文件",
            &e.to_string(),
        );
    }
    let mut stored: Vec<PathBuf> = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut refused: Vec<(String, String)> = Vec::new();
    let mut csrf_ok = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return abort(&app, &stored, e.status(), &e.body_text()),
        };
        if field.name() == Some("csrf") {
            let sent = field.text().await.unwrap_or_default();
            if let Some(refusal) = csrf_refusal(&session, &sent) {
                return refusal;
            }
            csrf_ok = true;
            continue;
        }
        if !csrf_ok {
            // The token comes first in the form; without it nothing is stored.
            return abort(
                &app,
                &stored,
                StatusCode::FORBIDDEN,
                "缺少表单令牌 (missing CSRF token)",
            );
        }
        let client_name = field.file_name().unwrap_or("").to_string();
        if client_name.is_empty() {
            continue;
        }
        let Some(ext) = extension(&client_name) else {
            refused.push((client_name, "只接受 .xlsx、.xls、.csv 文件".into()));
            continue;
        };
        // The upload's order is kept (files are ingested in name order, and a later file
        // may update an earlier one); the rest of the name is random.
        let stored_name = format!(
            "{}-{:03}-{}.{ext}",
            chrono::Local::now().format("%Y%m%d%H%M%S"),
            names.len() + refused.len() + 1,
            &crate::random_token()[..8]
        );
        let path = dir.join(&stored_name);
        match save(field, &path).await {
            Ok(()) => {}
            Err(SaveError::Limit(status, text)) => {
                let _ = tokio::fs::remove_file(&path).await;
                return abort(&app, &stored, status, &text);
            }
            Err(SaveError::Io(e)) => {
                let _ = tokio::fs::remove_file(&path).await;
                return abort(
                    &app,
                    &stored,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &e.to_string(),
                );
            }
        }
        let max_unzipped = app.options.max_unzipped;
        let checked = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || check_content(&path, ext, max_unzipped))
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
        };
        match checked {
            Ok(()) => {
                names.insert(stored_name, client_name);
                stored.push(path);
            }
            Err(reason) => {
                let _ = tokio::fs::remove_file(&path).await;
                refused.push((client_name, reason));
            }
        }
    }
    if stored.is_empty() {
        let detail = if refused.is_empty() {
            "没有选择文件 (no file chosen)".to_string()
        } else {
            refused
                .iter()
                .map(|(name, why)| format!("{name}：{why}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return app
            .pages
            .message(StatusCode::BAD_REQUEST, "没有可导入的文件", &detail);
    }
    remember_names(&dir, &names);
    let id = app.jobs.ingest(stored, names, refused);
    Redirect::to(&format!("/jobs/{id}")).into_response()
}

/// Removes what this request stored, and answers with the reason.
fn abort(app: &AppState, stored: &[PathBuf], status: StatusCode, detail: &str) -> Response {
    for path in stored {
        let _ = std::fs::remove_file(path);
    }
    let (title, detail) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            "文件太大，未保存".to_string(),
            format!(
                "一次上传最多 {} MB。请分几次上传，或请启动本服务的同事调大上限（--max-upload-mb）。没有保存任何文件。",
                app.options.max_upload >> 20
            ),
        )
    } else {
        ("上传未完成，未保存".to_string(), detail.to_string())
    };
    app.pages.message(status, &title, &detail)
}

/// The extension the stored file gets, from the client's name (lower case), if allowed.
fn extension(client_name: &str) -> Option<&'static str> {
    let lower = client_name.to_lowercase();
    ["xlsx", "xls", "csv"]
        .into_iter()
        .find(|ext| lower.ends_with(&format!(".{ext}")))
}

enum SaveError {
    Limit(StatusCode, String),
    Io(std::io::Error),
}

async fn save(
    mut field: axum::extract::multipart::Field<'_>,
    path: &Path,
) -> Result<(), SaveError> {
    let mut file = tokio::fs::File::create(path).await.map_err(SaveError::Io)?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => file.write_all(&chunk).await.map_err(SaveError::Io)?,
            Ok(None) => break,
            Err(e) => return Err(SaveError::Limit(e.status(), e.body_text())),
        }
    }
    file.flush().await.map_err(SaveError::Io)
}

/// The content matches the extension, and an xlsx is not a zip bomb.
pub fn check_content(path: &Path, ext: &str, max_unzipped: u64) -> Result<(), String> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| e.to_string())?;
    let head = &head[..n];
    match ext {
        "xlsx" => {
            if !head.starts_with(b"PK\x03\x04") {
                return Err("不是 xlsx 文件（内容不是 zip 格式）".into());
            }
            check_zip(path, max_unzipped)
        }
        "xls" => {
            if head != [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
                return Err("不是 xls 文件（内容不是 Excel 97-2003 格式）".into());
            }
            Ok(())
        }
        _ => {
            let mut start = vec![0u8; 4096];
            let n = std::fs::File::open(path)
                .and_then(|mut f| f.read(&mut start))
                .map_err(|e| e.to_string())?;
            if start[..n].starts_with(b"PK\x03\x04") || start[..n].contains(&0) {
                return Err("不是 csv 文本文件".into());
            }
            Ok(())
        }
    }
}

/// Refuses an xlsx whose zip directory declares too much: the total uncompressed size, the
/// number of entries, or a ratio no spreadsheet has. Declared sizes can lie; the readers
/// behind calamine stop at the declared size, so what is declared is what can be inflated.
fn check_zip(path: &Path, max_unzipped: u64) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let compressed = file.metadata().map_err(|e| e.to_string())?.len().max(1);
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|_| "xlsx 文件已损坏（无法读取 zip 目录）".to_string())?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "xlsx 中的条目过多（{} 个），拒绝读取",
            archive.len()
        ));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| "xlsx 文件已损坏（无法读取 zip 目录）".to_string())?;
        total = total.saturating_add(entry.size());
    }
    if total > max_unzipped || (total > RATIO_FLOOR && total / compressed > MAX_RATIO) {
        return Err(format!(
            "xlsx 解压后声明 {} MB（压缩比 {}:1），超过限制，疑似压缩炸弹，拒绝读取",
            total >> 20,
            total / compressed
        ));
    }
    Ok(())
}

/// The file that maps stored names to the names the client gave (display text only).
pub const NAMES_FILE: &str = "names.json";

/// Adds this upload's names to `names.json` beside the files, so that pages show what the
/// user uploaded rather than the stored names.
fn remember_names(dir: &Path, names: &BTreeMap<String, String>) {
    let path = dir.join(NAMES_FILE);
    let mut all = known_names(dir);
    all.extend(names.clone());
    if let Ok(json) = serde_json::to_vec_pretty(&all) {
        let _ = std::fs::write(path, json);
    }
}

/// Every stored upload's client name, by stored name.
pub fn known_names(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read(dir.join(NAMES_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}
