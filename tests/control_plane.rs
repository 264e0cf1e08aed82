//! The control plane under faults: a checkpoint storage that panics or fails while the
//! controller or the uploader writes, a failure while a stop's savepoint is taken, a
//! stop right after the start, a cancel while a restart waits out its delay, and a job
//! that runs out of restarts. Each must end in a clear outcome, never a hang.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use strom::prelude::*;

mod common;

/// Checkpoints in memory, but writing a name that contains `panic_on` panics, and the next
/// task state written after `fail_next_task` is set fails.
fn faulty_storage(
    panic_on: Option<&'static str>,
    fail_next_task: Arc<AtomicBool>,
) -> Arc<dyn CheckpointStorage> {
    common::HookedStorage::new(move |name: &str| {
        if panic_on.is_some_and(|p| name.contains(p)) {
            panic!("the storage panics writing {name}");
        }
        if name.contains("task-") && fail_next_task.swap(false, Ordering::SeqCst) {
            let why = format!("injected write error on {name}");
            return Err(StreamError::new(ErrorKind::Io, why));
        }
        Ok(())
    })
}

/// Runs `f` on another thread; its result, or `None` if it took longer than `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).ok()
}

/// A slow bounded job checkpointing every 10 ms into `storage`.
fn slow_job(storage: Arc<dyn CheckpointStorage>) -> JobHandle {
    let job = stream! {
        source(generator(|i| i).take(2_000).chunk(10).rate_limit(20_000.0))
            .map(|i| i * 2)
            .sink(for_each(|_x: u64| {}));
    };
    job.start(
        Config::default()
            .parallelism(1)
            .checkpoint_storage(storage)
            .checkpoint_every(Duration::from_millis(10))
            .checkpoint_timeout(Duration::from_millis(300)),
    )
}

#[test]
fn a_storage_that_panics_under_the_controller_fails_the_job() {
    // The controller writes the checkpoint metadata.
    let handle = slow_job(faulty_storage(Some("_metadata"), Arc::default()));
    let outcome = within(Duration::from_secs(10), move || handle.join()).expect("no hang");
    let error = outcome.expect_err("the job fails");
    assert_eq!(error.error().kind(), ErrorKind::Panic, "{error}");
    assert!(error.to_string().contains("_metadata"), "{error}");
}

#[test]
fn a_storage_that_panics_under_the_uploader_fails_the_job() {
    // The uploader writes the task state.
    let handle = slow_job(faulty_storage(Some("task-"), Arc::default()));
    let outcome = within(Duration::from_secs(10), move || handle.drain()).expect("no hang");
    let error = outcome.expect_err("the job fails");
    assert_eq!(error.error().kind(), ErrorKind::Panic, "{error}");
}

#[test]
fn a_failure_while_stopping_with_a_savepoint_restarts_the_job_and_returns_the_handle() {
    let fail_next_task = Arc::new(AtomicBool::new(false));
    let job = stream! {
        source(generator(|i| i).chunk(1).rate_limit(20_000.0))
            .map(|i| i)
            .sink(for_each(|_x: u64| {}));
    };
    let handle = job.start(
        Config::default()
            .parallelism(1)
            .checkpoint_storage(faulty_storage(None, fail_next_task.clone()))
            .restart_strategy(RestartStrategy::FixedDelay {
                attempts: 5,
                delay: Duration::from_millis(10),
            }),
    );
    handle.savepoint().expect("a first savepoint");
    fail_next_task.store(true, Ordering::SeqCst);
    let (error, handle) = handle
        .stop_with_savepoint()
        .expect_err("the savepoint's state cannot be written");
    assert!(error.to_string().contains("checkpoint"), "{error}");
    // The job ran on: restarted from its last checkpoint, and stoppable again.
    assert!(!handle.is_finished());
    let (id, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert!(id > 1);
    assert_eq!(report.restarts, 1);
}

#[test]
fn a_stop_with_savepoint_right_after_the_start_stops_on_it() {
    for _ in 0..20 {
        let job = stream! {
            source(generator(|i| i).rate_limit(20_000.0))
                .sink(for_each(|_x: u64| {}));
        };
        let handle = job.start(
            Config::default()
                .parallelism(1)
                .checkpoint_storage(Arc::new(MemoryStorage::new())),
        );
        let (_, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
        assert_eq!(report.checkpoints.len(), 1, "stopped on its savepoint");
        assert!(report.checkpoints[0].savepoint);
    }
}

/// A job whose every run fails at its first record, restarted `attempts` times after
/// `delay` each.
fn always_failing_job(attempts: u32, delay: Duration) -> JobHandle {
    let job = stream! {
        source(generator(|i| i).chunk(1).rate_limit(1_000.0))
            .map(|i: u64| -> u64 { panic!("an injected failure at {i}") })
            .sink(for_each(|_x: u64| {}));
    };
    job.start(
        Config::default()
            .parallelism(1)
            .checkpoint_storage(faulty_storage(None, Arc::default()))
            .restart_strategy(RestartStrategy::FixedDelay { attempts, delay }),
    )
}

#[test]
fn a_cancel_during_a_restarts_backoff_ends_the_job_at_once_and_counts_its_restarts() {
    // Each restart waits a minute.
    let handle = always_failing_job(5, Duration::from_secs(60));
    while !matches!(handle.status(), JobStatus::Restarting { .. }) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let outcome = within(Duration::from_secs(10), move || handle.cancel())
        .expect("the cancel waited for the restart's backoff");
    let error = outcome.expect_err("a cancelled job reports its cancel");
    assert_eq!(error.error().kind(), ErrorKind::Cancelled, "{error}");
    assert_eq!(error.restarts(), 0, "it never restarted: {error}");
}

#[test]
fn a_job_that_fails_after_its_last_restart_reports_how_many_it_had() {
    let handle = always_failing_job(2, Duration::from_millis(10));
    let error = within(Duration::from_secs(10), move || handle.join())
        .expect("no hang")
        .expect_err("every run fails");
    assert!(error.to_string().contains("an injected failure"), "{error}");
    assert_eq!(error.restarts(), 2, "{error}");
}
