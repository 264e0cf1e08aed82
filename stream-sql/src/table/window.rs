//! The windows of the Table API: `tumble(10_000).on("ts")` is
//! `TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND)`.

use super::expression::{interval_sql, quote_name};

/// A window table-valued function over a time attribute; sizes in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    kind: Kind,
    /// The time attribute the windows are over.
    time: String,
    offset: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tumble { size: i64 },
    Hop { slide: i64, size: i64 },
    Cumulate { step: i64, size: i64 },
    Session { gap: i64 },
}

/// Tumbling windows of `size_ms` (`TUMBLE`).
pub fn tumble(size_ms: i64) -> Window {
    Window::new(Kind::Tumble { size: size_ms })
}

/// Windows of `size_ms` starting every `slide_ms` (`HOP`).
pub fn hop(slide_ms: i64, size_ms: i64) -> Window {
    Window::new(Kind::Hop {
        slide: slide_ms,
        size: size_ms,
    })
}

/// Windows growing by `step_ms` from a common start up to `size_ms` (`CUMULATE`).
pub fn cumulate(step_ms: i64, size_ms: i64) -> Window {
    Window::new(Kind::Cumulate {
        step: step_ms,
        size: size_ms,
    })
}

/// Sessions of activity closed by a gap of `gap_ms` (`SESSION`).
pub fn session(gap_ms: i64) -> Window {
    Window::new(Kind::Session { gap: gap_ms })
}

impl Window {
    fn new(kind: Kind) -> Self {
        Window {
            kind,
            time: "rowtime".into(),
            offset: None,
        }
    }

    /// The time attribute (a column with a watermark) the windows are over.
    pub fn on(mut self, time_attribute: &str) -> Self {
        self.time = time_attribute.to_string();
        self
    }

    /// Shifts window starts by `offset_ms`. Sessions have no offset: theirs is ignored.
    pub fn offset(mut self, offset_ms: i64) -> Self {
        if !matches!(self.kind, Kind::Session { .. }) {
            self.offset = Some(offset_ms);
        }
        self
    }

    /// The window TVF's call over the table `table` (a quoted name).
    pub(crate) fn to_sql(&self, table: &str) -> String {
        let (name, sizes) = match self.kind {
            Kind::Tumble { size } => ("TUMBLE", vec![size]),
            Kind::Hop { slide, size } => ("HOP", vec![slide, size]),
            Kind::Cumulate { step, size } => ("CUMULATE", vec![step, size]),
            Kind::Session { gap } => ("SESSION", vec![gap]),
        };
        let mut args = vec![
            format!("TABLE {table}"),
            format!("DESCRIPTOR({})", quote_name(&self.time)),
        ];
        args.extend(sizes.into_iter().map(interval_sql));
        args.extend(self.offset.map(interval_sql));
        format!("{name}({})", args.join(", "))
    }
}
