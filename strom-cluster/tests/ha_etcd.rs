//! High availability over a real etcd (started on loopback by the test): one leader at
//! a time, a standby that takes over when the leader's key goes, the metadata a new
//! leader needs, and a deposed leader whose writes are refused.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use strom_cluster::ha::etcd::EtcdHa;
use strom_cluster::ha::{HaServices, LeaderInfo};
use strom_cluster::JobSpec;
use support::etcd::Etcd;

fn me(name: &str, port: u16) -> LeaderInfo {
    LeaderInfo {
        name: name.into(),
        taskmanagers: format!("127.0.0.1:{port}").parse().unwrap(),
        rest: format!("http://127.0.0.1:{}", port + 1),
    }
}

fn spec(entry: &str) -> JobSpec {
    JobSpec {
        entry: entry.into(),
        args: vec!["out".into()],
        settings: Default::default(),
    }
}

/// Deletes the leader key, as etcd does when the leader's lease expires.
fn expire_leader(etcd: &Etcd, cluster: &str) {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(format!("strom/{cluster}/leader"));
    let answer = ureq::post(format!("{}/v3/kv/deleterange", etcd.endpoint))
        .send_json(serde_json::json!({ "key": key }))
        .unwrap();
    assert!(answer.status().is_success());
}

#[test]
fn one_leads_a_standby_takes_over_and_the_deposed_one_cannot_write() {
    let etcd = Etcd::start();
    let endpoints = vec![etcd.endpoint.clone()];
    let lease = Duration::from_secs(2);
    let a = EtcdHa::new(&endpoints, "one", lease).unwrap();
    let b = EtcdHa::new(&endpoints, "one", lease).unwrap();
    assert_eq!(a.leader().unwrap(), None);

    let leading = a.campaign(&me("a", 7000)).unwrap();
    assert_eq!(a.leader().unwrap(), Some(me("a", 7000)));
    a.put_job(&leading, 1, &spec("first")).unwrap();
    a.put_job(&leading, 2, &spec("second")).unwrap();
    a.put_latest_checkpoint(&leading, 2, 17).unwrap();
    a.remove_job(&leading, 1).unwrap();

    // B stands by while A renews its lease (longer than the lease itself).
    let (won, elected) = mpsc::channel();
    let standby = b.clone();
    std::thread::spawn(move || {
        let _ = won.send(standby.campaign(&me("b", 8000)));
    });
    assert!(elected.recv_timeout(lease * 2).is_err(), "B led beside A");
    assert!(!leading.is_lost());

    expire_leader(&etcd, "one");
    let taken = elected
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap();
    assert!(taken.token() > leading.token(), "fencing tokens grow");
    assert_eq!(b.leader().unwrap(), Some(me("b", 8000)));
    // What A left is what B resumes.
    let jobs = b.jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, 2);
    assert_eq!(jobs[0].1, spec("second"));
    assert_eq!(b.latest_checkpoint(2).unwrap(), Some(17));

    // A, deposed, can write nothing, and knows it.
    let refused = a.put_job(&leading, 3, &spec("third")).unwrap_err();
    assert!(refused.contains("no longer leads"), "{refused}");
    assert!(leading.is_lost());
    assert!(a.remove_job(&leading, 2).is_err());
    assert_eq!(b.jobs().unwrap().len(), 1);

    b.remove_job(&taken, 2).unwrap();
    assert!(b.jobs().unwrap().is_empty());
    assert_eq!(b.latest_checkpoint(2).unwrap(), None);
}

#[test]
fn a_leader_cut_off_from_etcd_counts_itself_deposed_within_its_lease() {
    let etcd = Etcd::start();
    let lease = Duration::from_secs(2);
    let a = EtcdHa::new(std::slice::from_ref(&etcd.endpoint), "cut", lease).unwrap();
    let leading = a.campaign(&me("a", 7000)).unwrap();
    std::thread::sleep(lease);
    assert!(!leading.is_lost(), "renewals keep it");
    drop(etcd);
    // No renewal succeeds: lost once the lease has passed since the last one.
    let deadline = std::time::Instant::now() + lease * 2;
    while !leading.is_lost() {
        assert!(
            std::time::Instant::now() < deadline,
            "still leading, unreachable"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let endpoints = vec!["http://127.0.0.1:1".to_owned()];
    let error = EtcdHa::new(&endpoints, "x", Duration::from_secs(1)).unwrap_err();
    assert!(error.contains("too short"), "{error}");
    assert!(EtcdHa::new(&endpoints, "a/b", Duration::from_secs(5)).is_err());
    assert!(EtcdHa::new(&[], "x", Duration::from_secs(5)).is_err());
    let unreachable = EtcdHa::new(&endpoints, "x", Duration::from_secs(5)).unwrap();
    let error = unreachable.leader().unwrap_err();
    assert!(error.contains("cannot reach etcd"), "{error}");
}
