use super::{Evictor, WindowBuffer};

/// Keeps at most `n` elements: the most recent ones (Flink's `CountEvictor`).
#[derive(Clone, Copy, Debug)]
pub struct CountEvictor {
    max_count: usize,
    after: bool,
}

/// Keeps the last `n` elements, evicting before the window function runs.
pub fn count_evictor(n: usize) -> CountEvictor {
    CountEvictor {
        max_count: n,
        after: false,
    }
}

impl CountEvictor {
    /// Evicts after the window function instead of before.
    pub fn after(mut self) -> Self {
        self.after = true;
        self
    }

    fn evict<T>(&self, buffer: &mut WindowBuffer<T>) {
        if buffer.len() > self.max_count {
            buffer.remove_first(buffer.len() - self.max_count);
        }
    }
}

impl<T> Evictor<T> for CountEvictor {
    fn evict_before(&self, buffer: &mut WindowBuffer<T>) {
        if !self.after {
            self.evict(buffer);
        }
    }

    fn evict_after(&self, buffer: &mut WindowBuffer<T>) {
        if self.after {
            self.evict(buffer);
        }
    }

    fn describe(&self) -> String {
        format!(
            "count_evictor({}){}",
            self.max_count,
            if self.after { ".after()" } else { "" }
        )
    }
}
