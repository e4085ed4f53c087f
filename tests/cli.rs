//! The command line itself: help, init, config errors, exit codes.

mod common;

use common::Env;

#[test]
fn help_is_complete_and_documents_exit_codes() {
    let env = Env::new();
    let run = env.run(&["--help"]).code(0);
    for needle in [
        "init",
        "ingest",
        "demo",
        "gen",
        "退出码 Exit codes",
        "部分完成",
    ] {
        assert!(
            run.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            run.stdout
        );
    }
    env.run(&["ingest", "--help"])
        .code(0)
        .stdout_has("--strict")
        .stdout_has("--encoding")
        .stdout_has("--workdir");
    env.run(&["frobnicate"]).code(2);
}

#[test]
fn init_creates_config_and_inbox_and_keeps_an_edited_config() {
    let env = Env::new();
    assert!(env.path().join("vbrief.toml").is_file());
    assert!(env.inbox().is_dir());
    std::fs::write(env.path().join("vbrief.toml"), "[city]\nname = \"甲市\"\n").unwrap();
    env.run(&["init", env.path().to_str().unwrap()])
        .code(0)
        .stdout_has("exists");
    assert_eq!(
        std::fs::read_to_string(env.path().join("vbrief.toml")).unwrap(),
        "[city]\nname = \"甲市\"\n"
    );
}

#[test]
fn invalid_config_names_the_key() {
    let env = Env::new();
    env.csv("ledger.csv", &["社区,常住人口", "站前社区,1000"]);
    std::fs::write(
        env.path().join("vbrief.toml"),
        "[targets.registration_rate]\nvalue = 15\nunit = \"%\"\nsource = \"x\"\n",
    )
    .unwrap();
    env.ingest(&[])
        .code(1)
        .stderr_has("targets.registration_rate.value")
        .stderr_has("fraction");
}

#[test]
fn missing_workdir_says_how_to_create_it() {
    let env = Env::new();
    let missing = env.path().join("nope");
    env.run(&["ingest", "--workdir", missing.to_str().unwrap()])
        .code(1)
        .stderr_has("vbrief init");
}

#[test]
fn key_file_is_created_owner_only() {
    let env = Env::new();
    env.csv("ledger.csv", &["社区,常住人口", "站前社区,1000"]);
    env.run(&["ingest", "--workdir", env.path().to_str().unwrap()])
        .code(0)
        .stdout_has("vbrief.key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path().join("vbrief.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn every_command_takes_workdir() {
    let env = Env::new();
    let other = env.path().join("其他目录");
    env.run(&["--workdir", other.to_str().unwrap(), "init"])
        .code(0);
    assert!(other.join("vbrief.toml").is_file() && other.join("inbox").is_dir());
    std::fs::write(
        other.join("inbox/ledger.csv"),
        "社区,常住人口\n站前社区,1000\n",
    )
    .unwrap();
    env.run(&["ingest", "-w", other.to_str().unwrap()]).code(0);
    assert!(other.join("warehouse.duckdb").is_file());
    env.run(&["gen", "--help", "--workdir", "."]).code(0);
}

#[test]
fn run_ingests_the_inbox_then_reports() {
    let env = Env::new();
    env.csv("ledger.csv", &["社区,常住人口", "站前社区,1000"]);
    env.csv(
        "vol.csv",
        &["志愿者编号,注册时间,社区", "V1,2024-01-01,站前社区"],
    );
    env.csv(
        "rec.csv",
        &["志愿者编号,服务日期,服务时长", "V1,2024-05-01,3"],
    );
    let run = env
        .run(&[
            "run",
            "--workdir",
            env.path().to_str().unwrap(),
            "--period",
            "2024",
        ])
        .code(0);
    assert!(
        run.stdout.contains("导入摘要") && run.stdout.contains("指标 Indicators"),
        "{}",
        run.stdout
    );
    let city = std::fs::read_to_string(env.path().join("out/2024/indicators/city.csv")).unwrap();
    assert!(city.contains(",1000,false,1,0.0010,"), "{city}");
    env.run(&[
        "report",
        "--workdir",
        env.path().join("nowhere").to_str().unwrap(),
    ])
    .code(1)
    .stderr_has("vbrief ingest");
}

/// `VBRIEF_TIMINGS=1` prints one `[timing] <phase> <seconds>` line per phase, the lines
/// bench/run.sh collects; without it, none.
#[test]
fn timings_print_each_phase_only_when_asked() {
    let env = Env::new();
    env.csv(
        "ledger.csv",
        &["区县,街道,社区,常住人口", "东区,站前街道,站前社区,1000"],
    );
    let workdir = env.path().to_str().unwrap().to_string();
    let run = env
        .run_with_vars(&[("VBRIEF_TIMINGS", "1")], &["run", "--workdir", &workdir])
        .code(0);
    for phase in [
        "ingest.hash_and_plan inbox/ledger.csv",
        "ingest.load inbox/ledger.csv",
        "ingest.merge.communities.0",
        "ingest.merge",
        "ingest.commit",
        "checks.after_ingest",
        "checks.id_number",
        "indicators.01_scope.sql",
        "report.indicators",
        "report.pdf",
    ] {
        let prefix = format!("[timing] {phase} ");
        let line = run.stderr.lines().find(|l| l.starts_with(&prefix));
        let seconds = line.and_then(|l| l[prefix.len()..].parse::<f64>().ok());
        assert!(
            seconds.is_some_and(|s| s >= 0.0),
            "no timing for {phase}:\n{}",
            run.stderr
        );
    }
    std::fs::remove_file(env.path().join("warehouse.duckdb")).unwrap();
    let quiet = env.run(&["run", "--workdir", &workdir]).code(0);
    assert!(!quiet.stderr.contains("[timing]"), "{}", quiet.stderr);
}
