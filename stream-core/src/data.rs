//! What records must be to cross an exchange.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A record type that may cross an exchange (a cut of the pipeline: `key_by`, `rebalance`,
/// `broadcast`, `union`, `window_all`, the inputs of a two-input operator): between two
/// stage instances the runtime may place in different processes, where the records travel
/// encoded (timely dataflow's `ExchangeData`). Implemented for every type that is `Clone`,
/// `Send`, serializable and deserializable into an owned value; derive serde's
/// `Serialize` and `Deserialize` for a record type of your own.
///
/// Records inside one stage are never encoded: only the types at cuts need this, and the
/// records of window and keyed state (which checkpoints write) already need serde.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross an exchange: records sent to another stage must be serializable",
    label = "records of type `{Self}` are sent to another stage here",
    note = "derive `serde::Serialize` and `serde::Deserialize` for the record type (records at `key_by`, `rebalance`, `broadcast`, `union`, `window_all` and two-input operators may travel between processes)"
)]
pub trait ExchangeData: Clone + Send + Serialize + DeserializeOwned + 'static {}

impl<T: Clone + Send + Serialize + DeserializeOwned + 'static> ExchangeData for T {}
