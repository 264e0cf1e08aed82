//! `source(expr)`: a statement's head that reads a source (`from_vec(..)`, `text_file(..)`,
//! a Kafka-like log, a user's `Source`). Whether it stamps records with event time is a
//! property of its type (`EventTimeSource`), asked for where an event-time operator
//! reads it with no `.event_time(..)`/`.watermark(..)` in between.

/// The head's name.
pub const NAME: &str = "source";
