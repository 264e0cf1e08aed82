//! The sink's transactions driven by hand, as the runtime drives them: write, pre-commit on
//! a barrier, commit when the checkpoint completes, recover after a crash, finish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};

use super::*;

/// 2025-12-03 10:00 UTC in milliseconds.
const TEN_O_CLOCK: i64 = 1_764_756_000_000;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strom-tfs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn instance(index: usize) -> InstanceInfo {
    InstanceInfo {
        stage: 1,
        index,
        parallelism: 2,
        max_parallelism: 128,
    }
}

/// Every file below `dir` (relative path → content), hidden areas included.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                found.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    found
}

/// The published files only (not `.pending`/`.inprogress`).
fn published(dir: &Path) -> BTreeMap<String, String> {
    files(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .collect()
}

fn lines(dir: &Path) -> Vec<String> {
    published(dir)
        .values()
        .flat_map(|c| c.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

#[test]
fn data_is_published_only_when_its_checkpoint_completes() {
    let dir = scratch("commit");
    let sink = transactional_file_sink::<u32>(&dir).target_size(1);
    let mut w = sink.open(&instance(0)).unwrap();
    for i in 0..3 {
        w.write(TEN_O_CLOCK, i).unwrap();
    }
    assert!(published(&dir).is_empty());
    w.pre_commit(1).unwrap();
    assert!(published(&dir).is_empty(), "pre-committed is not published");
    assert_eq!(
        files(&dir).keys().collect::<Vec<_>>(),
        vec![".pending/part-0-0000000001-000001"]
    );
    w.commit(1).unwrap();
    assert_eq!(
        published(&dir),
        BTreeMap::from([(
            "part-0-0000000001-000001-0000000001-000001.txt".to_owned(),
            "0\n1\n2\n".to_owned()
        )])
    );
    // Nothing is left behind.
    assert_eq!(files(&dir).len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn recovery_publishes_what_the_checkpoint_names_and_deletes_the_rest() {
    let dir = scratch("recover");
    let sink = transactional_file_sink::<&'static str>(&dir).target_size(1);
    let mut crashed = sink.open(&instance(0)).unwrap();
    crashed.write(TEN_O_CLOCK, "a").unwrap();
    crashed.write(TEN_O_CLOCK, "b").unwrap();
    let completed = crashed.pre_commit(1).unwrap();
    // Checkpoint 1 completed, but the process died before the sink heard of it; then
    // checkpoint 2 was pre-committed but never completed, and "d" was in progress.
    crashed.write(TEN_O_CLOCK, "c").unwrap();
    crashed.pre_commit(2).unwrap();
    crashed.write(TEN_O_CLOCK, "d").unwrap();
    drop(crashed);
    assert!(published(&dir).is_empty());

    let mut restarted = sink.open(&instance(0)).unwrap();
    restarted.recover(&completed).unwrap();
    assert_eq!(lines(&dir), vec!["a", "b"]);
    // The uncommitted pending file of checkpoint 2 and the in-progress file are gone.
    assert_eq!(files(&dir).len(), 1, "{:?}", files(&dir).keys());
    // The replay writes "c" and "d" again, once.
    restarted.write(TEN_O_CLOCK, "c").unwrap();
    restarted.write(TEN_O_CLOCK, "d").unwrap();
    restarted.finish().unwrap();
    let mut all = lines(&dir);
    all.sort();
    assert_eq!(all, vec!["a", "b", "c", "d"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_publication_interrupted_by_a_crash_is_not_repeated() {
    let dir = scratch("republish");
    let sink = transactional_file_sink::<u32>(&dir).target_size(1);
    let mut w = sink.open(&instance(0)).unwrap();
    w.write(TEN_O_CLOCK, 7).unwrap();
    let transactions = w.pre_commit(1).unwrap();
    let pending = dir.join(".pending/part-0-0000000001-000001");
    let saved = std::fs::read(&pending).unwrap();
    w.commit(1).unwrap();
    // The crash came after the published file was renamed into place but before the
    // pending file was deleted.
    std::fs::write(&pending, saved).unwrap();
    drop(w);
    let mut again = sink.open(&instance(0)).unwrap();
    again.recover(&transactions).unwrap();
    again.finish().unwrap();
    assert_eq!(lines(&dir), vec!["7"]);
    assert_eq!(files(&dir).len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn instances_do_not_touch_each_others_files() {
    let dir = scratch("instances");
    let sink = transactional_file_sink::<u32>(&dir).target_size(1);
    let mut zero = sink.open(&instance(0)).unwrap();
    let mut one = sink.open(&instance(1)).unwrap();
    zero.write(TEN_O_CLOCK, 0).unwrap();
    one.write(TEN_O_CLOCK, 1).unwrap();
    zero.pre_commit(1).unwrap();
    one.pre_commit(1).unwrap();
    // Instance 0 restarts with nothing to recover: only its own pending file goes.
    drop(zero);
    let mut zero = sink.open(&instance(0)).unwrap();
    zero.write(TEN_O_CLOCK, 10).unwrap();
    one.commit(1).unwrap();
    zero.finish().unwrap();
    let mut all = lines(&dir);
    all.sort();
    assert_eq!(all, vec!["1", "10"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn finishing_after_an_uncompleted_checkpoint_loses_nothing() {
    let dir = scratch("finish");
    let sink = transactional_file_sink::<u32>(&dir);
    let mut w = sink.open(&instance(0)).unwrap();
    w.write(TEN_O_CLOCK, 1).unwrap();
    w.commit(0).unwrap();
    w.pre_commit(5).unwrap();
    // The end of the input comes before checkpoint 5 completes: its part must not be
    // overwritten by the last part, which once had the same name.
    w.write(TEN_O_CLOCK, 2).unwrap();
    w.finish().unwrap();
    assert_eq!(lines(&dir), vec!["1", "2"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A quiet job: one record per second of event time and one checkpoint per second for
/// ten minutes. Without compaction that is 600 files; the sink publishes one file per
/// `publish_every` (60) checkpoints and per hour bucket, plus the last one at the end.
#[test]
fn a_quiet_job_checkpointing_every_second_leaves_few_files() {
    let dir = scratch("quiet");
    let sink = transactional_file_sink::<i64>(&dir).hourly_buckets();
    let mut w = sink.open(&instance(0)).unwrap();
    // Starting at 10:55, so the ten minutes span two hour buckets.
    let start = TEN_O_CLOCK + 55 * 60_000;
    for second in 0..600 {
        let ts = start + second * 1000;
        w.write(ts, ts).unwrap();
        w.pre_commit(second as u64 + 1).unwrap();
        w.commit(second as u64 + 1).unwrap();
    }
    w.finish().unwrap();
    let out = published(&dir);
    // The stated bound: checkpoints / 60 + 1 per bucket, over two buckets.
    assert!(
        out.len() <= 600 / 60 + 2,
        "{} files: {:?}",
        out.len(),
        out.keys()
    );
    let mut all: Vec<i64> = lines(&dir).iter().map(|l| l.parse().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..600).map(|s| start + s * 1000).collect::<Vec<_>>());
    let buckets: std::collections::BTreeSet<&str> =
        out.keys().map(|k| k.split('/').next().unwrap()).collect();
    assert_eq!(
        buckets.into_iter().collect::<Vec<_>>(),
        vec!["2025-12-03--10", "2025-12-03--11"]
    );
    // Within a bucket, the published files hold the lines in order.
    for content in out.values() {
        let values: Vec<i64> = content.lines().map(|l| l.parse().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] < w[1]));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parts_roll_at_their_size_and_publish_merged_at_the_target_size() {
    let dir = scratch("sizes");
    let sink = transactional_file_sink::<u32>(&dir)
        .part_size(10)
        .target_size(40)
        .publish_every(1000);
    let mut w = sink.open(&instance(0)).unwrap();
    // 100..=119: 20 lines of 4 bytes, parts of 3 lines (12 bytes).
    for i in 100..120 {
        w.write(TEN_O_CLOCK, i).unwrap();
    }
    w.pre_commit(1).unwrap();
    assert_eq!(files(&dir).len(), 7, "seven pending parts");
    w.commit(1).unwrap();
    // 80 bytes of committed data ≥ 40: merged into one file.
    let out = published(&dir);
    assert_eq!(out.len(), 1, "{:?}", out.keys());
    let expected: String = (100..120).map(|i| format!("{i}\n")).collect();
    assert_eq!(out.values().next().unwrap(), &expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[derive(serde::Serialize)]
struct Purchase {
    user: &'static str,
    amount: u32,
}

#[test]
fn formats_and_buckets() {
    let dir = scratch("formats");
    let json = transactional_file_sink::<Purchase>(dir.join("json"))
        .json_lines()
        .bucket_by(|p: &Purchase| p.user.to_owned());
    let mut w = json.open(&instance(0)).unwrap();
    w.write(
        0,
        Purchase {
            user: "ann",
            amount: 3,
        },
    )
    .unwrap();
    w.write(
        0,
        Purchase {
            user: "bob",
            amount: 4,
        },
    )
    .unwrap();
    w.finish().unwrap();
    let out = published(&dir.join("json"));
    let names: Vec<&str> = out.keys().map(String::as_str).collect();
    assert!(names[0].starts_with("ann/part-0-") && names[0].ends_with(".jsonl"));
    assert!(names[1].starts_with("bob/"));
    assert_eq!(out[names[0]], "{\"user\":\"ann\",\"amount\":3}\n");

    let csv = transactional_file_sink::<(String, u32)>(dir.join("csv"))
        .csv(|r: &(String, u32)| vec![r.0.clone(), r.1.to_string()]);
    let mut w = csv.open(&instance(0)).unwrap();
    w.write(0, ("plain".into(), 1)).unwrap();
    w.write(0, ("with, comma and \"quote\"".into(), 2)).unwrap();
    w.finish().unwrap();
    let out = published(&dir.join("csv"));
    assert!(out.keys().next().unwrap().ends_with(".csv"));
    assert_eq!(
        out.values().next().unwrap(),
        "plain,1\n\"with, comma and \"\"quote\"\"\",2\n"
    );

    let custom = transactional_file_sink::<u32>(dir.join("custom"))
        .lines_with(|n: &u32| format!("n={n}"))
        .hourly_buckets();
    let mut w = custom.open(&instance(0)).unwrap();
    w.write(TEN_O_CLOCK - 1, 1).unwrap();
    w.write(TEN_O_CLOCK, 2).unwrap();
    w.finish().unwrap();
    let out = published(&dir.join("custom"));
    let by_bucket: Vec<(&str, &str)> = out
        .iter()
        .map(|(k, v)| (k.split('/').next().unwrap(), v.as_str()))
        .collect();
    assert_eq!(
        by_bucket,
        vec![("2025-12-03--09", "n=1\n"), ("2025-12-03--10", "n=2\n")]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_record_the_format_cannot_write_is_an_error_and_the_sink_goes_on() {
    struct NotJson;
    impl serde::Serialize for NotJson {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no JSON form"))
        }
    }
    let dir = scratch("badjson");
    let sink = transactional_file_sink::<NotJson>(&dir).json_lines();
    let mut w = sink.open(&instance(0)).unwrap();
    let error = w.write(0, NotJson).unwrap_err();
    assert_eq!(error.kind(), stream_core::ErrorKind::MalformedRecord);
    assert!(error.to_string().contains("no JSON form"), "{error}");
    w.finish().unwrap();
    assert!(published(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_output_directory_is_created_and_an_unwritable_one_is_a_clear_error() {
    let dir = scratch("nodir").join("deep/er");
    let sink = transactional_file_sink::<u32>(&dir);
    assert!(sink.open(&instance(0)).is_ok());
    // A file where the directory should be.
    let blocked = scratch("blocked");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let error = transactional_file_sink::<u32>(&blocked)
        .open(&instance(0))
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("strom-tfs-blocked"), "{error}");
    std::fs::remove_file(&blocked).unwrap();
    scratch("nodir");
}

#[test]
fn a_bucket_that_is_a_path_or_hidden_is_refused() {
    let dir = scratch("buckets");
    let sink = transactional_file_sink::<String>(&dir).bucket_by(|b: &String| b.clone());
    let mut w = sink.open(&instance(0)).unwrap();
    for bad in ["../escape", "/abs", ".pending", "a/b"] {
        let error = w.write(0, bad.to_owned()).unwrap_err();
        assert_eq!(
            error.kind(),
            stream_core::ErrorKind::MalformedRecord,
            "{bad}"
        );
        assert!(error.to_string().contains(bad), "{error}");
    }
    w.write(0, "fine".to_owned()).unwrap();
    w.finish().unwrap();
    assert_eq!(lines(&dir), vec!["fine"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Rescaling 4 → 2 → 4: instance 1 of 2 adopts old instance 3's committed files; when
/// the job goes back to 4 instances, the new instance 3 must not take those files (named
/// after instance 3) for its own strays.
#[test]
fn files_adopted_by_another_instance_survive_rescaling_back() {
    let dir = scratch("rescale");
    let sink = transactional_file_sink::<u32>(&dir);
    let mut old3 = sink.open(&instance(3)).unwrap();
    old3.write(TEN_O_CLOCK, 33).unwrap();
    let t3 = old3.pre_commit(1).unwrap();
    drop(old3);
    // At parallelism 2, instance 1 restores old instance 3's transactions.
    let mut new1 = sink.open(&instance(1)).unwrap();
    new1.on_job_restored();
    new1.recover(&t3).unwrap();
    let t1 = new1.pre_commit(2).unwrap();
    drop(new1);
    // Back at parallelism 4: instance 3 restored nothing of its own; instance 1 restores
    // the files it adopted.
    let mut again3 = sink.open(&instance(3)).unwrap();
    again3.on_job_restored();
    let mut again1 = sink.open(&instance(1)).unwrap();
    again1.on_job_restored();
    again1.recover(&t1).unwrap();
    // The resumed job's next checkpoint (3) holds instance 3's new record.
    again3.write(TEN_O_CLOCK, 3).unwrap();
    again3.pre_commit(3).unwrap();
    again1.pre_commit(3).unwrap();
    again3.commit(3).unwrap();
    again1.commit(3).unwrap();
    again1.finish().unwrap();
    again3.finish().unwrap();
    let mut all = lines(&dir);
    all.sort();
    assert_eq!(all, vec!["3", "33"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// After 3 → 2 → 3 instances, instance 0 holds a file named after instance 2 (adopted at
/// 2 instances) while instance 2 has files of its own. Restoring that checkpoint at 4
/// instances, instance 2's recovery must not take the adopted file for an uncommitted one;
/// files of a later checkpoint that never completed go, whatever their instance.
#[test]
fn recovery_keeps_adopted_files_and_drops_later_uncommitted_ones() {
    let dir = scratch("adopted");
    let sink = transactional_file_sink::<u32>(&dir);
    // 3 instances: instance 2 pre-commits a file for checkpoint 1.
    let mut first2 = sink.open(&instance(2)).unwrap();
    first2.write(TEN_O_CLOCK, 21).unwrap();
    let t2 = first2.pre_commit(1).unwrap();
    drop(first2);
    // 2 instances: instance 0 adopts it and checkpoint 2 names it.
    let mut second0 = sink.open(&instance(0)).unwrap();
    second0.on_job_restored();
    second0.recover(&t2).unwrap();
    let t0 = second0.pre_commit(2).unwrap();
    drop(second0);
    // 3 instances again: instance 2 writes its own file in checkpoint 3, and one more for
    // checkpoint 4, which never completes.
    let mut third0 = sink.open(&instance(0)).unwrap();
    third0.on_job_restored();
    third0.recover(&t0).unwrap();
    let t0 = third0.pre_commit(3).unwrap();
    let mut third2 = sink.open(&instance(2)).unwrap();
    third2.on_job_restored();
    third2.write(TEN_O_CLOCK, 22).unwrap();
    let t2 = third2.pre_commit(3).unwrap();
    third2.write(TEN_O_CLOCK, 99).unwrap();
    third2.pre_commit(4).unwrap();
    drop((third0, third2));
    // 4 instances restore checkpoint 3.
    let mut fourth2 = sink.open(&instance(2)).unwrap();
    fourth2.on_job_restored();
    fourth2.recover(&t2).unwrap();
    let mut fourth0 = sink.open(&instance(0)).unwrap();
    fourth0.on_job_restored();
    fourth0.recover(&t0).unwrap();
    fourth0.finish().unwrap();
    fourth2.finish().unwrap();
    let mut all = lines(&dir);
    all.sort();
    assert_eq!(all, vec!["21", "22"], "{:?}", files(&dir).keys());
    assert_eq!(files(&dir).len(), published(&dir).len(), "no stray files");
    std::fs::remove_dir_all(&dir).unwrap();
}
