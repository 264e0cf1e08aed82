use std::time::Instant;

use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{Result, Timestamp, MIN_TIMESTAMP};

/// Generates records from their index: `f(0), f(1), ...`, unbounded unless limited with
/// [`take`](GeneratorSource::take), optionally at a fixed rate. Parallel: instance `k` of
/// `p` generates the chunks `k, k + p, ...` of [`chunk`](GeneratorSource::chunk) indices
/// (1,000 by default), so all instances advance through the index range (and event time)
/// together, a chunk apart.
#[derive(Clone, Debug)]
pub struct GeneratorSource<F> {
    f: F,
    limit: Option<u64>,
    rate: Option<f64>,
    chunk: u64,
}

/// A source of `f(i)` for `i = 0, 1, 2, ...`.
pub fn generator<T, F>(f: F) -> GeneratorSource<F>
where
    F: FnMut(u64) -> T + Clone + Send + 'static,
    T: Send + 'static,
{
    GeneratorSource {
        f,
        limit: None,
        rate: None,
        chunk: 1_000,
    }
}

impl<F> GeneratorSource<F> {
    /// Ends after `n` records (a bounded source).
    pub fn take(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Emits at most `per_second` records per second (over all instances).
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate = Some(per_second.max(f64::MIN_POSITIVE));
        self
    }

    /// How many consecutive indices one instance generates before moving on.
    pub fn chunk(mut self, size: u64) -> Self {
        self.chunk = size.max(1);
        self
    }
}

impl<T, F> Source for GeneratorSource<F>
where
    F: FnMut(u64) -> T + Clone + Send + 'static,
    T: Send + 'static,
{
    type Item = T;
    type Reader = GeneratorReader<F>;

    fn open(&self, cx: &SourceContext) -> Result<Self::Reader> {
        let instances = cx.instance.parallelism.max(1) as u64;
        let instance = cx.instance.index as u64;
        Ok(GeneratorReader {
            f: self.f.clone(),
            next: instance * self.chunk,
            chunk_end: (instance + 1) * self.chunk,
            stride: (instances - 1) * self.chunk,
            limit: self.limit.unwrap_or(u64::MAX),
            chunk: self.chunk,
            rate: self.rate.map(|r| r / instances as f64),
            started: Instant::now(),
            emitted: 0,
        })
    }

    fn describe(&self) -> String {
        match self.limit {
            Some(n) => format!("generator({n})"),
            None => "generator".into(),
        }
    }

    fn is_bounded(&self) -> bool {
        self.limit.is_some()
    }

    fn max_parallelism(&self) -> usize {
        usize::MAX
    }
}

/// Generates one instance's share of the indices.
pub struct GeneratorReader<F> {
    f: F,
    next: u64,
    chunk_end: u64,
    stride: u64,
    limit: u64,
    chunk: u64,
    rate: Option<f64>,
    started: Instant,
    emitted: u64,
}

impl<T, F> SourceReader for GeneratorReader<F>
where
    F: FnMut(u64) -> T + Send,
{
    type Item = T;

    #[inline]
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<T>> {
        if self.next == self.chunk_end {
            self.next += self.stride;
            self.chunk_end = self.next + self.chunk;
        }
        if self.next >= self.limit {
            return Ok(SourceEvent::End);
        }
        if let Some(rate) = self.rate {
            let allowed = (self.started.elapsed().as_secs_f64() * rate) as u64;
            if self.emitted >= allowed {
                let wait_ms = ((self.emitted + 1 - allowed) as f64 / rate * 1000.0).ceil() as i64;
                return Ok(SourceEvent::Pending(Some(
                    cx.processing_time() + wait_ms.max(1),
                )));
            }
        }
        let i = self.next;
        self.next += 1;
        self.emitted += 1;
        Ok(SourceEvent::Record((self.f)(i)))
    }

    fn skip(&mut self, _cx: &mut Context<'_>, records: u64) -> Result<u64> {
        // Jump through the chunks instead of generating what is skipped.
        let mut left = records;
        while left > 0 {
            if self.next == self.chunk_end {
                self.next += self.stride;
                self.chunk_end = self.next + self.chunk;
            }
            if self.next >= self.limit {
                break;
            }
            let step = left.min(self.chunk_end.min(self.limit) - self.next);
            self.next += step;
            left -= step;
        }
        Ok(records - left)
    }

    #[inline]
    fn poll_records<P>(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut push: P,
    ) -> Result<(usize, Option<SourceEvent<T>>)>
    where
        P: FnMut(&mut Context<'_>, Timestamp, T) -> Result,
    {
        if self.rate.is_some() {
            return self.poll_records_one_by_one(cx, budget, push);
        }
        let mut done = 0;
        while done < budget {
            if self.next == self.chunk_end {
                self.next += self.stride;
                self.chunk_end = self.next + self.chunk;
            }
            if self.next >= self.limit {
                return Ok((done, Some(SourceEvent::End)));
            }
            // The rest of this chunk, within the budget and the limit: one tight loop.
            let stop = self
                .chunk_end
                .min(self.limit)
                .min(self.next + (budget - done) as u64);
            let start = self.next;
            for i in start..stop {
                push(cx, MIN_TIMESTAMP, (self.f)(i))?;
            }
            self.next = stop;
            done += (stop - start) as usize;
        }
        self.emitted += done as u64;
        Ok((done, None))
    }
}

impl<T, F> GeneratorReader<F>
where
    F: FnMut(u64) -> T + Send,
{
    fn poll_records_one_by_one<P>(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut push: P,
    ) -> Result<(usize, Option<SourceEvent<T>>)>
    where
        P: FnMut(&mut Context<'_>, Timestamp, T) -> Result,
    {
        for n in 0..budget {
            match self.poll_next(cx)? {
                SourceEvent::Record(item) => push(cx, MIN_TIMESTAMP, item)?,
                other => return Ok((n, Some(other))),
            }
        }
        Ok((budget, None))
    }
}
