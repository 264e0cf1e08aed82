use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::Result;

/// A bounded source over the items of an iterable (Flink's `fromCollection`).
#[derive(Clone, Debug)]
pub struct IterSource<I> {
    items: I,
}

/// A source of the items of `items`, read once, in order.
pub fn from_iter<I>(items: I) -> IterSource<I>
where
    I: IntoIterator + Clone + Send + 'static,
    I::IntoIter: Send,
    I::Item: Send + 'static,
{
    IterSource { items }
}

/// A source of the elements of a vector.
pub fn from_vec<T: Clone + Send + 'static>(items: Vec<T>) -> IterSource<Vec<T>> {
    from_iter(items)
}

impl<I> Source for IterSource<I>
where
    I: IntoIterator + Clone + Send + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    type Item = I::Item;
    type Reader = IterReader<I::IntoIter>;

    fn open(&self, _cx: &SourceContext) -> Result<Self::Reader> {
        Ok(IterReader {
            items: self.items.clone().into_iter(),
        })
    }

    fn describe(&self) -> String {
        "collection".into()
    }

    fn is_bounded(&self) -> bool {
        true
    }
}

/// Reads an iterator.
pub struct IterReader<It> {
    items: It,
}

impl<It: Iterator + Send> SourceReader for IterReader<It> {
    type Item = It::Item;

    #[inline]
    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<It::Item>> {
        Ok(match self.items.next() {
            Some(item) => SourceEvent::Record(item),
            None => SourceEvent::End,
        })
    }
}
