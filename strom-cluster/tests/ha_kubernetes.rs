//! High availability on Kubernetes Leases, against a mock API server: an in-memory
//! `tower` service that keeps Leases and ConfigMaps with resource versions and answers
//! creates and replaces as the API server does (409 on a conflict). No real API server
//! runs on this machine (neither kube-apiserver nor a kind cluster can be installed from
//! the package registries it reaches), so the mock stands in for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{json, Value};
use strom_cluster::ha::kubernetes::KubernetesHa;
use strom_cluster::ha::{HaServices, LeaderInfo, StoredJob};
use strom_cluster::JobSpec;

/// The objects the mock API server keeps, by path, with their resource versions.
#[derive(Default)]
struct ApiServer {
    objects: Mutex<(u64, HashMap<String, Value>)>,
    /// Replaces of a Lease held by this identity fail (its holder is cut off).
    cut_off: Mutex<Option<String>>,
    /// Every request hangs (the server stopped answering).
    hanging: AtomicBool,
}

fn status(code: StatusCode, reason: &str) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": reason, "reason": reason, "code": code.as_u16(),
    });
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap()
}

fn ok(code: StatusCode, object: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(object).unwrap()))
        .unwrap()
}

impl ApiServer {
    fn answer(&self, method: &Method, path: &str, body: &[u8]) -> Response<Body> {
        let mut objects = self.objects.lock().unwrap();
        let (version, objects) = &mut *objects;
        match *method {
            Method::GET => match objects.get(path) {
                Some(object) => ok(StatusCode::OK, object),
                None => status(StatusCode::NOT_FOUND, "NotFound"),
            },
            Method::POST => {
                let mut object: Value = serde_json::from_slice(body).unwrap();
                let name = object["metadata"]["name"].as_str().unwrap().to_owned();
                let path = format!("{path}/{name}");
                if objects.contains_key(&path) {
                    return status(StatusCode::CONFLICT, "AlreadyExists");
                }
                *version += 1;
                object["metadata"]["resourceVersion"] = json!(version.to_string());
                objects.insert(path, object.clone());
                ok(StatusCode::CREATED, &object)
            }
            Method::PUT => {
                let mut object: Value = serde_json::from_slice(body).unwrap();
                let holder = object["spec"]["holderIdentity"].as_str().map(str::to_owned);
                if holder.is_some() && *self.cut_off.lock().unwrap() == holder {
                    return status(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
                }
                let Some(current) = objects.get(path) else {
                    return status(StatusCode::NOT_FOUND, "NotFound");
                };
                if object["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"] {
                    return status(StatusCode::CONFLICT, "Conflict");
                }
                *version += 1;
                object["metadata"]["resourceVersion"] = json!(version.to_string());
                objects.insert(path.to_owned(), object.clone());
                ok(StatusCode::OK, &object)
            }
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
        }
    }
}

/// A client of `server` (as a JobManager process would have one), in namespace
/// `default`.
fn client(server: &Arc<ApiServer>, cluster: &str, lease: Duration) -> KubernetesHa {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = Arc::clone(server);
    let service = tower::service_fn(move |request: Request<Body>| {
        let server = Arc::clone(&server);
        async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let body = request.into_body().collect_bytes().await.unwrap();
            if server.hanging.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Ok::<_, std::convert::Infallible>(server.answer(&method, &path, &body))
        }
    });
    let client = {
        let _inside = runtime.enter();
        kube::Client::new(service, "default")
    };
    KubernetesHa::with_client(client, runtime, cluster, lease).unwrap()
}

fn me(name: &str, port: u16) -> LeaderInfo {
    LeaderInfo {
        name: name.into(),
        taskmanagers: format!("10.0.0.1:{port}"),
        rest: format!("http://10.0.0.1:{}", port + 1),
    }
}

fn job(id: u64) -> StoredJob {
    StoredJob {
        id,
        spec: JobSpec {
            entry: "window-counts".into(),
            args: vec![],
            settings: Default::default(),
        },
        started_after: 0,
    }
}

#[test]
fn one_holds_the_lease_a_standby_takes_over_and_the_deposed_one_cannot_write() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "one", lease);
    let b = client(&server, "one", lease);
    assert_eq!(a.leader().unwrap(), None);

    let leading = a.campaign(&me("a", 7000)).unwrap();
    assert_eq!(a.leader().unwrap(), Some(me("a", 7000)));
    assert_eq!(
        b.leader().unwrap(),
        Some(me("a", 7000)),
        "seen by the others"
    );
    a.put_job(&leading, &job(1)).unwrap();
    a.put_job(&leading, &job(2)).unwrap();
    a.put_latest_checkpoint(&leading, 2, 17).unwrap();
    a.remove_job(&leading, 1).unwrap();

    // B stands by while A renews (for longer than the lease).
    let (won, elected) = mpsc::channel();
    let standby = b.clone();
    let first = Arc::clone(&leading);
    std::thread::spawn(move || {
        let taken = standby.campaign(&me("b", 8000));
        // Checked the moment B leads: A must have given up by then.
        let _ = won.send((taken, first.is_lost()));
    });
    assert!(elected.recv_timeout(lease * 2).is_err(), "B led beside A");
    assert!(!leading.is_lost());

    // A is cut off: its renewals fail, its leadership lapses, and B takes over once it
    // has seen the Lease unchanged for the lease's duration.
    *server.cut_off.lock().unwrap() = Some("a@10.0.0.1:7000".into());
    let (taken, first_had_given_up) = elected.recv_timeout(Duration::from_secs(10)).unwrap();
    let taken = taken.unwrap();
    assert!(first_had_given_up, "A still led when B took over");
    assert!(taken.token() > leading.token(), "fencing tokens grow");
    assert_eq!(b.leader().unwrap(), Some(me("b", 8000)));
    assert_eq!(b.jobs().unwrap(), [job(2)]);
    assert_eq!(b.latest_checkpoint(2).unwrap(), Some(17));
    assert_eq!(b.next_job_id().unwrap(), 3);

    // A, deposed, can write nothing.
    assert!(a.put_job(&leading, &job(3)).is_err());
    assert_eq!(b.jobs().unwrap(), [job(2)]);
    b.remove_job(&taken, 2).unwrap();
    assert!(b.jobs().unwrap().is_empty());
    assert_eq!(b.next_job_id().unwrap(), 3, "ids are not given twice");
}

#[test]
fn a_leader_whose_api_server_stops_answering_counts_itself_deposed_within_its_lease() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "hang", lease);
    let leading = a.campaign(&me("a", 7000)).unwrap();
    std::thread::sleep(lease);
    assert!(!leading.is_lost(), "renewals keep it");
    let hung = Instant::now();
    server.hanging.store(true, Ordering::SeqCst);
    while !leading.is_lost() {
        assert!(
            hung.elapsed() < lease + Duration::from_secs(1),
            "still leading {:?} after the API server stopped answering",
            hung.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_deposed_leader_cannot_write_once_its_successor_claimed_the_jobs() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "claim", lease);
    let leading = a.campaign(&me("a", 7000)).unwrap();
    a.put_job(&leading, &job(1)).unwrap();
    // A successor took the Lease and claimed the jobs' ConfigMap, while A's own clock
    // still says it leads (its renewal has not come round yet).
    {
        let mut objects = server.objects.lock().unwrap();
        let objects = &mut objects.1;
        let lease = objects
            .get_mut("/apis/coordination.k8s.io/v1/namespaces/default/leases/strom-claim")
            .unwrap();
        lease["spec"]["holderIdentity"] = json!("b@10.0.0.2:7000");
        lease["spec"]["leaseTransitions"] = json!(2);
        let jobs = objects
            .get_mut("/api/v1/namespaces/default/configmaps/strom-claim-jobs")
            .unwrap();
        jobs["metadata"]["annotations"]["strom.io/leader-token"] = json!("2");
    }
    let refused = a.put_job(&leading, &job(2)).unwrap_err();
    assert!(refused.contains("no longer leads"), "{refused}");
    assert!(leading.is_lost());
    let b = client(&server, "claim", lease);
    assert_eq!(b.jobs().unwrap(), [job(1)]);
}

#[test]
fn a_cluster_id_that_is_not_a_name_is_refused() {
    let server = Arc::new(ApiServer::default());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = {
        let _inside = runtime.enter();
        let service = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(status(StatusCode::NOT_FOUND, "NotFound"))
        });
        kube::Client::new(service, "default")
    };
    let _ = server;
    let error =
        KubernetesHa::with_client(client, runtime, "a/b", Duration::from_secs(5)).unwrap_err();
    assert!(error.contains("not a cluster id"), "{error}");
}
