use super::{Evictor, WindowBuffer};

/// Evicts every element whose delta to the newest element reaches a threshold (Flink's
/// `DeltaEvictor`).
#[derive(Clone, Copy, Debug)]
pub struct DeltaEvictor<F> {
    threshold: f64,
    delta: F,
    after: bool,
}

/// Evicts elements `e` with `delta(e, newest) >= threshold`, before the window function.
pub fn delta_evictor<F>(threshold: f64, delta: F) -> DeltaEvictor<F> {
    DeltaEvictor {
        threshold,
        delta,
        after: false,
    }
}

impl<F> DeltaEvictor<F> {
    /// Evicts after the window function instead of before.
    pub fn after(mut self) -> Self {
        self.after = true;
        self
    }
}

impl<F> DeltaEvictor<F> {
    fn evict<T: Clone>(&self, buffer: &mut WindowBuffer<T>)
    where
        F: Fn(&T, &T) -> f64,
    {
        let Some(newest) = buffer.items().last().cloned() else {
            return;
        };
        buffer.retain(|_, e| (self.delta)(e, &newest) < self.threshold);
    }
}

impl<T, F> Evictor<T> for DeltaEvictor<F>
where
    T: Clone,
    F: Fn(&T, &T) -> f64 + Clone + Send + 'static,
{
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
            "delta_evictor({}){}",
            self.threshold,
            if self.after { ".after()" } else { "" }
        )
    }
}
