//! The interval join (Flink's `KeyedStream.intervalJoin`): a record `a` of the first stream
//! joins every record `b` of the second with the same key and
//! `a.ts + lower <= b.ts <= a.ts + upper`. Each pair is emitted once, when the second of
//! the two arrives, with the larger of the two timestamps. Either bound can be made
//! exclusive (Flink's `lowerBoundExclusive`/`upperBoundExclusive`). Records behind the
//! watermark are late: they join nothing and go to the late output of their side
//! (Flink's `sideOutputLeftLateData`/`sideOutputRightLateData`), or are dropped there by
//! default. A buffered record is dropped once the watermark has passed the last time a
//! partner could have (`a.ts + upper`, `b.ts - lower`).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{KeyedContext, KeyedProcessFunction};
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Either, Operator, Push};
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
    /// (milliseconds, both bounds inclusive as in Flink unless made exclusive).
    pub fn new(lower: Timestamp, upper: Timestamp, join: F) -> Self {
        IntervalJoin {
            lower,
            upper,
            join,
            _types: PhantomData,
        }
    }

    /// Excludes `a.ts + lower` itself (Flink's `lowerBoundExclusive`).
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.lower = self.lower.saturating_add(1);
        self
    }

    /// Excludes `a.ts + upper` itself (Flink's `upperBoundExclusive`).
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.upper = self.upper.saturating_sub(1);
        self
    }

    /// The bounds in effect, both inclusive.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        (self.lower, self.upper)
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

/// What the interval join emits: joined pairs, and the late records of either side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinOutput<O, A, B> {
    /// The result of joining a pair.
    Joined(O),
    /// A record of the first stream that came behind the watermark.
    LateLeft(A),
    /// A record of the second stream that came behind the watermark.
    LateRight(B),
}

/// Routes an interval join's output: joined pairs to `next`, late records of each side to
/// their late output, counting them.
pub struct SplitJoinOutput<N, LA, LB> {
    next: N,
    late_left: LA,
    late_right: LB,
    late_records: u64,
}

impl<N, LA, LB> SplitJoinOutput<N, LA, LB> {
    /// Joined pairs to `next`, late records to `late_left` and `late_right`.
    pub fn new(next: N, late_left: LA, late_right: LB) -> Self {
        SplitJoinOutput {
            next,
            late_left,
            late_right,
            late_records: 0,
        }
    }

    /// How many late records (of both sides) came so far.
    pub fn late_records(&self) -> u64 {
        self.late_records
    }
}

impl<N: Operator, LA: Operator, LB: Operator> Operator for SplitJoinOutput<N, LA, LB> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)?;
        f(&mut self.late_left)?;
        f(&mut self.late_right)
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
            || self.late_left.is_backlogged()
            || self.late_right.is_backlogged()
    }
}

impl<O, A, B, N, LA, LB> Push<JoinOutput<O, A, B>> for SplitJoinOutput<N, LA, LB>
where
    N: Push<O>,
    LA: Push<A>,
    LB: Push<B>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: JoinOutput<O, A, B>) -> Result {
        match item {
            JoinOutput::Joined(out) => self.next.push(cx, ts, out),
            JoinOutput::LateLeft(a) => {
                self.late_records += 1;
                cx.count_late();
                self.late_left.push(cx, ts, a)
            }
            JoinOutput::LateRight(b) => {
                self.late_records += 1;
                cx.count_late();
                self.late_right.push(cx, ts, b)
            }
        }
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
    type Out = JoinOutput<O, A, B>;

    fn process_element(
        &mut self,
        item: Either<A, B>,
        ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>,
    ) {
        let Some(ts) = ctx.timestamp() else {
            ctx.fail(
                "an interval join needs event timestamps: add `.event_time(..)` to both inputs",
            );
            return;
        };
        if ts < ctx.current_watermark() {
            ctx.collect(match item {
                Either::Left(a) => JoinOutput::LateLeft(a),
                Either::Right(b) => JoinOutput::LateRight(b),
            });
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
            ctx.collect_at(at, JoinOutput::Joined(out));
        }
        ctx.register_event_time_timer(cleanup);
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>,
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

    type Pair = fn(&char, &char) -> (char, char);
    type Split = SplitJoinOutput<Collect<(char, char)>, Collect<char>, Collect<char>>;

    struct Join {
        harness:
            Harness<KeyedProcess<u8, Either<char, char>, IntervalJoin<char, char, Pair>, Split>>,
        out: Collect<(char, char)>,
        late_left: Collect<char>,
        late_right: Collect<char>,
    }

    fn join_with(
        configure: impl FnOnce(IntervalJoin<char, char, Pair>) -> IntervalJoin<char, char, Pair>,
    ) -> Join {
        let (out, late_left, late_right) = (Collect::new(), Collect::new(), Collect::new());
        let pair: Pair = |a, b| (*a, *b);
        let op = KeyedProcess::new(
            configure(IntervalJoin::new(-100, 100, pair)),
            "join".into(),
            OpLabel::new("interval_join"),
            SplitJoinOutput::new(out.clone(), late_left.clone(), late_right.clone()),
        );
        Join {
            harness: Harness::new(op),
            out,
            late_left,
            late_right,
        }
    }

    fn join() -> Join {
        join_with(|j| j)
    }

    #[test]
    fn pairs_within_the_bounds_carry_the_larger_timestamp() {
        let Join {
            harness: mut h,
            out,
            ..
        } = join();
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

    /// Flink's `between(-100, 100).lowerBoundExclusive().upperBoundExclusive()`: records
    /// exactly at a bound no longer join.
    #[test]
    fn exclusive_bounds_leave_out_the_bound_itself() {
        let Join {
            harness: mut h,
            out,
            ..
        } = join_with(|j| j.lower_bound_exclusive().upper_bound_exclusive());
        h.push(1000, (0u8, Either::Left('a'))).unwrap();
        h.push(900, (0u8, Either::Right('w'))).unwrap(); // at the lower bound: out
        h.push(901, (0u8, Either::Right('x'))).unwrap();
        h.push(1099, (0u8, Either::Right('y'))).unwrap();
        h.push(1100, (0u8, Either::Right('z'))).unwrap(); // at the upper bound: out
        assert_eq!(
            out.take_sorted(),
            vec![(1000, ('a', 'x')), (1099, ('a', 'y'))]
        );
        let Join {
            harness: mut h,
            out,
            ..
        } = join_with(|j| j.lower_bound_exclusive());
        h.push(1000, (0u8, Either::Left('a'))).unwrap();
        h.push(900, (0u8, Either::Right('w'))).unwrap();
        h.push(1100, (0u8, Either::Right('z'))).unwrap(); // upper bound still inclusive
        assert_eq!(out.take_sorted(), vec![(1100, ('a', 'z'))]);
    }

    #[test]
    fn late_records_go_to_their_sides_late_output_and_state_is_freed_behind_the_watermark() {
        let Join {
            harness: mut h,
            out,
            late_left,
            late_right,
        } = join();
        h.push(1000, (0u8, Either::Left('a'))).unwrap();
        h.watermark(1200).unwrap();
        // Behind the watermark: late, joins nothing, goes to the side output.
        h.push(1100, (0u8, Either::Right('x'))).unwrap();
        h.push(1199, (0u8, Either::Left('c'))).unwrap();
        assert!(out.take_sorted().is_empty());
        assert_eq!(late_right.take_sorted(), vec![(1100, 'x')]);
        assert_eq!(late_left.take_sorted(), vec![(1199, 'c')]);
        // 'a' (last possible partner at 1100, passed by the watermark) has been freed.
        h.push(1250, (0u8, Either::Left('b'))).unwrap();
        h.push(1300, (0u8, Either::Right('y'))).unwrap();
        assert_eq!(out.take_sorted(), vec![(1300, ('b', 'y'))]);
        h.watermark(2000).unwrap();
        h.push(2050, (0u8, Either::Right('z'))).unwrap();
        assert!(out.take_sorted().is_empty(), "'b' was freed at 1350");
        assert!(late_left.take_sorted().is_empty() && late_right.take_sorted().is_empty());
    }
}
