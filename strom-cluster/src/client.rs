//! A client of the JobManager's REST interface, for the CLI and for tests.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::job::JobSpec;

/// Talks to one JobManager's REST interface.
pub struct RestClient {
    base: String,
    agent: ureq::Agent,
}

impl RestClient {
    /// A client of the JobManager at `address` (`http://host:port`, or `host:port`).
    pub fn new(address: &str) -> Self {
        let base = if address.contains("://") {
            address.trim_end_matches('/').to_owned()
        } else {
            format!("http://{}", address.trim_end_matches('/'))
        };
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(600)))
            .http_status_as_error(false)
            .build()
            .into();
        RestClient { base, agent }
    }

    fn answer<T: DeserializeOwned>(
        &self,
        path: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, String> {
        let mut response =
            response.map_err(|e| format!("cannot reach the JobManager at {}: {e}", self.base))?;
        let status = response.status();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("cannot read the JobManager's answer to {path}: {e}"))?;
        let body: Value = match serde_json::from_str(&text) {
            Ok(body) => body,
            Err(_) if !status.is_success() => {
                return Err(format!("{} (HTTP {})", text.trim(), status.as_u16()))
            }
            Err(e) => {
                return Err(format!(
                    "the JobManager's answer to {path} is not JSON: {e}"
                ))
            }
        };
        if !status.is_success() {
            let message = body["error"].as_str().unwrap_or("no reason given");
            return Err(format!("{message} (HTTP {})", status.as_u16()));
        }
        serde_json::from_value(body).map_err(|e| format!("unexpected answer to {path}: {e}"))
    }

    /// `GET path`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let response = self.agent.get(format!("{}{path}", self.base)).call();
        self.answer(path, response)
    }

    /// `POST path` with a JSON body.
    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, String> {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(body);
        self.answer(path, response)
    }

    /// Submits a job; returns its id.
    pub fn submit(&self, spec: &JobSpec) -> Result<u64, String> {
        let answer: Value = self.post("/v1/jobs", spec)?;
        answer["id"]
            .as_u64()
            .ok_or_else(|| "the JobManager returned no job id".to_owned())
    }

    /// Job `id`.
    pub fn job(&self, id: u64) -> Result<JobInfoView, String> {
        self.get(&format!("/v1/jobs/{id}"))
    }

    /// Every job.
    pub fn jobs(&self) -> Result<Vec<JobInfoView>, String> {
        self.get("/v1/jobs")
    }
}

/// A job as the REST interface returns it (the client's view of
/// [`JobInfo`](crate::jobmanager::JobInfo)).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct JobInfoView {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: String,
    /// How it ended: its error, restarts and savepoint.
    pub outcome: Option<Value>,
}
