//! The operators of the typed API, one file per operator (or per family sharing its
//! logic). Each file holds the operator's name, its spec (the configuration that becomes
//! the operator, with its [`Spec`](super::spec::Spec) impl), the witness call `stream!`
//! expands into, and the builder method on `DataStream`, `KeyedStream` or
//! `WindowedStream`, a thin call of that witness call (one declaration, two front
//! ends). Its documentation shows the operator in the builder and in `stream!`, as a
//! doctest that runs both and compares them.
//!
//! `stream!`'s side of each operator (where it applies, its checks, how it lowers) is
//! in `stream-compiler/src/ops/`.

pub mod aggregate;
pub mod allowed_lateness;
pub mod broadcast;
pub mod by;
pub mod co_group;
pub mod co_map;
pub mod connect;
pub mod count_window;
pub mod event_time;
pub mod evictor;
pub mod filter;
pub mod flat_map;
pub mod ingestion_time;
pub mod inspect;
pub mod interval_join;
pub mod join;
pub mod key_by;
pub mod late_to;
pub mod map;
pub mod parallelism;
pub mod process;
pub mod rebalance;
pub mod reduce;
pub mod rolling;
pub mod sink;
pub mod trigger;
pub mod try_map;
pub mod uid;
pub mod union;
pub mod watermark;
pub mod window;
pub mod window_all;
