//! `inspect(f)`: shows every record to `f` and passes it on (logging, metrics).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).inspect(|x| println!("{x}")).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).inspect(|x| println!("{x}")).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::Inspect;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::simple_spec;
use crate::api::witness::Witness;

/// The name of `inspect` in plans and `stream!`.
pub const INSPECT: &str = "inspect";

simple_spec!(
    /// `inspect`.
    InspectSpec, Inspect, T => T, where F: FnMut(&T) + Clone + Send + 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `inspect(f)`: sees every record, passes it on.
    #[track_caller]
    pub fn inspect<F>(self, f: F) -> (InspectSpec<F>, Witness<T>)
    where
        F: FnMut(&T) + Clone + Send + 'static,
    {
        (InspectSpec::new(f, self.origin.info(INSPECT)), self)
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Shows every record to `f`.
    #[track_caller]
    pub fn inspect<F>(self, f: F) -> DataStream<T, Chained<P, InspectSpec<F>>>
    where
        F: FnMut(&T) + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.inspect(f);
        self.then(spec, w)
    }
}
