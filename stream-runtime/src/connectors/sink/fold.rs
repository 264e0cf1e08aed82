//! A sink that folds what reaches it into one value: each instance folds its records into
//! an accumulator of its own (no sharing, no atomics on the record path), and hands it
//! over once, when its input ends, to be merged into the result.
//!
//! ```
//! use stream_runtime::api::StreamEnv;
//! use stream_runtime::connectors::sink::fold;
//! use stream_runtime::connectors::source::from_vec;
//!
//! let sum = fold(|| 0u64, |total: &mut u64, x: u64| *total += x, |a, b| *a += b);
//! let env = StreamEnv::new("sum");
//! env.source(from_vec((1..=100u64).collect())).sink(sum.clone());
//! env.build().unwrap().run().unwrap();
//! assert_eq!(sum.result(), Some(5050));
//! ```
//!
//! The accumulators are not part of checkpoints: a job restored from a checkpoint folds
//! only what it reads after the restore. For results that must survive failures, keep
//! the state in an operator (a rolling or window `aggregate`) and write it to an
//! exactly-once sink.

use std::sync::{Arc, Mutex};

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, Timestamp};

/// Folds records into one value: `init` makes an instance's accumulator, `step` adds a
/// record to it, `merge` adds one finished accumulator to another.
pub struct FoldSink<A, I, S, M> {
    init: I,
    step: S,
    merge: M,
    result: Arc<Mutex<Option<A>>>,
}

impl<A, I: Clone, S: Clone, M: Clone> Clone for FoldSink<A, I, S, M> {
    fn clone(&self) -> Self {
        FoldSink {
            init: self.init.clone(),
            step: self.step.clone(),
            merge: self.merge.clone(),
            result: Arc::clone(&self.result),
        }
    }
}

/// A sink folding every record into one value (see the [module](self) documentation):
/// `init()` per instance, `step(&mut acc, record)` per record, `merge(&mut result, acc)`
/// once per instance at the end of its input. Read the value with
/// [`FoldSink::result`] once the job has ended.
pub fn fold<T, A, I, S, M>(init: I, step: S, merge: M) -> FoldSink<A, I, S, M>
where
    A: Send + 'static,
    I: Fn() -> A + Clone + Send + 'static,
    S: FnMut(&mut A, T) + Clone + Send + 'static,
    M: Fn(&mut A, A) + Clone + Send + 'static,
{
    FoldSink {
        init,
        step,
        merge,
        result: Arc::new(Mutex::new(None)),
    }
}

impl<A: Clone, I, S, M> FoldSink<A, I, S, M> {
    /// The merged value of every instance whose input has ended so far (`None` before the
    /// first).
    pub fn result(&self) -> Option<A> {
        self.result
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl<T, A, I, S, M> Sink<T> for FoldSink<A, I, S, M>
where
    A: Send + 'static,
    I: Fn() -> A + Clone + Send + 'static,
    S: FnMut(&mut A, T) + Clone + Send + 'static,
    M: Fn(&mut A, A) + Clone + Send + 'static,
{
    type Writer = FoldWriter<A, S, M>;

    fn open(&self, _instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(FoldWriter {
            acc: Some((self.init)()),
            step: self.step.clone(),
            merge: self.merge.clone(),
            result: Arc::clone(&self.result),
        })
    }

    fn describe(&self) -> String {
        "fold".into()
    }
}

/// One instance's accumulator.
pub struct FoldWriter<A, S, M> {
    /// `None` once handed over.
    acc: Option<A>,
    step: S,
    merge: M,
    result: Arc<Mutex<Option<A>>>,
}

impl<T, A, S, M> SinkWriter<T> for FoldWriter<A, S, M>
where
    A: Send,
    S: FnMut(&mut A, T) + Send,
    M: Fn(&mut A, A) + Send,
{
    #[inline]
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        if let Some(acc) = &mut self.acc {
            (self.step)(acc, item);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result {
        if let Some(acc) = self.acc.take() {
            let mut result = self.result.lock().unwrap_or_else(|e| e.into_inner());
            match result.as_mut() {
                Some(total) => (self.merge)(total, acc),
                None => *result = Some(acc),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_fold_apart_and_merge_once_at_their_end() {
        let sink = fold(
            || (0u64, 0u64),
            |a: &mut (u64, u64), x: u64| {
                a.0 += 1;
                a.1 += x;
            },
            |a, b| {
                a.0 += b.0;
                a.1 += b.1;
            },
        );
        let info = |index| InstanceInfo {
            stage: 0,
            index,
            parallelism: 2,
            max_parallelism: 128,
        };
        let (mut first, mut second) = (sink.open(&info(0)).unwrap(), sink.open(&info(1)).unwrap());
        for x in 1..=3 {
            first.write(0, x).unwrap();
        }
        second.write(0, 10).unwrap();
        assert_eq!(sink.result(), None, "nothing is merged before an end");
        first.finish().unwrap();
        assert_eq!(sink.result(), Some((3, 6)));
        second.finish().unwrap();
        second.finish().unwrap();
        assert_eq!(sink.result(), Some((4, 16)), "each instance merges once");
    }
}
