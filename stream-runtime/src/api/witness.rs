//! Witnesses: zero-sized values that carry a stream's record type forward, so every
//! closure of a pipeline is type-checked where it is written, in pipeline order, without
//! annotations. `stream!` expands each operator into a witness call spanned at the user's
//! code (so a type error points at the closure); the DataStream API calls them too.
//!
//! Each call returns the operator's [`Spec`](super::spec::Spec) and the witness of the
//! stream it produces. The calls themselves are defined with their operators, one file
//! each, in [`ops`](super::ops); this file holds the witness types.

use std::marker::PhantomData;
use std::panic::Location;

use stream_core::key::Key;
use stream_core::source::Source;
use stream_core::window::function::Eviction;
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use super::spec::WindowSpec;
use crate::graph::OperatorInfo;

/// Where an operator was written and which stream it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct Origin {
    stream: Option<&'static str>,
}

impl Origin {
    /// The origin of operators of `stream`, if named.
    pub(crate) fn of(stream: Option<&'static str>) -> Self {
        Origin { stream }
    }

    /// How an operator of kind `kind` appears in plans and errors: in this origin's stream,
    /// written where the user called it (each call on the way is `#[track_caller]`).
    #[track_caller]
    pub(crate) fn info(self, kind: impl Into<String>) -> OperatorInfo {
        let at = Location::caller();
        let info =
            OperatorInfo::new(kind).at(format!("{}:{}:{}", at.file(), at.line(), at.column()));
        match self.stream {
            Some(s) => info.stream(s),
            None => info,
        }
    }
}

/// The type of a stream of `T`.
pub struct Witness<T> {
    pub(crate) origin: Origin,
    _records: PhantomData<fn() -> T>,
}

impl<T> Clone for Witness<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Witness<T> {}

impl<T> Default for Witness<T> {
    fn default() -> Self {
        Witness::with_origin(Origin::default())
    }
}

impl<T> Witness<T> {
    /// The witness of a stream of `T`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The witness of the stream a source produces.
    pub fn of_source<S: Source<Item = T>>(_source: &S) -> Self {
        Self::default()
    }

    /// Names the stream the following operators belong to (for plans and errors).
    pub fn named(mut self, stream: &'static str) -> Self {
        self.origin.stream = Some(stream);
        self
    }

    /// The witness of a stream belonging to `origin`'s stream.
    pub(crate) fn with_origin(origin: Origin) -> Self {
        Witness {
            origin,
            _records: PhantomData,
        }
    }

    /// The witness of a stream of `U`, keeping the name.
    pub(crate) fn to<U>(self) -> Witness<U> {
        Witness::with_origin(self.origin)
    }
}

/// The type of a keyed stream of `(K, T)`.
pub struct KeyedWitness<K, T> {
    pub(crate) origin: Origin,
    _types: PhantomData<fn() -> (K, T)>,
}

impl<K, T> Clone for KeyedWitness<K, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, T> Copy for KeyedWitness<K, T> {}

impl<K, T> KeyedWitness<K, T> {
    /// The witness of a keyed stream belonging to `origin`'s stream.
    pub(crate) fn with_origin(origin: Origin) -> Self {
        KeyedWitness {
            origin,
            _types: PhantomData,
        }
    }
}

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Names the stream the following operators belong to.
    pub fn named(mut self, stream: &'static str) -> Self {
        self.origin.stream = Some(stream);
        self
    }

    /// The plain stream of `(K, T)` pairs (what travels through the keyed exchange).
    pub fn pairs(self) -> Witness<(K, T)> {
        Witness::with_origin(self.origin)
    }
}

/// A windowed stream being configured.
pub struct WindowWitness<K, T, A, Tr, E> {
    pub(crate) assigner: A,
    pub(crate) trigger: Tr,
    pub(crate) evictor: E,
    /// How the evictor appears in plans, once one is set.
    pub(crate) evicting: Option<String>,
    pub(crate) allowed_lateness: i64,
    pub(crate) origin: Origin,
    pub(crate) _types: PhantomData<fn() -> (K, T)>,
}

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E> {
    /// The stream of `(K, T)` pairs the window operator reads.
    pub fn pairs(&self) -> Witness<(K, T)> {
        Witness::with_origin(self.origin)
    }

    /// The same window with the trigger and evictor `f` makes of its own (a witness of
    /// other types, which a struct update cannot give).
    pub(crate) fn rebuild<Tr2, E2>(
        self,
        f: impl FnOnce(Tr, E) -> (Tr2, E2),
    ) -> WindowWitness<K, T, A, Tr2, E2> {
        let (trigger, evictor) = f(self.trigger, self.evictor);
        WindowWitness {
            assigner: self.assigner,
            trigger,
            evictor,
            evicting: self.evicting,
            allowed_lateness: self.allowed_lateness,
            origin: self.origin,
            _types: PhantomData,
        }
    }

    /// The same window with `evictor`, shown in plans.
    pub(crate) fn with_evictor<E2: Evictor<T>>(
        self,
        evictor: E2,
    ) -> WindowWitness<K, T, A, Tr, E2> {
        let evicting = Some(evictor.describe());
        WindowWitness {
            evicting,
            ..self.rebuild(|trigger, _| (trigger, evictor))
        }
    }
}

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
{
    /// How the window appears in plans, ended by `function`.
    #[track_caller]
    pub(crate) fn info(&self, function: &str) -> OperatorInfo {
        let mut kind = format!("window({})", self.assigner.describe());
        let trigger = self.trigger.describe();
        if !trigger.starts_with("event_time_trigger")
            && !trigger.starts_with("processing_time_trigger")
        {
            kind.push_str(&format!(".trigger({trigger})"));
        }
        if let Some(evictor) = &self.evicting {
            kind.push_str(&format!(".evictor({evictor})"));
        }
        if self.allowed_lateness > 0 {
            kind.push_str(&format!(
                ".allowed_lateness({})",
                stream_core::time::describe_millis(self.allowed_lateness)
            ));
        }
        kind.push('.');
        kind.push_str(function);
        self.origin.info(kind)
    }

    /// Ends the window with the function `make` builds from its evictor, shown as
    /// `function` in plans: its spec, the witness of its results and that of its late
    /// records.
    #[track_caller]
    pub(crate) fn finish<F, O>(
        self,
        function: &str,
        make: impl FnOnce(E) -> F,
    ) -> (WindowSpec<A, Tr, F, K, T>, Witness<O>, Witness<T>) {
        let info = self.info(function);
        let w = Witness::<O>::with_origin(self.origin);
        let spec = WindowSpec::new(
            self.assigner,
            self.trigger,
            make(self.evictor),
            self.allowed_lateness,
            info,
        );
        (spec, w, w.to())
    }
}
