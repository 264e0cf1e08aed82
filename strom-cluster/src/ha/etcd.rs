//! [`HaServices`] over etcd, through its JSON gateway (`/v3/...` on the client port, the
//! same API as gRPC), so that no gRPC stack or protobuf compiler joins the build.
//!
//! The election is etcd's usual one: a JobManager grants itself a lease and creates the
//! leader key with it, only if the key does not exist (a transaction comparing its create
//! revision with 0). The key's create revision is the fencing token: every write of the
//! metadata is a transaction that compares the leader key's create revision with it, so a
//! deposed leader cannot write. The leader renews its lease every third of its time to
//! live; once a renewal has not succeeded within the time to live, measured from when it
//! was sent, it counts its leadership as lost, before etcd can give the key to a
//! standby. A standby retries the transaction until the key is gone (its holder's lease
//! expired or was revoked).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::{HaServices, LeaderInfo, Leadership};
use crate::job::JobSpec;

/// High availability over an etcd cluster. Cheap to clone: clones share the gateway.
#[derive(Clone, Debug)]
pub struct EtcdHa {
    gateway: Arc<Gateway>,
    /// `strom/{cluster id}/`.
    prefix: String,
    /// The leader's lease.
    ttl: Duration,
}

impl EtcdHa {
    /// The cluster `cluster_id` (JobManagers of one cluster share it) in the etcd cluster
    /// at `endpoints` (`http://host:2379`); a leader that has not renewed its lease for
    /// `ttl` counts itself deposed (at least 2 s: etcd's shortest lease is about 1.5 s).
    pub fn new(endpoints: &[String], cluster_id: &str, ttl: Duration) -> Result<Self, String> {
        if endpoints.is_empty() {
            return Err("name at least one etcd endpoint (http://host:2379)".into());
        }
        if cluster_id.is_empty() || cluster_id.contains('/') {
            return Err(format!(
                "`{cluster_id}` is not a cluster id: it must be non-empty, without `/`"
            ));
        }
        if ttl < Duration::from_secs(2) {
            return Err(format!(
                "a lease of {ttl:?} is too short: etcd's shortest is about 1.5 s, take 2 s or more"
            ));
        }
        Ok(EtcdHa {
            gateway: Arc::new(Gateway::new(endpoints)),
            prefix: format!("strom/{cluster_id}/"),
            ttl,
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn job_key(&self, id: u64) -> String {
        self.key(&format!("jobs/{id:020}"))
    }

    fn checkpoint_key(&self, id: u64) -> String {
        self.key(&format!("checkpoints/{id:020}"))
    }

    /// Grants a lease of this store's time to live; returns its id.
    fn grant(&self) -> Result<String, String> {
        let ttl = self.ttl.as_secs().max(2);
        let granted = self
            .gateway
            .call("/v3/lease/grant", json!({ "TTL": ttl }))?;
        granted["ID"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("etcd granted no lease: {granted}"))
    }

    /// Renews `lease`; false if it has expired.
    fn renew(&self, lease: &str) -> Result<bool, String> {
        let renewed = self
            .gateway
            .call("/v3/lease/keepalive", json!({ "ID": lease }))?;
        Ok(number(&renewed["result"]["TTL"]) > 0)
    }

    /// The leader key's create revision and value, if it exists.
    fn leader_key(&self) -> Result<Option<(u64, Vec<u8>)>, String> {
        let found = self.range(&self.key("leader"), None)?;
        Ok(found.into_iter().next().map(|(_, rev, value)| (rev, value)))
    }

    /// The keys from `key` (to `end`, exclusive, if given): `(key, create revision,
    /// value)`.
    fn range(&self, key: &str, end: Option<&str>) -> Result<Vec<(String, u64, Vec<u8>)>, String> {
        let mut request = json!({ "key": encode(key) });
        if let Some(end) = end {
            request["range_end"] = json!(encode(end));
        }
        let found = self.gateway.call("/v3/kv/range", request)?;
        let kvs = found["kvs"].as_array().cloned().unwrap_or_default();
        kvs.iter()
            .map(|kv| {
                let key = String::from_utf8(decode(&kv["key"])?)
                    .map_err(|_| "etcd returned a key that is not UTF-8".to_owned())?;
                Ok((key, number(&kv["create_revision"]), decode(&kv["value"])?))
            })
            .collect()
    }

    /// Applies `operations` if the leader key is still `leadership`'s; marks the
    /// leadership lost if not.
    fn fenced(&self, leadership: &Leadership, operations: Vec<Value>) -> Result<(), String> {
        if leadership.is_lost() {
            return Err("this JobManager no longer leads".into());
        }
        let applied = self.gateway.call(
            "/v3/kv/txn",
            json!({
                "compare": [{
                    "key": encode(&self.key("leader")),
                    "target": "CREATE",
                    "result": "EQUAL",
                    "create_revision": leadership.token().to_string(),
                }],
                "success": operations,
            }),
        )?;
        if applied["succeeded"].as_bool() == Some(true) {
            Ok(())
        } else {
            leadership.lose();
            Err("this JobManager no longer leads: another one holds the leader key".into())
        }
    }

    /// Renews `lease` until the leadership is lost; marks it lost once a renewal has not
    /// succeeded within the time to live, or the leader key is no longer ours.
    fn keep(&self, lease: String, leadership: Arc<Leadership>) {
        let ha = self.clone();
        let held = Arc::clone(&leadership);
        let spawned = std::thread::Builder::new()
            .name("strom-ha-lease".into())
            .spawn(move || {
                let mut renewed = Instant::now();
                while !held.is_lost() {
                    std::thread::sleep(ha.ttl / 6);
                    // Measured from before the request: etcd counts from when it got it.
                    let asked = Instant::now();
                    if asked.duration_since(renewed) >= ha.ttl {
                        break;
                    }
                    match ha.renew(&lease) {
                        Ok(true) => renewed = asked,
                        Ok(false) => break,
                        Err(_) => continue,
                    }
                    match ha.leader_key() {
                        Ok(Some((token, _))) if token == held.token() => {}
                        Ok(_) => break,
                        Err(_) => continue,
                    }
                }
                held.lose();
            });
        if spawned.is_err() {
            // Without renewals the lease runs out: the leadership must not be used.
            leadership.lose();
        }
    }
}

impl HaServices for EtcdHa {
    fn campaign(&self, me: &LeaderInfo) -> Result<Arc<Leadership>, String> {
        let value = serde_json::to_vec(me).map_err(|e| e.to_string())?;
        let leader = encode(&self.key("leader"));
        let mut lease = self.grant()?;
        loop {
            let attempt = self.gateway.call(
                "/v3/kv/txn",
                json!({
                    "compare": [{
                        "key": leader,
                        "target": "CREATE",
                        "result": "EQUAL",
                        "create_revision": "0",
                    }],
                    "success": [{ "request_put": {
                        "key": leader,
                        "value": STANDARD.encode(&value),
                        "lease": lease,
                    }}],
                }),
            )?;
            if attempt["succeeded"].as_bool() == Some(true) {
                let token = number(&attempt["responses"][0]["response_put"]["header"]["revision"]);
                let leadership = Arc::new(Leadership::new(token));
                self.keep(lease, Arc::clone(&leadership));
                return Ok(leadership);
            }
            std::thread::sleep((self.ttl / 8).min(Duration::from_millis(500)));
            // The standby's own lease must outlive its wait.
            if !self.renew(&lease)? {
                lease = self.grant()?;
            }
        }
    }

    fn leader(&self) -> Result<Option<LeaderInfo>, String> {
        match self.leader_key()? {
            Some((_, value)) => serde_json::from_slice(&value)
                .map(Some)
                .map_err(|e| format!("the leader key holds no JobManager: {e}")),
            None => Ok(None),
        }
    }

    fn put_job(&self, leadership: &Leadership, id: u64, spec: &JobSpec) -> Result<(), String> {
        let value = serde_json::to_vec(spec).map_err(|e| e.to_string())?;
        self.fenced(
            leadership,
            vec![json!({ "request_put": {
                "key": encode(&self.job_key(id)),
                "value": STANDARD.encode(value),
            }})],
        )
    }

    fn remove_job(&self, leadership: &Leadership, id: u64) -> Result<(), String> {
        self.fenced(
            leadership,
            vec![
                json!({ "request_delete_range": { "key": encode(&self.job_key(id)) } }),
                json!({ "request_delete_range": { "key": encode(&self.checkpoint_key(id)) } }),
            ],
        )
    }

    fn jobs(&self) -> Result<Vec<(u64, JobSpec)>, String> {
        let (from, to) = (self.key("jobs/"), self.key("jobs0"));
        self.range(&from, Some(&to))?
            .into_iter()
            .map(|(key, _, value)| {
                let id = key[from.len()..]
                    .parse()
                    .map_err(|_| format!("`{key}` is not a job's key"))?;
                let spec = serde_json::from_slice(&value)
                    .map_err(|e| format!("job {id}'s submission cannot be read: {e}"))?;
                Ok((id, spec))
            })
            .collect()
    }

    fn put_latest_checkpoint(
        &self,
        leadership: &Leadership,
        id: u64,
        checkpoint: u64,
    ) -> Result<(), String> {
        self.fenced(
            leadership,
            vec![json!({ "request_put": {
                "key": encode(&self.checkpoint_key(id)),
                "value": STANDARD.encode(checkpoint.to_string()),
            }})],
        )
    }

    fn latest_checkpoint(&self, id: u64) -> Result<Option<u64>, String> {
        let found = self.range(&self.checkpoint_key(id), None)?;
        found
            .into_iter()
            .next()
            .map(|(_, _, value)| {
                String::from_utf8_lossy(&value)
                    .parse()
                    .map_err(|_| format!("job {id}'s latest checkpoint is not a number"))
            })
            .transpose()
    }
}

/// etcd's JSON gateway at one or more endpoints.
#[derive(Debug)]
struct Gateway {
    endpoints: Vec<String>,
    agent: ureq::Agent,
}

impl Gateway {
    fn new(endpoints: &[String]) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .http_status_as_error(false)
            .build()
            .into();
        Gateway {
            endpoints: endpoints
                .iter()
                .map(|e| e.trim_end_matches('/').to_owned())
                .collect(),
            agent,
        }
    }

    /// `POST path` with `body` to the first endpoint that answers.
    fn call(&self, path: &str, body: Value) -> Result<Value, String> {
        let mut failures = Vec::new();
        for endpoint in &self.endpoints {
            let response = self
                .agent
                .post(format!("{endpoint}{path}"))
                .send_json(&body);
            let mut response = match response {
                Ok(response) => response,
                Err(e) => {
                    failures.push(format!("{endpoint}: {e}"));
                    continue;
                }
            };
            let status = response.status();
            let answer: Value = response
                .body_mut()
                .read_json()
                .map_err(|e| format!("etcd at {endpoint} answered {path} with no JSON: {e}"))?;
            if !status.is_success() {
                let message = answer["message"].as_str().unwrap_or("no reason given");
                return Err(format!("etcd at {endpoint} refused {path}: {message}"));
            }
            return Ok(answer);
        }
        Err(format!("cannot reach etcd ({})", failures.join("; ")))
    }
}

fn encode(text: &str) -> String {
    STANDARD.encode(text)
}

fn decode(value: &Value) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(value.as_str().unwrap_or(""))
        .map_err(|e| format!("etcd returned bytes that are not base64: {e}"))
}

/// etcd's 64-bit numbers come as strings in JSON; absent means 0.
fn number(value: &Value) -> u64 {
    match value {
        Value::String(text) => text.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}
