//! What Strom's Kubernetes parts (the Lease election in [`crate::ha::kubernetes`] and the
//! resource manager's pods in [`crate::resources::kubernetes`]) share: the runtime that
//! runs the API server's requests for their synchronous callers.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Runtime;

/// The longest a request to the API server may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A runtime of the API server's requests, each run to its answer from any thread (also
/// one of another runtime: the request runs on this one's thread, the caller waits on a
/// channel). Shut down without blocking when dropped (dropping a runtime blocks, which
/// tokio refuses inside another runtime).
pub(crate) struct Requests(Option<Runtime>);

impl Requests {
    /// Requests on `runtime` (the one a client was made in).
    pub fn on(runtime: Runtime) -> Self {
        Requests(Some(runtime))
    }

    /// Requests on a runtime of their own, and a client with the in-cluster configuration
    /// (or `KUBECONFIG` outside a cluster).
    pub fn with_default_client() -> Result<(Self, kube::Client), String> {
        let runtime = runtime()?;
        let client = runtime
            .block_on(kube::Client::try_default())
            .map_err(|e| format!("cannot reach the Kubernetes API server: {e}"))?;
        Ok((Requests::on(runtime), client))
    }

    /// Runs `request` to its answer, within [`REQUEST_TIMEOUT`].
    pub fn run<T: Send + 'static>(
        &self,
        request: impl Future<Output = Result<T, kube::Error>> + Send + 'static,
    ) -> Result<T, String> {
        let (done, outcome) = std::sync::mpsc::sync_channel(1);
        let Some(runtime) = &self.0 else {
            return Err("the Kubernetes client has stopped".into());
        };
        runtime.spawn(async move {
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, request).await;
            let _ = done.send(match answer {
                Ok(answer) => answer.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the API server did not answer in {REQUEST_TIMEOUT:?}"
                )),
            });
        });
        outcome
            .recv()
            .unwrap_or_else(|_| Err("the request ended without an answer".into()))
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A one-thread runtime for the API server's requests.
fn runtime() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("strom-kubernetes")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the Kubernetes client: {e}"))
}

/// True if `error` (as [`Requests::run`] words it) is the API server's 404.
pub(crate) fn not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}
