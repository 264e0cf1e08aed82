//! What sources and sinks share: the brokers, librdkafka properties, and errors.

use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;
use stream_core::{ErrorKind, StreamError};

/// How long a metadata, offset or transaction request may take before it is an error.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The brokers to reach and any librdkafka properties (`security.protocol`,
/// `sasl.mechanisms`, `compression.type`, ...), as Flink's `properties.*` options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientOptions {
    /// `host:port,host:port`: the bootstrap servers.
    pub brokers: String,
    /// librdkafka properties, set after the connector's defaults (so they win), before
    /// what the connector requires.
    pub properties: Vec<(String, String)>,
}

impl ClientOptions {
    /// Options reaching `brokers`.
    pub fn new(brokers: &str) -> Self {
        ClientOptions {
            brokers: brokers.to_string(),
            properties: Vec::new(),
        }
    }

    /// A librdkafka client configuration: the connector's `defaults`, then the user's
    /// properties.
    pub(crate) fn config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        self.config_with(defaults, &[])
    }

    /// As [`config`](Self::config), then the `required` settings, which the user's
    /// properties cannot change (a transactional id, a recovery consumer's group).
    pub(crate) fn config_with(
        &self,
        defaults: &[(&str, &str)],
        required: &[(&str, &str)],
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        for (key, value) in required {
            config.set(*key, *value);
        }
        config
    }
}

/// A Kafka client error as the runtime's error, saying what was being done.
pub(crate) fn kafka_error(context: impl std::fmt::Display, error: KafkaError) -> StreamError {
    StreamError::new(ErrorKind::Io, format!("{context}: {error}"))
}
