//! Planner golden tests: one statement per file under `tests/golden/` (after the tables of
//! `prelude.sql`), with what it must give beside it in `<name>.out`: the `EXPLAIN` text of
//! a query (`ok_*`), or the error, with its line and column, of one that must fail
//! (`err_*`). `{dir}` stands for a directory holding the prelude's input files.
//!
//! Run with `STROM_BLESS=1` to write the `.out` files after a reviewed change.

use std::path::{Path, PathBuf};

use stream_sql::{SqlResult, SqlSession};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A directory with the files the prelude's tables read.
fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strom-sql-golden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bids.csv"), "1,2,3,Google,2024-01-01 00:00:00\n").unwrap();
    std::fs::write(
        dir.join("people.json"),
        "{\"id\": 1, \"name\": \"a\", \"city\": \"Rome\"}\n",
    )
    .unwrap();
    dir
}

/// What a case gives: the last statement's plan, or the first error.
fn outcome(session: &mut SqlSession, sql: &str) -> String {
    match session.execute_script(sql) {
        Err(e) => format!("error: {e}\n"),
        Ok(results) => match results.into_iter().last() {
            Some(SqlResult::Explain(text)) => text,
            Some(other) => format!("not an EXPLAIN: {other:?}\n"),
            None => "no statement\n".into(),
        },
    }
}

#[test]
fn golden_plans_and_errors() {
    let data = data_dir();
    let dir_text = data.display().to_string();
    let prelude = std::fs::read_to_string(golden_dir().join("prelude.sql"))
        .unwrap()
        .replace("{dir}", &dir_text);
    let bless = std::env::var_os("STROM_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "sql")
                && p.file_stem().is_some_and(|s| s != "prelude")
        })
        .collect();
    cases.sort();
    assert!(cases.len() > 40, "the golden cases are missing");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().to_string();
        let sql = std::fs::read_to_string(case)
            .unwrap()
            .replace("{dir}", &dir_text);
        let mut session = SqlSession::new();
        session
            .execute_script(&prelude)
            .unwrap_or_else(|e| panic!("prelude: {e}"));
        let got = outcome(&mut session, &sql).replace(&dir_text, "{dir}");
        let expected_ok = name.starts_with("ok_");
        if expected_ok == got.starts_with("error:") {
            failures.push(format!(
                "{name}: expected {}, got:\n{got}",
                if expected_ok { "a plan" } else { "an error" }
            ));
        }
        let out = case.with_extension("out");
        if bless {
            std::fs::write(&out, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&out) {
            Ok(expected) if expected == got => {}
            Ok(expected) => failures.push(format!(
                "{name}: differs from {}\n--- expected\n{expected}--- got\n{got}",
                out.display()
            )),
            Err(_) => failures.push(format!(
                "{name}: no {} (run with STROM_BLESS=1)\n{got}",
                out.display()
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&data);
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
