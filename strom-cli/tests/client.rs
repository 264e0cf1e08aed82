//! `strom sql` as a user runs it: a script, statements piped to the prompt, and Ctrl-C on
//! a query over an unbounded table.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn strom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strom"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strom-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const NUMBERS: &str = "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen',
  'number-of-rows' = '4', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '4');";

#[test]
fn a_script_prints_each_result_and_stops_at_the_first_error() {
    let dir = temp_dir("script");
    let script = dir.join("job.sql");
    std::fs::write(
        &script,
        format!(
            "-- numbers, doubled\n{NUMBERS}\nSELECT n, n * 2 AS twice FROM numbers WHERE n > 2;\n\
             SELECT nn FROM numbers;\nSELECT 1 FROM numbers;\n"
        ),
    )
    .unwrap();
    let output = strom().arg("sql").arg("-f").arg(&script).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!output.status.success());
    assert_eq!(
        stdout,
        "\
[INFO] Execute statement succeeded (table `numbers` (n BIGINT) created).
+----+----------------------+----------------------+
| op |                    n |                twice |
+----+----------------------+----------------------+
| +I |                    3 |                    6 |
| +I |                    4 |                    8 |
+----+----------------------+----------------------+
Received a total of 2 rows
[ERROR] Could not execute SQL statement. Reason:
line 5, column 8: unknown column `nn`
  help: did you mean `n`? the columns are: n
"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn statements_piped_to_the_prompt_run_one_by_one_and_errors_do_not_end_it() {
    let mut child = strom()
        .arg("sql")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!(
        "{NUMBERS}\nSELECT nope FROM numbers;\nSELECT COUNT(*) AS total FROM numbers;\n\
         EXPLAIN SELECT n\n  FROM numbers\n  WHERE n > 1;\nSHOW TABLES;\nQUIT;\nSELECT 'not run';\n"
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    // The unknown column is refused with its position, and the prompt goes on.
    assert!(
        stdout.contains(
            "[ERROR] Could not execute SQL statement. Reason:\nline 1, column 8: unknown column `nope`"
        ),
        "{stdout}"
    );
    // A non-windowed aggregation shows its changelog.
    for change in [
        "| +I |                    1 |",
        "| -U |                    3 |",
        "| +U |                    4 |",
    ] {
        assert!(stdout.contains(change), "{stdout}");
    }
    assert!(stdout.contains("Calc(where=[n > 1])"), "{stdout}");
    assert!(
        stdout.contains("numbers\ttable (n BIGINT) (datagen)"),
        "{stdout}"
    );
    assert!(!stdout.contains("not run"), "{stdout}");
}

#[test]
fn ctrl_c_stops_a_query_over_an_unbounded_table_and_prints_what_came() {
    let dir = temp_dir("ctrl-c");
    let script = dir.join("forever.sql");
    std::fs::write(
        &script,
        "CREATE TABLE ticks (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200',
           'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000000');
         SELECT n FROM ticks;",
    )
    .unwrap();
    let mut child = strom()
        .arg("sql")
        .arg("-f")
        .arg(&script)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Rows show while the query runs.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rows = 0;
    while rows < 5 && Instant::now() < deadline {
        let line = lines.next().unwrap().unwrap();
        if line.starts_with("| +I |") {
            rows += 1;
        }
    }
    assert_eq!(rows, 5, "no rows while the query ran");
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    let tail = rest.join("\n");
    assert!(tail.contains("Received a total of"), "{tail}");
    assert!(tail.ends_with("[INFO] Query stopped (Ctrl-C)."), "{tail}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_changelog_inserted_into_a_print_table_prints_its_updates() {
    let dir = temp_dir("print");
    let script = dir.join("counts.sql");
    std::fs::write(
        &script,
        format!(
            "{NUMBERS}
             CREATE TABLE counts (parity BIGINT, n BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'counts');
             INSERT INTO counts SELECT MOD(n, 2), COUNT(*) FROM numbers GROUP BY MOD(n, 2);"
        ),
    )
    .unwrap();
    let output = strom().arg("sql").arg("-f").arg(&script).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let printed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("counts> "))
        .collect();
    assert_eq!(
        printed,
        [
            "counts> +I[1, 1]",
            "counts> +I[0, 1]",
            "counts> -U[1, 1]",
            "counts> +U[1, 2]",
            "counts> -U[0, 1]",
            "counts> +U[0, 2]"
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
