//! Sinks: where a pipeline's results go.

use crate::error::Result;
use crate::operator::InstanceInfo;
use crate::time::Timestamp;

/// A sink as declared in a pipeline: a factory that opens one [`SinkWriter`] per parallel
/// instance.
pub trait Sink<T>: Clone + Send + 'static {
    /// The writer of one instance.
    type Writer: SinkWriter<T> + 'static;
    /// Opens the writer for `instance`.
    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer>;
    /// A short description for plans ("stdout", "file `out.txt`").
    fn describe(&self) -> String;
}

/// Writes the records of one sink instance.
///
/// The checkpoint hooks give the two flavours of exactly-once sinks their places:
/// an idempotent sink ignores them; a transactional one pre-commits on the barrier and
/// commits when the checkpoint is complete.
pub trait SinkWriter<T>: Send {
    /// Writes one record.
    fn write(&mut self, ts: Timestamp, item: T) -> Result;
    /// Makes written records visible where the sink can (end of a batch).
    fn flush(&mut self) -> Result {
        Ok(())
    }
    /// The input has ended: write out everything.
    fn finish(&mut self) -> Result {
        self.flush()
    }
    /// The job stopped on a checkpoint it has committed (`commit` came first): what was
    /// written after that checkpoint's barrier is not part of it and is written again
    /// when the job resumes, so a transactional sink discards it. By default, `finish`.
    fn abort_after_stop(&mut self) -> Result {
        self.finish()
    }
    /// A checkpoint barrier arrived: make durable what was written before it, ready to
    /// commit, and return what recovery needs to finish the job (the transactions open
    /// for this checkpoint: e.g. the names of pending files). It is stored in the
    /// checkpoint; empty for sinks that are not transactional.
    fn pre_commit(&mut self, _checkpoint: u64) -> Result<Vec<u8>> {
        self.flush()?;
        Ok(Vec::new())
    }
    /// The checkpoint is complete: commit what was pre-committed for it (and before).
    fn commit(&mut self, _checkpoint: u64) -> Result {
        Ok(())
    }
    /// The job resumed from a checkpoint whose `pre_commit` returned `transactions`:
    /// commit them (the checkpoint completed) and abort anything newer. Called before any
    /// record is written, once per restored instance (several after rescaling).
    fn recover(&mut self, _transactions: &[u8]) -> Result {
        Ok(())
    }
    /// The job resumed from a checkpoint (whether or not it held transactions of this
    /// instance): files an instance number left behind may belong to another instance's
    /// restored transactions (after rescaling), so they are not this instance's to clean.
    fn on_job_restored(&mut self) {}
}
