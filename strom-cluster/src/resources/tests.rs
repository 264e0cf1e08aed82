//! The resource manager's policy, on workers and capacities written out by hand.

use std::time::{Duration, Instant};

use super::{Action, Plan, ResourceOptions, Worker, WorkerPhase};
use crate::jobmanager::registry::{Capacity, TaskManagerLoad};

fn options() -> ResourceOptions {
    ResourceOptions {
        max_workers: Some(4),
        registration_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(30),
        max_start_failures: 3,
        interval: Duration::from_millis(10),
        adopt: true,
    }
}

fn worker(name: &str, phase: WorkerPhase) -> Worker {
    Worker {
        name: name.into(),
        phase,
    }
}

fn running(name: &str) -> Worker {
    worker(name, WorkerPhase::Running)
}

fn load(name: &str, slots: usize, held: usize) -> TaskManagerLoad {
    TaskManagerLoad {
        name: name.into(),
        slots,
        held,
        retiring: false,
    }
}

fn capacity(wanted: usize, taskmanagers: Vec<TaskManagerLoad>) -> Capacity {
    Capacity {
        wanted,
        taskmanagers,
    }
}

#[test]
fn waiting_slots_start_enough_workers_once() {
    let mut plan = Plan::new(options(), 2);
    let t0 = Instant::now();
    // 5 slots wanted, none free: three workers of two slots.
    assert_eq!(
        plan.decide(&[], &capacity(5, vec![]), t0),
        vec![Action::Start(3)]
    );
    // They are starting: the demand is covered, nothing more starts.
    let starting: Vec<Worker> = ["a", "b", "c"]
        .map(|n| worker(n, WorkerPhase::Starting))
        .to_vec();
    assert_eq!(plan.decide(&starting, &capacity(5, vec![]), t0), vec![]);
    // One registered with its two slots free, two still starting: still covered.
    let one_up = capacity(5, vec![load("a", 2, 0)]);
    assert_eq!(plan.decide(&starting, &one_up, t0), vec![]);
}

#[test]
fn free_slots_and_statically_started_taskmanagers_count_before_new_workers() {
    let mut plan = Plan::new(options(), 2);
    let t0 = Instant::now();
    // A TaskManager the resource manager did not start offers 3 free slots of 4 wanted.
    let static_tm = capacity(4, vec![load("taskmanager-17", 4, 1)]);
    assert_eq!(plan.decide(&[], &static_tm, t0), vec![Action::Start(1)]);
    // Retiring ones offer nothing.
    let mut retiring = load("r", 2, 0);
    retiring.retiring = true;
    assert_eq!(
        plan.decide(&[], &capacity(2, vec![retiring]), t0),
        vec![Action::Start(1)]
    );
}

#[test]
fn no_more_workers_than_the_maximum() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    let three = [running("a"), running("b"), running("c")];
    let busy = capacity(10, vec![load("a", 1, 1), load("b", 1, 1), load("c", 1, 1)]);
    assert_eq!(plan.decide(&three, &busy, t0), vec![Action::Start(1)]);
    let four = [running("a"), running("b"), running("c"), running("d")];
    let mut full = busy.clone();
    full.taskmanagers.push(load("d", 1, 1));
    assert_eq!(plan.decide(&four, &full, t0), vec![]);
}

#[test]
fn an_ended_worker_is_stopped_and_its_demand_starts_a_replacement() {
    let mut plan = Plan::new(options(), 2);
    let t0 = Instant::now();
    let both = [running("a"), running("b")];
    let busy = capacity(0, vec![load("a", 2, 2), load("b", 2, 2)]);
    assert_eq!(plan.decide(&both, &busy, t0), vec![]);
    // b's pod failed; its TaskManager is lost, and the job's restart wants 4 slots again.
    let failed = [
        running("a"),
        worker("b", WorkerPhase::Ended("Error, exit code 137".into())),
    ];
    let restart = capacity(4, vec![load("a", 2, 0)]);
    assert_eq!(
        plan.decide(&failed, &restart, t0 + Duration::from_secs(1)),
        vec![
            Action::Stop {
                name: "b".into(),
                why: "it ended: Error, exit code 137".into()
            },
            Action::Start(1)
        ]
    );
}

#[test]
fn a_worker_that_never_registers_is_stopped_and_counts_as_a_start_failure() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    plan.started("a".into());
    let stuck = [worker("a", WorkerPhase::Starting)];
    assert_eq!(plan.decide(&stuck, &capacity(1, vec![]), t0), vec![]);
    let late = t0 + Duration::from_secs(61);
    assert_eq!(
        plan.decide(&stuck, &capacity(1, vec![]), late),
        vec![
            Action::Stop {
                name: "a".into(),
                why: "its TaskManager did not register within 60s".into()
            },
            Action::Start(1)
        ]
    );
    // Three such failures within a minute hold off new workers until they age out.
    plan.start_failed(late);
    plan.start_failed(late);
    assert_eq!(plan.decide(&[], &capacity(1, vec![]), late), vec![]);
    let later = late + Duration::from_secs(61);
    assert_eq!(
        plan.decide(&[], &capacity(1, vec![]), later),
        vec![Action::Start(1)]
    );
}

#[test]
fn a_worker_whose_taskmanager_was_lost_is_stopped_after_the_registration_timeout() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    let a = [running("a")];
    assert_eq!(
        plan.decide(&a, &capacity(0, vec![load("a", 1, 1)]), t0),
        vec![]
    );
    // Its pod runs on, but its TaskManager is gone (a partition, a hung process).
    let gone = capacity(0, vec![]);
    assert_eq!(plan.decide(&a, &gone, t0 + Duration::from_secs(59)), vec![]);
    assert_eq!(
        plan.decide(&a, &gone, t0 + Duration::from_secs(61)),
        vec![Action::Stop {
            name: "a".into(),
            why: "its TaskManager was lost and did not register again within 60s".into()
        }]
    );
}

#[test]
fn idle_workers_are_retired_after_the_idle_timeout_unless_an_allocation_waits() {
    let mut plan = Plan::new(options(), 2);
    let t0 = Instant::now();
    let workers = [running("a"), running("b")];
    let a_busy = capacity(0, vec![load("a", 2, 1), load("b", 2, 0)]);
    assert_eq!(plan.decide(&workers, &a_busy, t0), vec![]);
    assert_eq!(
        plan.decide(&workers, &a_busy, t0 + Duration::from_secs(30)),
        vec![Action::Retire { name: "b".into() }]
    );
    // A waiting allocation resets the clock: b may be about to get a run.
    let mut plan = Plan::new(options(), 2);
    let waiting = capacity(1, vec![load("a", 2, 2), load("b", 2, 0)]);
    assert_eq!(plan.decide(&workers, &waiting, t0), vec![]);
    let idle = capacity(0, vec![load("a", 2, 2), load("b", 2, 0)]);
    assert_eq!(
        plan.decide(&workers, &idle, t0 + Duration::from_secs(20)),
        vec![]
    );
    assert_eq!(
        plan.decide(&workers, &idle, t0 + Duration::from_secs(49)),
        vec![]
    );
    assert_eq!(
        plan.decide(&workers, &idle, t0 + Duration::from_secs(50)),
        vec![Action::Retire { name: "b".into() }]
    );
}

#[test]
fn an_earlier_leaders_workers_are_adopted_and_their_ends_are_no_start_failures() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    // Three pods of the previous leader end before they register with this one.
    let ended: Vec<Worker> = ["x", "y", "z"]
        .map(|n| worker(n, WorkerPhase::Ended("Completed, exit code 0".into())))
        .to_vec();
    let actions = plan.decide(&ended, &capacity(1, vec![]), t0);
    assert_eq!(actions.len(), 4, "{actions:?}");
    assert_eq!(actions[3], Action::Start(1), "no hold-off: {actions:?}");
    // One of this plan's own that ends unregistered counts, once.
    plan.started("mine".into());
    let failed = [worker(
        "mine",
        WorkerPhase::Ended("Error, exit code 1".into()),
    )];
    plan.decide(&failed, &capacity(0, vec![]), t0);
    plan.decide(&failed, &capacity(0, vec![]), t0);
    plan.start_failed(t0);
    assert_eq!(
        plan.decide(&[], &capacity(1, vec![]), t0),
        vec![Action::Start(1)],
        "two failures of three allowed"
    );
}

#[test]
fn without_adoption_an_earlier_jobmanagers_workers_are_stopped() {
    let mut plan = Plan::new(
        ResourceOptions {
            adopt: false,
            ..options()
        },
        1,
    );
    let t0 = Instant::now();
    plan.started("new".into());
    let workers = [running("old"), worker("new", WorkerPhase::Starting)];
    assert_eq!(
        plan.decide(&workers, &capacity(1, vec![]), t0),
        vec![Action::Stop {
            name: "old".into(),
            why: "an earlier JobManager started it".into()
        }]
    );
}

#[test]
fn a_name_registered_twice_is_one_worker_busy_if_either_entry_is() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    let a = [running("a")];
    let twice = capacity(0, vec![load("a", 1, 0), load("a", 1, 1)]);
    assert_eq!(plan.decide(&a, &twice, t0), vec![]);
    assert_eq!(
        plan.decide(&a, &twice, t0 + Duration::from_secs(31)),
        vec![],
        "not idle: one of its entries holds a slot"
    );
}

#[test]
fn a_started_worker_that_vanishes_before_registering_is_a_start_failure() {
    let mut plan = Plan::new(options(), 1);
    let t0 = Instant::now();
    for name in ["a", "b", "c"] {
        plan.started(name.into());
    }
    let starting: Vec<Worker> = ["a", "b", "c"]
        .map(|n| worker(n, WorkerPhase::Starting))
        .to_vec();
    assert_eq!(plan.decide(&starting, &capacity(3, vec![]), t0), vec![]);
    // All three pods were deleted behind its back: three failures, which hold off starts.
    assert_eq!(plan.decide(&[], &capacity(3, vec![]), t0), vec![]);
}
