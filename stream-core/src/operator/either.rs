use serde::{Deserialize, Serialize};

/// A record of one of two connected streams (Flink's `ConnectedStreams`): what a two-input
/// stage hands its chain, so every operator after it is an ordinary one-input operator
/// over `Either<A, B>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Either<A, B> {
    /// A record of the first stream.
    Left(A),
    /// A record of the second stream.
    Right(B),
}

impl<A, B> Either<A, B> {
    /// The first stream's record, if it is one.
    pub fn left(self) -> Option<A> {
        match self {
            Either::Left(a) => Some(a),
            Either::Right(_) => None,
        }
    }

    /// The second stream's record, if it is one.
    pub fn right(self) -> Option<B> {
        match self {
            Either::Left(_) => None,
            Either::Right(b) => Some(b),
        }
    }

    /// Applies `f` to a first-stream record and `g` to a second-stream one.
    #[inline]
    pub fn either<U>(self, f: impl FnOnce(A) -> U, g: impl FnOnce(B) -> U) -> U {
        match self {
            Either::Left(a) => f(a),
            Either::Right(b) => g(b),
        }
    }
}
