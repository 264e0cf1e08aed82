//! Small files: a quiet job checkpointing very often (the scale model of a job with 1 s
//! checkpoints over 10 minutes of event time: one record per checkpoint interval) leaves
//! a few merged files, not one per checkpoint.

use std::time::Duration;

use strom::prelude::*;

#[test]
fn a_quiet_job_checkpointing_often_leaves_few_files() {
    let root = std::env::temp_dir().join(format!("strom-compaction-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (out, chk) = (root.join("out"), root.join("chk"));
    // 600 records, one per second of event time (10 minutes from 10:55), at 300 per
    // second of wall time; a checkpoint every millisecond (as many as the machine manages:
    // a loaded one takes fewer, which the bound below accounts for).
    let start: i64 = 1_764_756_000_000 + 55 * 60_000;
    let sink_dir = out.clone();
    let job = stream! {
        source(generator(move |i| start + i as i64 * 1000).take(600).rate_limit(300.0))
            .event_time(|ts| *ts)
            .watermark(monotonous())
            .sink(transactional_file_sink(&sink_dir).hourly_buckets());
    };
    let report = job
        .run_with(
            Config::default()
                .checkpoint_dir(&chk)
                .checkpoint_every(Duration::from_millis(1)),
        )
        .unwrap();
    let checkpoints = report.checkpoints.len();
    // Enough that a file per checkpoint would break the bound many times over.
    assert!(checkpoints >= 40, "only {checkpoints} checkpoints");

    let mut files = Vec::new();
    let mut values = Vec::new();
    for bucket in std::fs::read_dir(&out).unwrap() {
        let bucket = bucket.unwrap().path();
        if bucket
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with('.')
        {
            // The sink's own areas are empty at the end.
            assert_eq!(
                std::fs::read_dir(&bucket)
                    .unwrap()
                    .flatten()
                    .filter(|e| e.path().is_file())
                    .count(),
                0
            );
            continue;
        }
        for file in std::fs::read_dir(&bucket).unwrap() {
            let path = file.unwrap().path();
            values.extend(
                std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|l| l.parse::<i64>().unwrap()),
            );
            files.push(path);
        }
    }
    values.sort_unstable();
    assert_eq!(
        values,
        (0..600).map(|i| start + i * 1000).collect::<Vec<_>>()
    );
    // The bound: one file per 60 checkpoints (`publish_every`) and per hour bucket (two),
    // plus the last of each bucket; without compaction it would be one per checkpoint.
    let bound = checkpoints / 60 + 2 * 2;
    assert!(
        files.len() <= bound,
        "{} files for {checkpoints} checkpoints (bound {bound})",
        files.len()
    );
    std::fs::remove_dir_all(&root).unwrap();
}
