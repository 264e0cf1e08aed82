//! Turning a panic in a user function into an error that names the operator.
//!
//! A fused stage is one value, so a panic unwinds out of the whole stage; the runtime
//! catches it at the stage boundary. To name the operator, a panic hook (installed once,
//! chained to the previous hook so the usual message still prints) remembers where the
//! panic happened, and the operator is the one of the stage written last before that
//! position in the same file: a closure written inline in `stream!` panics inside its own
//! operator's call. A panic elsewhere (in a function the closure calls) names the stage.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Once;

use stream_core::error::OpLabel;
use stream_core::{ErrorKind, StreamError};

use crate::graph::OperatorInfo;

/// Where a panic happened: file, line, column.
type Position = (String, u32, u32);

thread_local! {
    static LAST_PANIC: RefCell<Option<Position>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs the hook that records panic positions (once per process).
pub fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(at) = info.location() {
                let position = (at.file().to_owned(), at.line(), at.column());
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(position));
            }
            previous(info);
        }));
    });
}

/// The error for a panic caught while running a stage with `operators`.
pub fn to_error(panic: Box<dyn Any + Send>, operators: &[OperatorInfo]) -> StreamError {
    let message = message(&panic);
    let position = LAST_PANIC.with(|last| last.borrow_mut().take());
    let Some((file, line, column)) = position else {
        return StreamError::new(
            ErrorKind::Panic,
            format!("a user function panicked: {message}"),
        );
    };
    let error = StreamError::new(
        ErrorKind::Panic,
        format!("panicked at {file}:{line}:{column}: {message}"),
    );
    match operator_at(operators, &file, line, column) {
        Some(operator) => error.at(&OpLabel::new(operator.label())),
        None => error,
    }
}

/// The text of a panic payload.
pub fn message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a user function panicked".to_owned()
    }
}

/// The operator written last at or before `line:column` of `file`.
fn operator_at<'a>(
    operators: &'a [OperatorInfo],
    file: &str,
    line: u32,
    column: u32,
) -> Option<&'a OperatorInfo> {
    operators
        .iter()
        .filter_map(|op| {
            let position = op.position.as_deref()?;
            let mut parts = position.rsplitn(3, ':');
            let op_column: u32 = parts.next()?.parse().ok()?;
            let op_line: u32 = parts.next()?.parse().ok()?;
            let op_file = parts.next()?;
            (op_file == file && (op_line, op_column) <= (line, column))
                .then_some(((op_line, op_column), op))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, op)| op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_operator_written_last_before_the_panic() {
        let ops = [
            OperatorInfo::new("source(x)").at("src/main.rs:10:9"),
            OperatorInfo::new("map").at("src/main.rs:11:14"),
            OperatorInfo::new("filter").at("src/main.rs:12:14"),
            OperatorInfo::new("elsewhere").at("src/other.rs:1:1"),
        ];
        assert_eq!(
            operator_at(&ops, "src/main.rs", 11, 30).unwrap().kind,
            "map"
        );
        assert_eq!(
            operator_at(&ops, "src/main.rs", 13, 2).unwrap().kind,
            "filter"
        );
        assert!(operator_at(&ops, "src/main.rs", 9, 1).is_none());
        assert!(operator_at(&ops, "src/lib.rs", 11, 30).is_none());
    }
}
