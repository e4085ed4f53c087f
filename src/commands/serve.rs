//! `vbrief serve`: the local web app (the `server` crate) over one working folder.

use std::path::Path;

use crate::cli::ServeArgs;
use crate::exit;

pub fn run(workdir: &Path, args: &ServeArgs) -> anyhow::Result<u8> {
    workdir::init_dir(workdir, false)?;
    let options = server::ServeOptions {
        workdir: workdir.to_path_buf(),
        bind: args.bind,
        password_file: args.password_file.clone(),
        allowed_hosts: args.allowed_hosts.clone(),
        max_upload: args.max_upload_mb << 20,
        max_unzipped: args.max_unzipped_mb << 20,
        open: args.open,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
    };
    let loopback = args.bind.ip().is_loopback();
    server::serve(options, |addr, login| {
        println!(
            "vbrief 网页版已启动 (the web app is running) — 工作目录 folder: {}",
            workdir.display()
        );
        if loopback {
            println!("在本机浏览器中打开这个登录链接（只能用一次）open this link once:");
            println!("  {login}");
        } else {
            let scheme = if login.starts_with("https") {
                "https"
            } else {
                "http"
            };
            println!("局域网内其他电脑用浏览器打开 other PCs open: {scheme}://{addr}/ （用密码登录 sign in with the password）");
        }
        println!("按 Ctrl+C 停止 (Ctrl+C stops it; a running import finishes first)");
    })?;
    Ok(exit::OK)
}
