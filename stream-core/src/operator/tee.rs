use super::{Context, Operator, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Fan-out inside a stage: every record goes to both branches (cloned for the first).
/// Nest it for more branches. Fully static: no allocation, no virtual call.
#[derive(Clone, Debug)]
pub struct Tee<A, B> {
    first: A,
    second: B,
}

impl<A, B> Tee<A, B> {
    /// Sends each record to `first` and `second`.
    pub fn new(first: A, second: B) -> Self {
        Tee { first, second }
    }
}

impl<A: Operator, B: Operator> Operator for Tee<A, B> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.first)?;
        f(&mut self.second)
    }
    fn is_backlogged(&self) -> bool {
        self.first.is_backlogged() || self.second.is_backlogged()
    }
}

impl<T: Clone, A: Push<T>, B: Push<T>> Push<T> for Tee<A, B> {
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        self.first.push(cx, ts, item.clone())?;
        self.second.push(cx, ts, item)
    }
}

/// Fan-out to branches known only at run time (the builder API's `fork`): one virtual
/// call per record and branch.
pub struct DynTee<T> {
    branches: Vec<Box<dyn Push<T>>>,
}

impl<T> DynTee<T> {
    /// Sends each record to every branch.
    pub fn new(branches: Vec<Box<dyn Push<T>>>) -> Self {
        DynTee { branches }
    }
}

impl<T: 'static> Operator for DynTee<T> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        for b in &mut self.branches {
            f(b.as_mut())?;
        }
        Ok(())
    }
    fn is_backlogged(&self) -> bool {
        self.branches.iter().any(|b| b.is_backlogged())
    }
}

impl<T: Clone + 'static> Push<T> for DynTee<T> {
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        if let Some((last, rest)) = self.branches.split_last_mut() {
            for b in rest {
                b.push(cx, ts, item.clone())?;
            }
            last.push(cx, ts, item)?;
        }
        Ok(())
    }
}
