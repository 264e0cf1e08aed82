//! Branches: the open ends of a stage other than its main one (the streams of a `fork`, a
//! late side output). The chaining pass keeps fan-out inside the stage, as `stream!`
//! does; the builder cannot name the branches' types when the stage is declared, so each
//! branch is built behind one `Box<dyn Push<T>>` (a virtual call per record and branch,
//! where `stream!` composes a static `Tee`).

use std::sync::{Arc, Mutex};

use stream_core::operator::{Context, Operator, Push};
use stream_core::time::Timestamp;
use stream_core::Result;

use crate::graph::StageBuild;

/// Builds, for one stage instance, the operators a branch feeds.
type BranchEnd<T> = Box<dyn Fn(&mut StageBuild<'_>) -> Result<Box<dyn Push<T>>> + Send + Sync>;

/// An open end of a stage, filled when the stream reading it ends in a sink or a cut.
pub struct Branch<T>(Arc<Mutex<Option<BranchEnd<T>>>>);

impl<T> Clone for Branch<T> {
    fn clone(&self) -> Self {
        Branch(self.0.clone())
    }
}

impl<T: 'static> Branch<T> {
    /// A branch nothing reads yet.
    pub(crate) fn new() -> Self {
        Branch(Arc::new(Mutex::new(None)))
    }

    /// Ends the branch at what `end` builds.
    pub(crate) fn fill<N, B>(&self, end: B)
    where
        N: Push<T> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        let end: BranchEnd<T> = Box::new(move |build| Ok(Box::new(end(build)?)));
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
    }

    /// True once a stream reads the branch.
    pub(crate) fn is_filled(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The branch's operators for one instance, or `None` if nothing reads it.
    pub(crate) fn build(&self, build: &mut StageBuild<'_>) -> Result<Option<Box<dyn Push<T>>>> {
        let end = self.0.lock().unwrap_or_else(|e| e.into_inner());
        end.as_ref().map(|end| end(build)).transpose()
    }
}

/// A fan-out to several branches: every record to each, cloned for all but the last.
pub struct BranchTee<T> {
    branches: Vec<Box<dyn Push<T>>>,
}

impl<T> BranchTee<T> {
    /// Records go to each of `branches`, in order.
    pub fn new(branches: Vec<Box<dyn Push<T>>>) -> Self {
        BranchTee { branches }
    }
}

impl<T: Send> Operator for BranchTee<T> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        for branch in &mut self.branches {
            f(branch)?;
        }
        Ok(())
    }

    fn is_backlogged(&self) -> bool {
        self.branches.iter().any(|b| b.is_backlogged())
    }
}

impl<T: Clone + Send> Push<T> for BranchTee<T> {
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        if let Some((last, rest)) = self.branches.split_last_mut() {
            for branch in rest {
                branch.push(cx, ts, item.clone())?;
            }
            last.push(cx, ts, item)?;
        }
        Ok(())
    }
}
