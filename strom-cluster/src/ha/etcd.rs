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

use super::{counted, HaServices, LeaderInfo, Leadership, StoredJob};

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

    /// Grants a lease of this store's time to live (in whole seconds, rounded up).
    fn grant(&self) -> Result<Lease, String> {
        let ttl = (self.ttl.as_millis().div_ceil(1000) as u64).max(2);
        let asked = Instant::now();
        let granted = self
            .gateway
            .call("/v3/lease/grant", json!({ "TTL": ttl }))?;
        let granted_ttl = number(&granted["TTL"]);
        match granted["ID"].as_str() {
            Some(id) if granted_ttl > 0 => Ok(Lease {
                id: id.to_owned(),
                valid_until: asked + counted(Duration::from_secs(granted_ttl)),
            }),
            _ => Err(format!("etcd granted no lease: {granted}")),
        }
    }

    /// Renews `lease`; false if it has expired (or would before etcd could answer).
    fn renew(&self, lease: &mut Lease) -> Result<bool, String> {
        let asked = Instant::now();
        let left = lease.valid_until.saturating_duration_since(asked);
        if left.is_zero() {
            return Ok(false);
        }
        let renewed = self.gateway.call_within(
            "/v3/lease/keepalive",
            json!({ "ID": lease.id }),
            left.min(REQUEST_TIMEOUT),
        )?;
        let ttl = number(&renewed["result"]["TTL"]);
        if ttl == 0 {
            return Ok(false);
        }
        lease.valid_until = asked + counted(Duration::from_secs(ttl));
        Ok(true)
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

    /// Renews `lease` every sixth of the time to live until the leadership is lost,
    /// moving its validity on with each renewal; checks that the leader key is still
    /// ours. The leadership lapses by itself when renewals stop succeeding (see
    /// [`Leadership::is_lost`]), however long a request hangs here.
    fn keep(&self, mut lease: Lease, leadership: Arc<Leadership>) -> Result<(), String> {
        let ha = self.clone();
        let held = Arc::clone(&leadership);
        let spawned = std::thread::Builder::new()
            .name("strom-ha-lease".into())
            .spawn(move || {
                while !held.is_lost() {
                    std::thread::sleep(ha.ttl / 6);
                    match ha.renew(&mut lease) {
                        Ok(true) => held.extend(lease.valid_until),
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
        spawned.map(drop).map_err(|e| {
            leadership.lose();
            format!("cannot renew the leader's lease: {e}")
        })
    }
}

/// A lease, and until when it is surely valid: counted from before the request that
/// granted or last renewed it, as etcd counts from when the request arrived.
struct Lease {
    id: String,
    valid_until: Instant,
}

/// The longest an etcd request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a standby waits after etcd did not answer before it asks again.
const STANDBY_RETRY: Duration = Duration::from_secs(1);

impl HaServices for EtcdHa {
    fn campaign(&self, me: &LeaderInfo) -> Result<Arc<Leadership>, String> {
        let value = serde_json::to_vec(me).map_err(|e| e.to_string())?;
        let leader = encode(&self.key("leader"));
        // A standby waits out an unreachable etcd rather than end.
        let retry = |e: String| {
            eprintln!("strom: standing by: {e}; trying again");
            std::thread::sleep(STANDBY_RETRY);
        };
        let mut lease = loop {
            match self.grant() {
                Ok(lease) => break lease,
                Err(e) => retry(e),
            }
        };
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
                        "lease": lease.id,
                    }}],
                }),
            );
            match attempt {
                Ok(won) if won["succeeded"].as_bool() == Some(true) => {
                    let token = number(&won["responses"][0]["response_put"]["header"]["revision"]);
                    if token == 0 {
                        return Err(format!("etcd elected us without a revision: {won}"));
                    }
                    let leadership = Arc::new(Leadership::new(token, lease.valid_until));
                    self.keep(lease, Arc::clone(&leadership))?;
                    return Ok(leadership);
                }
                Ok(_) => std::thread::sleep((self.ttl / 8).min(Duration::from_millis(500))),
                Err(e) => retry(e),
            }
            // The standby's own lease must outlive its wait.
            if !matches!(self.renew(&mut lease), Ok(true)) {
                lease = loop {
                    match self.grant() {
                        Ok(lease) => break lease,
                        Err(e) => retry(e),
                    }
                };
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

    fn put_job(&self, leadership: &Leadership, job: &StoredJob) -> Result<(), String> {
        let id = job.id;
        let value = serde_json::to_vec(job).map_err(|e| e.to_string())?;
        self.fenced(
            leadership,
            vec![
                json!({ "request_put": {
                    "key": encode(&self.job_key(id)),
                    "value": STANDARD.encode(value),
                }}),
                // Ids are never given twice, also after the job ended and was forgotten.
                json!({ "request_put": {
                    "key": encode(&self.key("next-job")),
                    "value": STANDARD.encode((id + 1).to_string()),
                }}),
            ],
        )
    }

    fn next_job_id(&self) -> Result<u64, String> {
        let found = self.range(&self.key("next-job"), None)?;
        match found.into_iter().next() {
            Some((_, _, value)) => String::from_utf8_lossy(&value)
                .parse()
                .map_err(|_| "the next job id in etcd is not a number".to_owned()),
            None => Ok(1),
        }
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

    fn jobs(&self) -> Result<Vec<StoredJob>, String> {
        let (from, to) = (self.key("jobs/"), self.key("jobs0"));
        self.range(&from, Some(&to))?
            .into_iter()
            .map(|(key, _, value)| {
                serde_json::from_slice(&value)
                    .map_err(|e| format!("the job stored at `{key}` cannot be read: {e}"))
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
            .timeout_global(Some(REQUEST_TIMEOUT))
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
        self.call_within(path, body, REQUEST_TIMEOUT)
    }

    /// As [`Gateway::call`], each endpoint given at most `timeout`. An endpoint that
    /// cannot be reached, fails (5xx) or answers no JSON is skipped for the next one; a
    /// refusal (4xx) is the answer.
    fn call_within(&self, path: &str, body: Value, timeout: Duration) -> Result<Value, String> {
        let mut failures = Vec::new();
        for endpoint in &self.endpoints {
            let response = self
                .agent
                .post(format!("{endpoint}{path}"))
                .config()
                .timeout_global(Some(timeout))
                .build()
                .send_json(&body);
            let mut response = match response {
                Ok(response) => response,
                Err(e) => {
                    failures.push(format!("{endpoint}: {e}"));
                    continue;
                }
            };
            let status = response.status();
            let answer: Value = match response.body_mut().read_json() {
                Ok(answer) => answer,
                Err(e) => {
                    failures.push(format!("{endpoint} answered {path} with no JSON: {e}"));
                    continue;
                }
            };
            if status.is_server_error() {
                failures.push(format!("{endpoint} failed {path}: {answer}"));
                continue;
            }
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
