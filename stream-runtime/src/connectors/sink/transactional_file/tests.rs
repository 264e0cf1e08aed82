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
    instance_at(index, 2)
}

/// Instance `index` of a sink running at `parallelism`.
fn instance_at(index: usize, parallelism: usize) -> InstanceInfo {
    InstanceInfo {
        stage: 1,
        index,
        parallelism,
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
    let mut old3 = sink.open(&instance_at(3, 4)).unwrap();
    old3.write(TEN_O_CLOCK, 33).unwrap();
    let t3 = old3.pre_commit(1).unwrap();
    drop(old3);
    // At parallelism 2, instance 1 restores old instance 3's transactions.
    let mut new1 = sink.open(&instance_at(1, 2)).unwrap();
    new1.on_job_restored();
    new1.recover(&t3).unwrap();
    let t1 = new1.pre_commit(2).unwrap();
    drop(new1);
    // Back at parallelism 4: instance 3 restored nothing of its own; instance 1 restores
    // the files it adopted.
    let mut again3 = sink.open(&instance_at(3, 4)).unwrap();
    again3.on_job_restored();
    let mut again1 = sink.open(&instance_at(1, 4)).unwrap();
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
    let mut first2 = sink.open(&instance_at(2, 3)).unwrap();
    first2.write(TEN_O_CLOCK, 21).unwrap();
    let t2 = first2.pre_commit(1).unwrap();
    drop(first2);
    // 2 instances: instance 0 adopts it and checkpoint 2 names it.
    let mut second0 = sink.open(&instance_at(0, 2)).unwrap();
    second0.on_job_restored();
    second0.recover(&t2).unwrap();
    let t0 = second0.pre_commit(2).unwrap();
    drop(second0);
    // 3 instances again: instance 2 writes its own file in checkpoint 3, and one more for
    // checkpoint 4, which never completes.
    let mut third0 = sink.open(&instance_at(0, 3)).unwrap();
    third0.on_job_restored();
    third0.recover(&t0).unwrap();
    let t0 = third0.pre_commit(3).unwrap();
    let mut third2 = sink.open(&instance_at(2, 3)).unwrap();
    third2.on_job_restored();
    third2.write(TEN_O_CLOCK, 22).unwrap();
    let t2 = third2.pre_commit(3).unwrap();
    third2.write(TEN_O_CLOCK, 99).unwrap();
    third2.pre_commit(4).unwrap();
    drop((third0, third2));
    // 4 instances restore checkpoint 3.
    let mut fourth2 = sink.open(&instance_at(2, 4)).unwrap();
    fourth2.on_job_restored();
    fourth2.recover(&t2).unwrap();
    let mut fourth0 = sink.open(&instance_at(0, 4)).unwrap();
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

/// Files outside the published output: pending and in-progress parts left behind.
fn strays(dir: &Path) -> Vec<String> {
    files(dir)
        .into_keys()
        .filter(|name| name.starts_with('.'))
        .collect()
}

/// The sorted published lines.
fn sorted_lines(dir: &Path) -> Vec<String> {
    let mut all = lines(dir);
    all.sort();
    all
}

/// The fault-injection failure (two pending files `part-2-…` of checkpoint 4 left after
/// restarts at fewer than 3 instances). A run at 3 instances that never completed a
/// checkpoint pre-commits checkpoint 4 (checkpoint ids went on after the folders of dead
/// runs) and has parts in progress; the next run starts afresh at 2 instances. No instance
/// numbered 2 exists to delete instance 2's files, and no later restore deletes them
/// either: they are not newer than the checkpoints it restores.
#[test]
fn a_fresh_start_at_fewer_instances_deletes_the_files_of_the_vanished_ones() {
    let dir = scratch("fresh-fewer");
    let sink = transactional_file_sink::<u32>(&dir).hourly_buckets();
    let mut dead: Vec<_> = (0..3)
        .map(|i| sink.open(&instance_at(i, 3)).unwrap())
        .collect();
    for (i, w) in dead.iter_mut().enumerate() {
        // Two buckets, as the first output of the ETL job (09:59 and 10:00).
        w.write(TEN_O_CLOCK - 1, 90 + i as u32).unwrap();
        w.write(TEN_O_CLOCK, 100 + i as u32).unwrap();
        w.pre_commit(4).unwrap();
        w.write(TEN_O_CLOCK, 200 + i as u32).unwrap();
    }
    drop(dead);
    // Afresh at 2 instances: the input is read again from its start.
    let mut again: Vec<_> = (0..2)
        .map(|i| sink.open(&instance_at(i, 2)).unwrap())
        .collect();
    for (i, w) in again.iter_mut().enumerate() {
        w.write(TEN_O_CLOCK, i as u32).unwrap();
        w.pre_commit(5).unwrap();
    }
    for w in &mut again {
        w.commit(5).unwrap();
        w.finish().unwrap();
    }
    assert_eq!(strays(&dir), Vec::<String>::new());
    assert_eq!(sorted_lines(&dir), vec!["0", "1"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run at 3 instances restored a checkpoint taken at 2, wrote, pre-committed
/// checkpoint 4 (never completed) and died with parts in progress; the next run restores
/// the same checkpoint at 2 instances. Instance 2 left files that no restored transaction
/// names and whose instance is not in the checkpoint either.
#[test]
fn restoring_at_fewer_instances_after_a_dead_run_at_more_leaves_no_strays() {
    let dir = scratch("restore-fewer");
    let sink = transactional_file_sink::<u32>(&dir);
    // 2 instances complete checkpoint 3.
    let mut first: Vec<_> = (0..2)
        .map(|i| sink.open(&instance_at(i, 2)).unwrap())
        .collect();
    let mut completed = Vec::new();
    for (i, w) in first.iter_mut().enumerate() {
        w.write(TEN_O_CLOCK, i as u32).unwrap();
        completed.push(w.pre_commit(3).unwrap());
    }
    drop(first);
    // 3 instances restore it, write, pre-commit 4 and die.
    let mut dead: Vec<_> = (0..3)
        .map(|i| sink.open(&instance_at(i, 3)).unwrap())
        .collect();
    for (i, w) in dead.iter_mut().enumerate() {
        w.on_job_restored();
        if let Some(t) = completed.get(i) {
            w.recover(t).unwrap();
        }
        w.write(TEN_O_CLOCK, 40 + i as u32).unwrap();
        w.pre_commit(4).unwrap();
        w.write(TEN_O_CLOCK, 50 + i as u32).unwrap();
    }
    drop(dead);
    // 2 instances restore checkpoint 3 again and replay.
    let mut again: Vec<_> = (0..2)
        .map(|i| sink.open(&instance_at(i, 2)).unwrap())
        .collect();
    for (i, w) in again.iter_mut().enumerate() {
        w.on_job_restored();
        w.recover(&completed[i]).unwrap();
        w.write(TEN_O_CLOCK, 40 + i as u32).unwrap();
    }
    for w in &mut again {
        w.finish().unwrap();
    }
    assert_eq!(strays(&dir), Vec::<String>::new());
    assert_eq!(sorted_lines(&dir), vec!["0", "1", "40", "41"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// 3 instances complete checkpoint `n - 1`, pre-commit `n` (never completed) and die;
/// 2 instances restore `n - 1` (instance 0 takes old instances 0 and 2) and finish.
#[test]
fn restoring_at_fewer_instances_a_checkpoint_taken_at_more_leaves_no_strays() {
    let dir = scratch("rescale-down");
    let sink = transactional_file_sink::<u32>(&dir);
    let mut dead: Vec<_> = (0..3)
        .map(|i| sink.open(&instance_at(i, 3)).unwrap())
        .collect();
    let mut completed = Vec::new();
    for (i, w) in dead.iter_mut().enumerate() {
        w.write(TEN_O_CLOCK, i as u32).unwrap();
        completed.push(w.pre_commit(6).unwrap());
        w.write(TEN_O_CLOCK, 10 + i as u32).unwrap();
        w.pre_commit(7).unwrap();
        w.write(TEN_O_CLOCK, 20 + i as u32).unwrap();
    }
    drop(dead);
    let mut again: Vec<_> = (0..2)
        .map(|i| sink.open(&instance_at(i, 2)).unwrap())
        .collect();
    for (old, t) in completed.iter().enumerate() {
        again[old % 2].on_job_restored();
        again[old % 2].recover(t).unwrap();
    }
    for (i, w) in again.iter_mut().enumerate() {
        w.write(TEN_O_CLOCK, 10 + i as u32).unwrap();
        w.write(TEN_O_CLOCK, 20 + i as u32).unwrap();
        if i == 0 {
            w.write(TEN_O_CLOCK, 12).unwrap();
            w.write(TEN_O_CLOCK, 22).unwrap();
        }
        w.finish().unwrap();
    }
    assert_eq!(strays(&dir), Vec::<String>::new());
    assert_eq!(
        sorted_lines(&dir),
        vec!["0", "1", "10", "11", "12", "2", "20", "21", "22"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small deterministic random number generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The protocol as the runtime drives it, through runs at random parallelisms (1 to 4)
/// that die at random moments: before, between and after the instances' pre-commits and
/// commits, with checkpoints abandoned along the way and checkpoint ids reused when a dead
/// run left no folder. Each run restores the latest completed checkpoint (old instance `j`'s
/// transactions going to new instance `j % p`, as `readers_for` hands them out) or none,
/// and replays the input from that checkpoint's position. The last run finishes: the
/// output holds every record once and nothing else is left. (About a third of the seeds
/// left stray files before each instance cleaned up the numbers it owns.)
#[test]
fn runs_dying_at_random_at_random_parallelisms_publish_every_record_once() {
    const RECORDS: u64 = 60;
    type Writer = TransactionalFileWriter<u64, DisplayLines, HourlyBuckets>;
    // `STROM_SINK_SEEDS` runs more scenarios (each seed is one).
    let seeds: u64 = std::env::var("STROM_SINK_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60);
    for seed in 1..=seeds {
        let dir = scratch(&format!("random-{seed}"));
        let sink = transactional_file_sink::<u64>(&dir)
            .hourly_buckets()
            .publish_every(3);
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // The latest completed checkpoint: its id, each old instance's transactions and
        // the input position at its barrier.
        let mut completed: Option<(u64, Vec<Vec<u8>>, u64)> = None;
        let mut last_id = 0;
        for run in 0..8 {
            let last = run == 7;
            let p = 1 + rng.below(4) as usize;
            let mut writers: Vec<Writer> = (0..p)
                .map(|i| sink.open(&instance_at(i, p)).unwrap())
                .collect();
            let mut position = 0;
            if let Some((_, transactions, at)) = &completed {
                writers.iter_mut().for_each(|w| w.on_job_restored());
                for (j, t) in transactions.iter().enumerate() {
                    writers[j % p].recover(t).unwrap();
                }
                position = *at;
            }
            let mut uncommitted: Vec<u64> = Vec::new();
            // One step of the run; `false` once it died.
            let mut alive = true;
            while alive && position < RECORDS {
                let end = (position + 1 + rng.below(6)).min(RECORDS);
                for x in position..end {
                    let ts = TEN_O_CLOCK + x as i64 * 600_000;
                    writers[x as usize % p].write(ts, x).unwrap();
                }
                position = end;
                if !last && rng.below(6) == 0 {
                    alive = false;
                    break;
                }
                if rng.below(3) == 0 {
                    continue;
                }
                // A checkpoint: every instance pre-commits, unless the run dies (or the
                // checkpoint is abandoned) half-way.
                let id = last_id + 1;
                let mut transactions = Vec::new();
                let stop = if last {
                    p
                } else {
                    rng.below(p as u64 + 3) as usize
                };
                for w in writers.iter_mut().take(stop.min(p)) {
                    transactions.push(w.pre_commit(id).unwrap());
                }
                if transactions.len() < p {
                    match rng.below(3) {
                        // Abandoned: the run goes on; the id is used.
                        0 => last_id = id,
                        // Died, leaving a folder: the next run's ids go on after it.
                        1 => {
                            last_id = id;
                            alive = false;
                        }
                        // Died before its folder was written: the id is used again.
                        _ => alive = false,
                    }
                    continue;
                }
                last_id = id;
                completed = Some((id, transactions, position));
                uncommitted.push(id);
                // Commits arrive in time, late (after the next barrier) or not at all.
                if rng.below(2) == 0 {
                    for id in std::mem::take(&mut uncommitted) {
                        let upto = if last {
                            p
                        } else {
                            rng.below(p as u64 + 2) as usize
                        };
                        for w in writers.iter_mut().take(upto.min(p)) {
                            w.commit(id).unwrap();
                        }
                        if upto < p {
                            alive = false;
                        }
                    }
                }
            }
            if !alive {
                continue;
            }
            // The end of the input: the final checkpoint, its commit, then the end.
            let id = last_id + 1;
            for w in &mut writers {
                w.pre_commit(id).unwrap();
            }
            uncommitted.push(id);
            for id in uncommitted {
                writers.iter_mut().for_each(|w| w.commit(id).unwrap());
            }
            writers.iter_mut().for_each(|w| w.finish().unwrap());
            break;
        }
        assert_eq!(strays(&dir), Vec::<String>::new(), "seed {seed}");
        let mut got: Vec<u64> = lines(&dir).iter().map(|l| l.parse().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..RECORDS).collect::<Vec<_>>(), "seed {seed}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
