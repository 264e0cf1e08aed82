//! object_store is async and the checkpoint code is not: each store owns a small runtime
//! that runs its requests while the calling thread waits.

use std::future::Future;

use stream_core::{Result, StreamError};
use tokio::runtime::{Builder, Runtime};

/// The runtime of one store's requests.
#[derive(Debug)]
pub(crate) struct Requests {
    // An `Option` so that `drop` can hand it to `shutdown_background`.
    runtime: Option<Runtime>,
}

impl Requests {
    pub fn new() -> Result<Requests> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("strom-object-store")
            .enable_all()
            .build()
            .map_err(|e| StreamError::io("cannot start the object store's requests", e))?;
        Ok(Requests {
            runtime: Some(runtime),
        })
    }

    /// Runs `request` to its end and returns its output. The request runs on this
    /// store's runtime, not the caller's, so a caller inside another runtime (the
    /// JobManager's REST handlers) waits without tokio refusing to block in place.
    pub fn run<T: Send + 'static>(
        &self,
        request: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> object_store::Result<T> {
        let (done, outcome) = std::sync::mpsc::sync_channel(1);
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move {
                let _ = done.send(request.await);
            });
        }
        outcome.recv().unwrap_or_else(|_| {
            Err(object_store::Error::Generic {
                store: "strom",
                source: "the request ended without an answer (its runtime stopped)".into(),
            })
        })
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio refuses inside another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
