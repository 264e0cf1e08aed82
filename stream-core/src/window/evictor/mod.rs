//! Evictors: remove elements from a window before or after the window function runs
//! (Flink's `Evictor`). A window with an evictor keeps its elements (not an incremental
//! aggregate), and after firing it keeps only what the evictor left.

mod count;
mod delta;
mod time;

pub use count::{count_evictor, CountEvictor};
pub use delta::{delta_evictor, DeltaEvictor};
pub use time::{time_evictor, TimeEvictor};

use crate::time::Timestamp;

/// The elements of a window with their timestamps, oldest first.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowBuffer<T> {
    timestamps: Vec<Timestamp>,
    items: Vec<T>,
}

impl<T> Default for WindowBuffer<T> {
    fn default() -> Self {
        WindowBuffer {
            timestamps: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<T> WindowBuffer<T> {
    /// Appends an element.
    #[inline]
    pub fn push(&mut self, ts: Timestamp, item: T) {
        self.timestamps.push(ts);
        self.items.push(item);
    }

    /// The elements.
    #[inline]
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The elements' timestamps, in the same order.
    #[inline]
    pub fn timestamps(&self) -> &[Timestamp] {
        &self.timestamps
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True if the window holds nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes the first `n` elements.
    pub fn remove_first(&mut self, n: usize) {
        let n = n.min(self.len());
        self.timestamps.drain(..n);
        self.items.drain(..n);
    }

    /// Keeps the elements for which `keep(ts, item)` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(Timestamp, &T) -> bool) {
        let mut write = 0;
        for read in 0..self.items.len() {
            if keep(self.timestamps[read], &self.items[read]) {
                self.timestamps.swap(write, read);
                self.items.swap(write, read);
                write += 1;
            }
        }
        self.timestamps.truncate(write);
        self.items.truncate(write);
    }

    /// Appends all elements of `other`.
    pub fn append(&mut self, mut other: WindowBuffer<T>) {
        self.timestamps.append(&mut other.timestamps);
        self.items.append(&mut other.items);
    }

    /// Removes every element, keeping the allocation.
    pub fn clear(&mut self) {
        self.timestamps.clear();
        self.items.clear();
    }
}

/// Removes elements from a window's buffer around the window function.
pub trait Evictor<T>: Clone + Send + 'static {
    /// Called before the window function.
    fn evict_before(&self, buffer: &mut WindowBuffer<T>);
    /// Called after the window function.
    fn evict_after(&self, buffer: &mut WindowBuffer<T>);
    /// A short description for plans.
    fn describe(&self) -> String;
}

/// No eviction: the window function sees every element.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvictor;

impl<T> Evictor<T> for NoEvictor {
    fn evict_before(&self, _buffer: &mut WindowBuffer<T>) {}
    fn evict_after(&self, _buffer: &mut WindowBuffer<T>) {}
    fn describe(&self) -> String {
        "none".into()
    }
}
