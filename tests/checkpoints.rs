//! Checkpoints and recovery in process: restarts resume from the latest complete
//! checkpoint with exactly-once state, rescaling, damaged checkpoints and failing writes.
//! (Killing whole processes is `tests/fault_injection.rs`.)

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use strom::prelude::*;

mod common;
use common::{failing_once, finals, restart_soon};

const N: u64 = 300_000;
const KEYS: u64 = 97;

/// A job counting records per key (rolling), whose map panics once at record `fail_at`
/// while `armed`; the source is fixed at parallelism 2, the keyed stage follows the job.
fn counting_job(out: &CollectSink<(u64, u64)>, armed: &Arc<AtomicBool>, fail_at: u64) -> Job {
    let identity = failing_once(armed, fail_at, 1000);
    stream! {
        let numbers = source(generator(|i| i).take(N).chunk(1000))
            .map(identity)
            .parallelism(2);
        numbers.key_by(|i| i % KEYS).aggregate(count()).sink(out.clone());
    }
}

fn expected() -> BTreeMap<u64, u64> {
    (0..KEYS)
        .map(|k| (k, (0..N).filter(|i| i % KEYS == k).count() as u64))
        .collect()
}

fn config(storage: &Arc<MemoryStorage>, parallelism: usize) -> Config {
    Config::default()
        .parallelism(parallelism)
        .checkpoint_storage(storage.clone())
        .checkpoint_every(Duration::from_millis(2))
        .retain_checkpoints(100)
        .batch_size(64)
}

#[test]
fn a_failed_job_restarts_from_its_latest_checkpoint_with_exact_state() {
    let storage = Arc::new(MemoryStorage::new());
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    let job = counting_job(&out, &armed, 200_000);
    let report = job
        .run_with(config(&storage, 2).restart_strategy(restart_soon()))
        .unwrap();
    assert_eq!(report.restarts, 1);
    assert!(
        report.restored_from.is_some(),
        "the restart resumed from a checkpoint"
    );
    // The sink is not transactional (records after the checkpoint were emitted twice),
    // but the state is exact: every key's count reaches its true total, not more.
    assert_eq!(finals(out.take()), expected());
}

/// The same counter writing into an idempotent upsert sink: the records replayed after the
/// restart write their keys again with the same counts, so the table ends exact although
/// the sink has no transactions.
#[test]
fn an_upsert_sink_ends_exact_after_a_restart() {
    let storage = Arc::new(MemoryStorage::new());
    let table = upsert_table();
    let armed = Arc::new(AtomicBool::new(true));
    let identity = failing_once(&armed, 200_000, 1000);
    let sink = upsert_sink(table.clone(), |(key, count): (u64, u64)| (key, count));
    let job = stream! {
        let numbers = source(generator(|i| i).take(N).chunk(1000))
            .map(identity)
            .parallelism(2);
        numbers.key_by(|i| i % KEYS).aggregate(count()).sink(sink);
    };
    let report = job
        .run_with(config(&storage, 2).restart_strategy(restart_soon()))
        .unwrap();
    assert_eq!(report.restarts, 1);
    assert_eq!(table.snapshot(), expected());
}

#[test]
fn without_a_restart_strategy_the_failure_is_returned_and_a_new_run_resumes() {
    let storage = Arc::new(MemoryStorage::new());
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    let error = counting_job(&out, &armed, 200_000)
        .run_with(config(&storage, 2))
        .unwrap_err()
        .to_string();
    assert!(error.contains("injected failure at 200000"), "{error}");
    // A new run on the same storage resumes (the map no longer fails).
    let report = counting_job(&out, &armed, 200_000)
        .run_with(config(&storage, 2))
        .unwrap();
    assert!(report.restored_from.is_some());
    assert_eq!(finals(out.take()), expected());
}

#[test]
fn a_checkpoint_taken_at_parallelism_2_restores_at_1_and_4() {
    let storage = Arc::new(MemoryStorage::new());
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    counting_job(&out, &armed, 200_000)
        .run_with(config(&storage, 2))
        .unwrap_err();
    out.take();
    let names = storage.names();
    let latest = names
        .iter()
        .filter(|n| n.ends_with("/_metadata"))
        .filter_map(|n| {
            n.strip_prefix("chk-")?
                .split('/')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .expect("a checkpoint completed before the failure");
    for p in [1, 4] {
        let report = counting_job(&out, &armed, 200_000)
            .run_with(config(&storage, p).resume_from(latest))
            .unwrap();
        assert_eq!(report.restored_from, Some(latest), "parallelism {p}");
        let keyed_instances = report.tasks.iter().filter(|t| t.stage == 1).count();
        assert_eq!(keyed_instances, p);
        assert_eq!(finals(out.take()), expected(), "parallelism {p}");
    }
}

#[test]
fn a_damaged_latest_checkpoint_falls_back_to_the_one_before() {
    let dir = std::env::temp_dir().join(format!("strom-damaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    let local = Config::default()
        .parallelism(2)
        .checkpoint_dir(&dir)
        .checkpoint_every(Duration::from_millis(5))
        .retain_checkpoints(3)
        .batch_size(64);
    counting_job(&out, &armed, 200_000)
        .run_with(local.clone())
        .unwrap_err();
    out.take();
    let mut complete: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("_metadata").exists())
        .collect();
    complete.sort();
    assert!(complete.len() >= 2, "{complete:?}");
    let newest = complete.last().unwrap();
    let victim = newest.join("task-1-0");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let report = counting_job(&out, &armed, 200_000).run_with(local).unwrap();
    let restored = format!("chk-{:010}", report.restored_from.unwrap());
    let previous = complete[complete.len() - 2]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert_eq!(
        restored, previous,
        "resumed from the checkpoint before the damaged one"
    );
    // The report says which checkpoint was passed over and names the damaged file.
    let damaged = newest.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        report
            .skipped_checkpoints
            .iter()
            .any(|why| why.contains(&damaged) && why.contains("task-1-0")),
        "{:?}",
        report.skipped_checkpoints
    );
    assert_eq!(finals(out.take()), expected());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_full_disk_fails_the_job_clearly_and_a_later_run_loses_nothing() {
    // Writes fail once a few went through, like a full disk.
    let (full, writes) = (Arc::new(AtomicBool::new(true)), AtomicU64::new(0));
    let is_full = full.clone();
    let disk = common::HookedStorage::new(move |name| {
        if writes.fetch_add(1, Ordering::SeqCst) > 10 && is_full.load(Ordering::SeqCst) {
            return Err(strom::core::StreamError::io(
                format!("cannot write checkpoint file `{name}`"),
                std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
            ));
        }
        Ok(())
    });
    let out = collect_sink();
    let never = Arc::new(AtomicBool::new(false));
    let config = Config::default()
        .parallelism(2)
        .checkpoint_storage(disk.clone())
        .checkpoint_every(Duration::from_millis(2))
        .batch_size(16);
    let error = counting_job(&out, &never, 0)
        .run_with(config.clone())
        .unwrap_err()
        .to_string();
    assert!(error.contains("No space left on device"), "{error}");
    assert!(error.contains("checkpoint file `chk-"), "{error}");
    out.take();
    full.store(false, Ordering::SeqCst);
    let report = counting_job(&out, &never, 0).run_with(config).unwrap();
    assert!(report.restored_from.is_some());
    assert_eq!(finals(out.take()), expected());
}

#[test]
fn checkpoints_report_their_cost_and_old_ones_are_deleted() {
    let storage = Arc::new(MemoryStorage::new());
    let out = collect_sink();
    let never = Arc::new(AtomicBool::new(false));
    let report = counting_job(&out, &never, 0)
        .run_with(
            Config::default()
                .parallelism(2)
                .checkpoint_storage(storage.clone())
                .checkpoint_every(Duration::from_millis(2))
                .retain_checkpoints(2)
                .batch_size(16),
        )
        .unwrap();
    assert!(report.checkpoints.len() >= 2, "{:?}", report.checkpoints);
    assert!(report.checkpoints.iter().all(|c| c.bytes > 0));
    let kept = storage
        .names()
        .iter()
        .filter(|n| n.ends_with("_metadata"))
        .count();
    assert_eq!(kept, 2, "only the newest two are kept");
}
