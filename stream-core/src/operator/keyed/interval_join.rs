//! The interval join (Flink's `KeyedStream.intervalJoin`): a record `a` of the first stream
//! joins every record `b` of the second with the same key and
//! `a.ts + lower <= b.ts <= a.ts + upper`. Each pair is emitted once, when the second of
//! the two arrives, with the larger of the two timestamps. Records behind the watermark
//! are late and dropped; a buffered record is dropped once the watermark has passed the
//! last time a partner could have (`a.ts + upper`, `b.ts - lower`).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{KeyedContext, KeyedProcessFunction};
use crate::key::Key;
use crate::operator::Either;
use crate::state::ListState;
use crate::time::{TimeDomain, Timestamp};

/// The interval join as a keyed process function over `Either<A, B>`.
pub struct IntervalJoin<A, B, F> {
    lower: Timestamp,
    upper: Timestamp,
    join: F,
    _types: PhantomData<fn(A, B)>,
}

impl<A, B, F: Clone> Clone for IntervalJoin<A, B, F> {
    fn clone(&self) -> Self {
        IntervalJoin {
            lower: self.lower,
            upper: self.upper,
            join: self.join.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, B, F> IntervalJoin<A, B, F> {
    /// Joins with `join(&a, &b)` the pairs with `a.ts + lower <= b.ts <= a.ts + upper`
    /// (milliseconds, both bounds inclusive as in Flink).
    pub fn new(lower: Timestamp, upper: Timestamp, join: F) -> Self {
        IntervalJoin {
            lower,
            upper,
            join,
            _types: PhantomData,
        }
    }

    /// When a buffered first-stream record at `ts` can be dropped.
    fn left_cleanup(&self, ts: Timestamp) -> Timestamp {
        ts.saturating_add(self.upper.max(0))
    }

    /// When a buffered second-stream record at `ts` can be dropped.
    fn right_cleanup(&self, ts: Timestamp) -> Timestamp {
        ts.saturating_add(self.lower.saturating_neg().max(0))
    }
}

/// The buffered records of one key: first stream, second stream.
pub type IntervalJoinState<A, B> = (ListState<(Timestamp, A)>, ListState<(Timestamp, B)>);

impl<K, A, B, O, F> KeyedProcessFunction<K, Either<A, B>> for IntervalJoin<A, B, F>
where
    K: Key,
    A: Clone + Send + Serialize + DeserializeOwned + 'static,
    B: Clone + Send + Serialize + DeserializeOwned + 'static,
    O: 'static,
    F: FnMut(&A, &B) -> O + Clone + Send + 'static,
{
    type State = IntervalJoinState<A, B>;
    type Out = O;

    fn process_element(
        &mut self,
        item: Either<A, B>,
        ctx: &mut KeyedContext<'_, K, Self::State, O>,
    ) {
        let Some(ts) = ctx.timestamp() else {
            ctx.fail(
                "an interval join needs event timestamps: add `.event_time(..)` to both inputs",
            );
            return;
        };
        if ts < ctx.current_watermark() {
            return;
        }
        let (lower, upper) = (self.lower, self.upper);
        let mut pairs = Vec::new();
        let cleanup = match item {
            Either::Left(a) => {
                let (_, rights) = ctx.state();
                for (rts, b) in rights.get() {
                    if ts.saturating_add(lower) <= *rts && *rts <= ts.saturating_add(upper) {
                        pairs.push((ts.max(*rts), (self.join)(&a, b)));
                    }
                }
                ctx.state().0.add((ts, a));
                self.left_cleanup(ts)
            }
            Either::Right(b) => {
                let (lefts, _) = ctx.state();
                for (lts, a) in lefts.get() {
                    if lts.saturating_add(lower) <= ts && ts <= lts.saturating_add(upper) {
                        pairs.push((ts.max(*lts), (self.join)(a, &b)));
                    }
                }
                ctx.state().1.add((ts, b));
                self.right_cleanup(ts)
            }
        };
        for (at, out) in pairs {
            ctx.collect_at(at, out);
        }
        ctx.register_event_time_timer(cleanup);
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, Self::State, O>,
    ) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let this = &*self;
        let (lefts, rights) = ctx.state();
        lefts.retain(|(ts, _)| this.left_cleanup(*ts) > timestamp);
        rights.retain(|(ts, _)| this.right_cleanup(*ts) > timestamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OpLabel;
    use crate::operator::keyed::KeyedProcess;
    use crate::testing::{Collect, Harness};

    fn join() -> (
        Harness<
            KeyedProcess<
                u8,
                Either<char, char>,
                IntervalJoin<char, char, fn(&char, &char) -> (char, char)>,
                Collect<(char, char)>,
            >,
        >,
        Collect<(char, char)>,
    ) {
        let out = Collect::new();
        let pair: fn(&char, &char) -> (char, char) = |a, b| (*a, *b);
        let op = KeyedProcess::new(
            IntervalJoin::new(-100, 100, pair),
            "join".into(),
            OpLabel::new("interval_join"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    #[test]
    fn pairs_within_the_bounds_carry_the_larger_timestamp() {
        let (mut h, out) = join();
        h.push(1000, (0u8, Either::Left('a'))).unwrap();
        h.push(1050, (0u8, Either::Right('x'))).unwrap();
        h.push(1101, (0u8, Either::Right('z'))).unwrap(); // 101 after 'a': outside
        h.push(900, (0u8, Either::Right('w'))).unwrap(); // exactly 100 before: inside
        h.push(1000, (1u8, Either::Right('k'))).unwrap(); // another key
        assert_eq!(
            out.take_sorted(),
            vec![(1000, ('a', 'w')), (1050, ('a', 'x'))]
        );
    }

    #[test]
    fn late_records_are_dropped_and_state_is_freed_behind_the_watermark() {
        let (mut h, out) = join();
        h.push(1000, (0u8, Either::Left('a'))).unwrap();
        h.watermark(1200).unwrap();
        // Behind the watermark: late, joins nothing.
        h.push(1100, (0u8, Either::Right('x'))).unwrap();
        assert!(out.take_sorted().is_empty());
        // 'a' (last possible partner at 1100, passed by the watermark) has been freed.
        h.push(1250, (0u8, Either::Left('b'))).unwrap();
        h.push(1300, (0u8, Either::Right('y'))).unwrap();
        assert_eq!(out.take_sorted(), vec![(1300, ('b', 'y'))]);
        h.watermark(2000).unwrap();
        h.push(2050, (0u8, Either::Right('z'))).unwrap();
        assert!(out.take_sorted().is_empty(), "'b' was freed at 1350");
    }
}
