use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::error::{OpLabel, Result, StreamError};
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Operator, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::state::KeyedState;
use crate::time::{TimeDomain, Timestamp, MIN_TIMESTAMP};
use crate::timer::{TimerQueue, TimerQueueSnapshot};

/// The low-level function on a keyed stream (Flink's `KeyedProcessFunction`): it sees each
/// record with its key's state and can register event-time and processing-time timers.
pub trait KeyedProcessFunction<K, I>: Clone + Send + 'static {
    /// The per-key state, e.g. `(ValueState<u64>, MapState<String, u32>)`.
    type State: KeyedState;
    /// The output records.
    type Out;

    /// Processes one record of the key `ctx.key()`.
    fn process_element(&mut self, item: I, ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>);

    /// A timer of the key `ctx.key()` fired at `timestamp`.
    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        _ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>,
    ) {
    }
}

/// What a process function sees: the key, its state, time, timers and the output.
pub struct KeyedContext<'a, K, S, O> {
    key: &'a K,
    state: &'a mut S,
    timestamp: Timestamp,
    watermark: Timestamp,
    processing_time: Timestamp,
    event_timers: &'a mut TimerQueue<K>,
    processing_timers: &'a mut TimerQueue<K>,
    next_processing_timer: Option<Timestamp>,
    out: &'a mut Vec<(Timestamp, O)>,
    error: Option<StreamError>,
}

impl<K: Key, S, O> KeyedContext<'_, K, S, O> {
    /// The current key.
    pub fn key(&self) -> &K {
        self.key
    }

    /// The key's state.
    pub fn state(&mut self) -> &mut S {
        self.state
    }

    /// The timestamp of the current record, or of the timer that fired; `None` for a
    /// record without timestamp.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != MIN_TIMESTAMP).then_some(self.timestamp)
    }

    /// The current event-time watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// Calls `on_timer` for this key once the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.event_timers.register(time, self.key.clone());
    }

    /// Calls `on_timer` for this key once processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        if self.processing_timers.register(time, self.key.clone()) {
            self.next_processing_timer =
                Some(self.next_processing_timer.map_or(time, |t| t.min(time)));
        }
    }

    /// Deletes an event-time timer of this key.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.event_timers.delete(time, self.key);
    }

    /// Deletes a processing-time timer of this key.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.processing_timers.delete(time, self.key);
    }

    /// Emits a record with the current timestamp.
    pub fn collect(&mut self, value: O) {
        self.out.push((self.timestamp, value));
    }

    /// Emits a record with timestamp `ts`.
    pub fn collect_at(&mut self, ts: Timestamp, value: O) {
        self.out.push((ts, value));
    }

    /// Fails the job with `error` (reported as raised by this operator).
    pub fn fail(&mut self, error: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        self.error.get_or_insert_with(|| StreamError::user(error));
    }
}

/// A process function made of closures (see [`process_fn`]).
pub struct FnProcess<S, O, E, Tm> {
    on_element: E,
    on_timer: Tm,
    _types: PhantomData<fn() -> (S, O)>,
}

impl<S, O, E: Clone, Tm: Clone> Clone for FnProcess<S, O, E, Tm> {
    fn clone(&self) -> Self {
        FnProcess {
            on_element: self.on_element.clone(),
            on_timer: self.on_timer.clone(),
            _types: PhantomData,
        }
    }
}

/// No timer callback.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTimer;

/// A process function from a closure called for every record:
/// `process_fn(|event, ctx: &mut KeyedContext<_, ValueState<u64>, Alert>| ...)`.
/// Add a timer callback with [`FnProcess::on_timer`].
pub fn process_fn<S, O, E>(on_element: E) -> FnProcess<S, O, E, NoTimer> {
    FnProcess {
        on_element,
        on_timer: NoTimer,
        _types: PhantomData,
    }
}

impl<S, O, E> FnProcess<S, O, E, NoTimer> {
    /// Adds the callback for fired timers: `|timestamp, domain, ctx| ...`.
    pub fn on_timer<Tm>(self, on_timer: Tm) -> FnProcess<S, O, E, Tm> {
        FnProcess {
            on_element: self.on_element,
            on_timer,
            _types: PhantomData,
        }
    }
}

/// The timer callback of a [`FnProcess`].
pub trait TimerCallback<K, S, O>: Clone + Send + 'static {
    /// Called when a timer fires.
    fn call(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, S, O>,
    );
}

impl<K, S, O> TimerCallback<K, S, O> for NoTimer {
    fn call(&mut self, _: Timestamp, _: TimeDomain, _: &mut KeyedContext<'_, K, S, O>) {}
}

impl<K, S, O, F> TimerCallback<K, S, O> for F
where
    F: FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, S, O>) + Clone + Send + 'static,
{
    fn call(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, S, O>,
    ) {
        self(timestamp, domain, ctx)
    }
}

impl<K, I, S, O, E, Tm> KeyedProcessFunction<K, I> for FnProcess<S, O, E, Tm>
where
    S: KeyedState,
    O: 'static,
    E: FnMut(I, &mut KeyedContext<'_, K, S, O>) + Clone + Send + 'static,
    Tm: TimerCallback<K, S, O>,
{
    type State = S;
    type Out = O;

    #[inline]
    fn process_element(&mut self, item: I, ctx: &mut KeyedContext<'_, K, S, O>) {
        (self.on_element)(item, ctx)
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, S, O>,
    ) {
        self.on_timer.call(timestamp, domain, ctx)
    }
}

/// Runs a [`KeyedProcessFunction`] over a keyed stream.
pub struct KeyedProcess<K, I, P: KeyedProcessFunction<K, I>, N> {
    function: P,
    states: KeyedMap<K, P::State>,
    event_timers: TimerQueue<K>,
    processing_timers: TimerQueue<K>,
    watermark: Timestamp,
    out: Vec<(Timestamp, P::Out)>,
    uid: String,
    label: OpLabel,
    next: N,
    _records: PhantomData<fn(I)>,
}

#[derive(Serialize)]
struct StateRef<'a, K, S> {
    watermark: Timestamp,
    states: Vec<(&'a K, &'a S)>,
    event_timers: TimerQueueSnapshot<K>,
    processing_timers: TimerQueueSnapshot<K>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "K: Key, S: KeyedState"))]
struct StateOwned<K, S> {
    watermark: Timestamp,
    states: Vec<(K, S)>,
    event_timers: TimerQueueSnapshot<K>,
    processing_timers: TimerQueueSnapshot<K>,
}

impl<K: Key, I, P: KeyedProcessFunction<K, I>, N: Push<P::Out>> KeyedProcess<K, I, P, N> {
    /// Runs `function`; state is checkpointed under `uid`.
    pub fn new(function: P, uid: String, label: OpLabel, next: N) -> Self {
        KeyedProcess {
            function,
            states: KeyedMap::new(),
            event_timers: TimerQueue::new(),
            processing_timers: TimerQueue::new(),
            watermark: MIN_TIMESTAMP,
            out: Vec::new(),
            uid,
            label,
            next,
            _records: PhantomData,
        }
    }

    /// Calls the function for `key` with its state, then emits what it collected.
    fn call(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        timestamp: Timestamp,
        body: impl FnOnce(&mut P, &mut KeyedContext<'_, K, P::State, P::Out>),
    ) -> Result {
        let processing_time = cx.processing_time();
        let state = self.states.get_or_insert_with(key, Default::default);
        let mut ctx = KeyedContext {
            key,
            state,
            timestamp,
            watermark: self.watermark,
            processing_time,
            event_timers: &mut self.event_timers,
            processing_timers: &mut self.processing_timers,
            next_processing_timer: None,
            out: &mut self.out,
            error: None,
        };
        body(&mut self.function, &mut ctx);
        let KeyedContext {
            state,
            next_processing_timer,
            error,
            ..
        } = ctx;
        if state.is_empty() {
            self.states.remove(key);
        }
        if let Some(t) = next_processing_timer {
            cx.request_processing_time(t);
        }
        if let Some(e) = error {
            self.out.clear();
            return Err(e.at(&self.label));
        }
        for (ts, value) in self.out.drain(..) {
            self.next.push(cx, ts, value)?;
        }
        Ok(())
    }

    fn fire(&mut self, cx: &mut Context<'_>, domain: TimeDomain, until: Timestamp) -> Result {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.event_timers,
                TimeDomain::ProcessingTime => &mut self.processing_timers,
            };
            let Some((at, key)) = queue.pop_due(until) else {
                return Ok(());
            };
            self.call(cx, &key, at, |f, ctx| f.on_timer(at, domain, ctx))?;
        }
    }
}

impl<K, I, P, N> Operator for KeyedProcess<K, I, P, N>
where
    K: Key,
    I: 'static,
    P: KeyedProcessFunction<K, I>,
    P::Out: Send,
    N: Push<P::Out>,
{
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.watermark = watermark;
        self.fire(cx, TimeDomain::EventTime, watermark)?;
        self.next.on_watermark(cx, watermark)
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.fire(cx, TimeDomain::ProcessingTime, now)?;
        if let Some(t) = self.processing_timers.next_time() {
            cx.request_processing_time(t);
        }
        self.next.on_processing_time(cx, now)
    }

    fn snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        let state = StateRef {
            watermark: self.watermark,
            states: self.states.iter().collect(),
            event_timers: self.event_timers.snapshot(),
            processing_timers: self.processing_timers.snapshot(),
        };
        snapshot
            .write(&self.uid, &state)
            .map_err(|e| e.at(&self.label))
    }

    fn restore_own(&mut self, snapshot: &SnapshotReader) -> Result {
        let Some(state) = snapshot
            .read::<StateOwned<K, P::State>>(&self.uid)
            .map_err(|e| e.at(&self.label))?
        else {
            return Ok(());
        };
        self.watermark = self.watermark.max(state.watermark);
        for (k, s) in state.states {
            if snapshot.owns_key(&k) {
                self.states.insert(k, s);
            }
        }
        self.event_timers.restore(state.event_timers);
        self.event_timers.retain(|k| snapshot.owns_key(k));
        self.processing_timers.restore(state.processing_timers);
        self.processing_timers.retain(|k| snapshot.owns_key(k));
        Ok(())
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
    }
}

impl<K, I, P, N> Push<(K, I)> for KeyedProcess<K, I, P, N>
where
    K: Key,
    I: 'static,
    P: KeyedProcessFunction<K, I>,
    P::Out: Send,
    N: Push<P::Out>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, (key, item): (K, I)) -> Result {
        self.call(cx, &key, ts, |f, ctx| f.process_element(item, ctx))
    }
}
