//! Running jobs: sockets, files, errors that name the operator, and unbounded jobs stopped
//! through their handle.

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use strom::prelude::*;

#[test]
fn word_count_over_a_socket_ends_when_the_peer_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let writer = std::thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        connection.write_all(b"to be or\nnot to be\n").unwrap();
    });
    let counts = collect_sink();
    let job = stream! {
        source(socket_text(address))
            .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .key_by(|w| w.clone())
            .aggregate(count())
            .sink(counts.clone());
    };
    job.run().unwrap();
    writer.join().unwrap();
    let mut finals = std::collections::BTreeMap::new();
    for (word, n) in counts.take() {
        finals.insert(word, n);
    }
    let expected: std::collections::BTreeMap<String, u64> =
        [("be", 2), ("not", 1), ("or", 1), ("to", 2)]
            .into_iter()
            .map(|(w, n)| (w.to_string(), n))
            .collect();
    assert_eq!(finals, expected);
}

#[test]
fn a_refused_connection_is_an_error_naming_the_source() {
    // Bind and drop a listener: its port is (almost certainly) closed now.
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let job = stream! {
        source(socket_text(address.clone())).sink(collect_sink());
    };
    let error = job.run().expect_err("nobody listens").to_string();
    assert!(error.contains("cannot connect"), "{error}");
    assert!(error.contains(&address), "{error}");
    assert!(error.contains("source(socket"), "{error}");
}

#[test]
fn a_missing_file_is_an_error_naming_the_file_and_the_source() {
    let job = stream! {
        source(text_file("/no/such/dir/input.txt")).sink(collect_sink());
    };
    let error = job.run().expect_err("the file does not exist").to_string();
    assert!(error.contains("/no/such/dir/input.txt"), "{error}");
    assert!(error.contains("source(text_file"), "{error}");
}

#[test]
fn a_text_file_is_read_line_by_line() {
    let dir = std::env::temp_dir().join(format!("strom-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lines.txt");
    std::fs::write(&path, "3\n1\n\n2\n").unwrap();
    let out = collect_sink();
    let job = stream! {
        source(text_file(&path))
            .filter(|line| !line.is_empty())
            .map(|line| line.len())
            .sink(out.clone());
    };
    job.run().unwrap();
    assert_eq!(out.take(), vec![1, 1, 1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_record_fails_the_job_naming_the_operator_and_its_position() {
    let out = collect_sink();
    let job = stream! {
        let numbers = source(from_vec(vec!["1", "2", "x"])).try_map(|s| s.parse::<u32>());
        numbers.sink(out.clone());
    };
    let error = job.run().expect_err("`x` is not a number").to_string();
    assert!(error.contains("`try_map` of stream `numbers`"), "{error}");
    assert!(error.contains("tests/jobs.rs:"), "{error}");
    assert!(error.contains("invalid digit"), "{error}");
}

#[test]
fn an_unbounded_job_runs_until_stopped() {
    let out = collect_sink();
    let job = stream! {
        source(generator(|i| i)).filter(|i| i % 1000 == 0).sink(out.clone());
    };
    let handle = job.start(Config::default());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while out.len() < 10 {
        assert!(std::time::Instant::now() < deadline, "no output");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!handle.is_finished());
    handle.stop().unwrap();
    let seen = out.take();
    assert!(seen.len() >= 10);
    assert!(seen.iter().enumerate().all(|(n, i)| *i == n as u64 * 1000));
}

#[test]
fn draining_an_unbounded_job_fires_its_open_windows() {
    let out = collect_sink();
    let job = stream! {
        source(generator(|i| i))
            .event_time(|i| *i as i64)
            .watermark(monotonous())
            .key_by(|_| 0u8)
            .window(tumbling(hours(1000)))
            .aggregate(count())
            .sink(out.clone());
    };
    let handle = job.start(Config::default());
    std::thread::sleep(Duration::from_millis(50));
    assert!(out.is_empty(), "the window is still open");
    let report = handle.drain().unwrap();
    let fired = out.take();
    assert_eq!(fired.len(), 1, "draining fires the one open window");
    assert!(fired[0].value > 0);
    assert!(report
        .tasks
        .iter()
        .all(|t| t.metrics.records_in > 0 || t.stage == 0));
}
