//! [`HaServices`] on Kubernetes, with the kube crate: the election in a Lease
//! (`coordination.k8s.io/v1`, as client-go's leader election does it) and the leader's
//! metadata in a ConfigMap.
//!
//! **Election.** A candidate reads the Lease. Absent, it creates it as holder; held by
//! another, it notes when it last saw the Lease change (its own clock, not the holder's
//! timestamps, so clock skew between pods does not matter) and takes it over, with a
//! replace conditional on the Lease's resource version, once it has seen no change for
//! the lease duration. Each new holder increments `leaseTransitions`: that is the
//! fencing token. The leader renews by replacing the Lease (conditional again) every
//! sixth of the duration; its [`Leadership`] is valid until the duration after its last
//! successful write was *sent*, which is never later than when an observer, counting from
//! when it saw that write, may take over.
//!
//! **Metadata.** One ConfigMap holds the jobs, their latest checkpoints and the next job
//! id, and an annotation with the token of the leader that last wrote it. A new leader
//! claims it first (writes its token); every write is a replace conditional on the
//! ConfigMap's resource version and refused when the annotated token is above the
//! writer's, so a deposed leader cannot write once its successor has claimed the map.
//! Kubernetes has no transactions across objects; this is the same scheme as Flink's
//! Kubernetes HA services.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::runtime::Runtime;

use crate::kubernetes::Requests;

use super::{counted, HaServices, LeaderInfo, Leadership, StoredJob};

/// The Lease's annotation that holds the leader's addresses.
const LEADER_ANNOTATION: &str = "strom.io/leader";
/// The ConfigMap's annotation that holds the token of the leader that last wrote it.
const TOKEN_ANNOTATION: &str = "strom.io/leader-token";

/// High availability on Kubernetes. Cheap to clone.
#[derive(Clone)]
pub struct KubernetesHa {
    leases: Api<Lease>,
    maps: Api<ConfigMap>,
    /// `strom-{cluster id}`: the Lease's name, and the ConfigMap's with `-jobs`.
    name: String,
    ttl: Duration,
    runtime: Arc<Requests>,
    /// What a candidate last saw of the Lease, and when.
    observed: Arc<Mutex<Option<(String, Instant)>>>,
}

impl std::fmt::Debug for KubernetesHa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesHa")
            .field("name", &self.name)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl KubernetesHa {
    /// The cluster `cluster_id` in the pod's namespace, with the in-cluster configuration
    /// (or `KUBECONFIG` outside a cluster).
    pub fn new(cluster_id: &str, ttl: Duration) -> Result<Self, String> {
        let (requests, client) = Requests::with_default_client()?;
        Self::with_requests(client, requests, cluster_id, ttl)
    }

    /// As [`KubernetesHa::new`] over `client` (made inside `runtime`, which runs its
    /// requests): a test's client of a mock API server, say.
    pub fn with_client(
        client: kube::Client,
        runtime: Runtime,
        cluster_id: &str,
        ttl: Duration,
    ) -> Result<Self, String> {
        Self::with_requests(client, Requests::on(runtime), cluster_id, ttl)
    }

    fn with_requests(
        client: kube::Client,
        requests: Requests,
        cluster_id: &str,
        ttl: Duration,
    ) -> Result<Self, String> {
        if cluster_id.is_empty()
            || !cluster_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "`{cluster_id}` is not a cluster id on Kubernetes: use letters, digits and `-`"
            ));
        }
        if ttl < Duration::from_secs(2) {
            return Err(format!("a lease of {ttl:?} is too short: take 2 s or more"));
        }
        Ok(KubernetesHa {
            leases: Api::default_namespaced(client.clone()),
            maps: Api::default_namespaced(client),
            name: format!("strom-{cluster_id}"),
            ttl,
            runtime: Arc::new(requests),
            observed: Arc::default(),
        })
    }

    fn map_name(&self) -> String {
        format!("{}-jobs", self.name)
    }

    fn ttl_seconds(&self) -> i32 {
        self.ttl.as_millis().div_ceil(1000) as i32
    }

    /// The lease duration as written in the Lease.
    fn lease(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds() as u64)
    }

    /// The token of the leader that last wrote the jobs' map (0 if none did).
    fn map_token(&self) -> Result<u64, String> {
        Ok(self
            .get_map()?
            .and_then(|m| m.metadata.annotations)
            .and_then(|a| a.get(TOKEN_ANNOTATION).and_then(|t| t.parse().ok()))
            .unwrap_or(0))
    }

    /// Runs `request` on this store's runtime.
    fn run<T: Send + 'static>(
        &self,
        request: impl Future<Output = Result<T, kube::Error>> + Send + 'static,
    ) -> Result<T, String> {
        self.runtime.run(request)
    }

    fn get_lease(&self) -> Result<Option<Lease>, String> {
        let (leases, name) = (self.leases.clone(), self.name.clone());
        self.run(async move { leases.get_opt(&name).await })
    }

    /// Writes `lease` (created if `create`, else replaced at its resource version);
    /// `Ok(None)` if someone else changed it first.
    fn write_lease(&self, lease: Lease, create: bool) -> Result<Option<Lease>, String> {
        let (leases, name) = (self.leases.clone(), self.name.clone());
        let written = self.run(async move {
            let params = PostParams::default();
            let answer = if create {
                leases.create(&params, &lease).await
            } else {
                leases.replace(&name, &params, &lease).await
            };
            match answer {
                Ok(lease) => Ok(Some(lease)),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
                Err(e) => Err(e),
            }
        });
        written
    }

    /// One attempt to become the holder; the fencing token and the validity if it won.
    fn try_acquire(
        &self,
        me: &LeaderInfo,
        identity: &str,
    ) -> Result<Option<(u64, Instant)>, String> {
        let current = self.get_lease()?;
        let now = Instant::now();
        let (mut lease, create) = match current {
            None => (Lease::default(), true),
            Some(lease) => {
                let spec = lease.spec.clone().unwrap_or_default();
                let holder = spec.holder_identity.clone().unwrap_or_default();
                let version = lease.metadata.resource_version.clone().unwrap_or_default();
                // A holder of the same identity is another process (identities carry a
                // nonce per process): it is waited out like any other.
                if !holder.is_empty() {
                    let mut observed = crate::lock(&self.observed);
                    let unchanged_since = match observed.as_ref() {
                        Some((seen, since)) if *seen == version => *since,
                        _ => {
                            *observed = Some((version, now));
                            return Ok(None);
                        }
                    };
                    let duration = spec.lease_duration_seconds.unwrap_or(self.ttl_seconds());
                    if now.duration_since(unchanged_since)
                        < Duration::from_secs(duration.max(1) as u64)
                    {
                        return Ok(None);
                    }
                }
                (lease, false)
            }
        };
        // Above every earlier token, also one kept in the jobs' map when the Lease was
        // deleted and made anew.
        let map_token = self.map_token()?;
        let transitions = lease
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0)
            .max(i32::try_from(map_token).unwrap_or(i32::MAX))
            + 1;
        let stamp = MicroTime(Timestamp::now());
        lease.metadata.name = Some(self.name.clone());
        lease
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(
                LEADER_ANNOTATION.into(),
                serde_json::to_string(me).map_err(|e| e.to_string())?,
            );
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(identity.to_owned()),
            lease_duration_seconds: Some(self.ttl_seconds()),
            acquire_time: Some(stamp.clone()),
            renew_time: Some(stamp),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        });
        let sent = Instant::now();
        Ok(self
            .write_lease(lease, create)?
            .map(|_| (transitions as u64, sent + counted(self.lease()))))
    }

    /// Renews the Lease if it is still `identity`'s with `token`; the new validity, or
    /// `None` if the leadership has passed.
    fn renew(&self, identity: &str, token: u64) -> Result<Option<Instant>, String> {
        let Some(mut lease) = self.get_lease()? else {
            return Ok(None);
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let ours = spec.holder_identity.as_deref() == Some(identity)
            && spec.lease_transitions.map(|t| t as u64) == Some(token);
        if !ours {
            return Ok(None);
        }
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        let sent = Instant::now();
        match self.write_lease(lease, false)? {
            Some(_) => Ok(Some(sent + counted(self.lease()))),
            // Changed under us: look again next time (another holder is seen then).
            None => Err("the Lease changed while it was renewed".into()),
        }
    }

    /// Renews the Lease every sixth of its duration until the leadership is lost.
    fn keep(&self, identity: String, leadership: Arc<Leadership>) -> Result<(), String> {
        let ha = self.clone();
        let held = Arc::clone(&leadership);
        std::thread::Builder::new()
            .name("strom-ha-lease".into())
            .spawn(move || {
                while !held.is_lost() {
                    std::thread::sleep(ha.ttl / 6);
                    match ha.renew(&identity, held.token()) {
                        Ok(Some(until)) => held.extend(until),
                        Ok(None) => break,
                        Err(_) => continue,
                    }
                }
                held.lose();
            })
            .map(drop)
            .map_err(|e| {
                leadership.lose();
                format!("cannot renew the leader's Lease: {e}")
            })
    }

    fn get_map(&self) -> Result<Option<ConfigMap>, String> {
        let (maps, name) = (self.maps.clone(), self.map_name());
        self.run(async move { maps.get_opt(&name).await })
    }

    /// Applies `change` to the ConfigMap's data as `leadership`'s writer: refused if a
    /// later leader wrote the map, retried if it changed meanwhile.
    fn fenced(
        &self,
        leadership: &Leadership,
        change: impl Fn(&mut BTreeMap<String, String>),
    ) -> Result<(), String> {
        for attempt in 0..10u32 {
            // Another writer (a job's checkpoint record) changed the map: back off.
            std::thread::sleep(Duration::from_millis(20) * attempt);
            if leadership.is_lost() {
                return Err("this JobManager no longer leads".into());
            }
            let (mut map, create) = match self.get_map()? {
                Some(map) => (map, false),
                None => (ConfigMap::default(), true),
            };
            let annotations = map.metadata.annotations.get_or_insert_with(BTreeMap::new);
            let written_by: u64 = annotations
                .get(TOKEN_ANNOTATION)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            if written_by > leadership.token() {
                leadership.lose();
                return Err(
                    "this JobManager no longer leads: a later leader wrote the jobs".into(),
                );
            }
            annotations.insert(TOKEN_ANNOTATION.into(), leadership.token().to_string());
            map.metadata.name = Some(self.map_name());
            change(map.data.get_or_insert_with(BTreeMap::new));
            let (maps, name) = (self.maps.clone(), self.map_name());
            let written = self.run(async move {
                let params = PostParams::default();
                let answer = if create {
                    maps.create(&params, &map).await
                } else {
                    maps.replace(&name, &params, &map).await
                };
                match answer {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            if written {
                return Ok(());
            }
        }
        Err("the jobs' ConfigMap kept changing while it was written".into())
    }

    fn data(&self) -> Result<BTreeMap<String, String>, String> {
        Ok(self.get_map()?.and_then(|m| m.data).unwrap_or_default())
    }
}

fn job_key(id: u64) -> String {
    format!("job-{id:020}")
}

fn checkpoint_key(id: u64) -> String {
    format!("checkpoint-{id:020}")
}

impl HaServices for KubernetesHa {
    fn campaign(&self, me: &LeaderInfo) -> Result<Arc<Leadership>, String> {
        // Unique per process, even where every container's process id is 1.
        let nonce = {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u32(std::process::id());
            hasher.finish()
        };
        let identity = format!("{}@{}#{nonce:016x}", me.name, me.taskmanagers);
        loop {
            match self.try_acquire(me, &identity) {
                Ok(Some((token, valid_until))) => {
                    let leadership = Arc::new(Leadership::new(token, valid_until));
                    self.keep(identity, Arc::clone(&leadership))?;
                    // Claim the jobs' map: the previous leader's writes fail from here on.
                    self.fenced(&leadership, |_| {})?;
                    return Ok(leadership);
                }
                Ok(None) => std::thread::sleep((self.ttl / 8).min(Duration::from_millis(500))),
                Err(e) => {
                    eprintln!("strom: standing by: {e}; trying again");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    fn leader(&self) -> Result<Option<LeaderInfo>, String> {
        let Some(lease) = self.get_lease()? else {
            return Ok(None);
        };
        let held = lease
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_deref())
            .is_some_and(|h| !h.is_empty());
        let info = lease
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(LEADER_ANNOTATION));
        match (held, info) {
            (true, Some(info)) => serde_json::from_str(info)
                .map(Some)
                .map_err(|e| format!("the Lease names no JobManager: {e}")),
            _ => Ok(None),
        }
    }

    fn put_job(&self, leadership: &Leadership, job: &StoredJob) -> Result<(), String> {
        let value = serde_json::to_string(job).map_err(|e| e.to_string())?;
        self.fenced(leadership, |data| {
            data.insert(job_key(job.id), value.clone());
            let next = data
                .get("next-job")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1u64)
                .max(job.id + 1);
            data.insert("next-job".into(), next.to_string());
        })
    }

    fn next_job_id(&self) -> Result<u64, String> {
        match self.data()?.get("next-job") {
            Some(next) => next
                .parse()
                .map_err(|_| "the next job id in the ConfigMap is not a number".to_owned()),
            None => Ok(1),
        }
    }

    fn remove_job(&self, leadership: &Leadership, id: u64) -> Result<(), String> {
        self.fenced(leadership, |data| {
            data.remove(&job_key(id));
            data.remove(&checkpoint_key(id));
        })
    }

    fn jobs(&self) -> Result<Vec<StoredJob>, String> {
        self.data()?
            .iter()
            .filter(|(key, _)| key.starts_with("job-"))
            .map(|(key, value)| {
                serde_json::from_str(value)
                    .map_err(|e| format!("the job stored as `{key}` cannot be read: {e}"))
            })
            .collect()
    }

    fn put_latest_checkpoint(
        &self,
        leadership: &Leadership,
        id: u64,
        checkpoint: u64,
    ) -> Result<(), String> {
        self.fenced(leadership, |data| {
            data.insert(checkpoint_key(id), checkpoint.to_string());
        })
    }

    fn latest_checkpoint(&self, id: u64) -> Result<Option<u64>, String> {
        self.data()?
            .get(&checkpoint_key(id))
            .map(|c| {
                c.parse()
                    .map_err(|_| format!("job {id}'s latest checkpoint is not a number"))
            })
            .transpose()
    }
}
