use super::{Context, Operator, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Fan-out inside a stage: every record goes to both branches. The first gets it by
/// reference and clones it only if it keeps it (a filter first clones only what passes).
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
        self.first.push_ref(cx, ts, &item)?;
        self.second.push(cx, ts, item)
    }
    #[inline]
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result {
        self.first.push_ref(cx, ts, item)?;
        self.second.push_ref(cx, ts, item)
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
                b.push_ref(cx, ts, &item)?;
            }
            last.push(cx, ts, item)?;
        }
        Ok(())
    }
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result {
        for b in &mut self.branches {
            b.push_ref(cx, ts, item)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::{Filter, Inspect};
    use crate::testing::{Collect, Harness};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A record that counts how often it is cloned.
    #[derive(Debug)]
    struct Counted(u32, Arc<AtomicUsize>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.1.fetch_add(1, Ordering::Relaxed);
            Counted(self.0, self.1.clone())
        }
    }

    #[test]
    fn a_fan_out_clones_only_what_a_filtering_branch_keeps() {
        let clones = Arc::new(AtomicUsize::new(0));
        let (evens, inspected, last) = (Collect::new(), Collect::new(), Collect::new());
        let even = Filter::new(|c: &Counted| c.0.is_multiple_of(2), evens.clone());
        let inspect = Inspect::new(|_: &Counted| {}, inspected.clone());
        let mut h = Harness::new(Tee::new(Tee::new(even, inspect), last.clone()));
        for n in 0..6 {
            h.push(n.into(), Counted(n, clones.clone())).unwrap();
        }
        let numbers = |c: &Collect<Counted>| -> Vec<u32> {
            c.take_records().into_iter().map(|(_, c)| c.0).collect()
        };
        assert_eq!(numbers(&evens), [0, 2, 4]);
        assert_eq!(numbers(&inspected), [0, 1, 2, 3, 4, 5]);
        assert_eq!(numbers(&last), [0, 1, 2, 3, 4, 5]);
        // The filter clones the three records it keeps, the inspecting branch (which keeps
        // all) clones six; the last branch takes each record itself.
        assert_eq!(clones.load(Ordering::Relaxed), 9);
    }
}
