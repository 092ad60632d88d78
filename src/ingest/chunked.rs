//! A vector in fixed-size chunks: pushing never moves what is already
//! stored. The builder stages up to 150,000 pods of a few hundred bytes
//! each; in one `Vec` every doubling copied them all and faulted in fresh
//! pages (about 7% of reading a 5,000-node dump). The chunks are flattened
//! once, into a vector of the exact length, when the cluster is built.

/// Items per chunk: 64 KiB–1 MiB chunks for the staged objects.
const CHUNK: usize = 2048;

/// Items in insertion order, stored in chunks of [`CHUNK`].
#[derive(Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// No item stored.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `item` at index `len()`.
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// The item at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    /// The items, in order, to change in place.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    /// Replaces the item at `index`; false (and nothing changed) past the end.
    pub(crate) fn set(&mut self, index: usize, item: T) -> bool {
        match self
            .chunks
            .get_mut(index / CHUNK)
            .and_then(|c| c.get_mut(index % CHUNK))
        {
            Some(slot) => {
                *slot = item;
                true
            }
            None => false,
        }
    }
}

impl<T> IntoIterator for Chunked<T> {
    type Item = T;
    type IntoIter = Flatten<std::iter::Flatten<std::vec::IntoIter<Vec<T>>>>;

    /// The items in order, consumed.
    fn into_iter(self) -> Self::IntoIter {
        Flatten {
            chunks: self.chunks.into_iter().flatten(),
            left: self.len,
        }
    }
}

/// [`Chunked`]'s iterator: a flatten that knows its length, so collecting
/// allocates once.
pub(crate) struct Flatten<I> {
    chunks: I,
    left: usize,
}

impl<T, I: Iterator<Item = T>> Iterator for Flatten<I> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let item = self.chunks.next()?;
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T, I: Iterator<Item = T>> ExactSizeIterator for Flatten<I> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_replaces_across_chunks() {
        let mut items = Chunked::default();
        assert!(items.is_empty());
        let n = 3 * CHUNK + 5;
        for i in 0..n {
            items.push(i);
        }
        assert_eq!(items.len(), n);
        assert_eq!(items.get(CHUNK), Some(&CHUNK));
        assert_eq!(items.get(n), None);
        assert!(items.set(CHUNK + 1, 0));
        assert!(!items.set(n, 0));
        let out: Vec<usize> = items.into_iter().collect();
        assert_eq!(out.len(), n);
        assert_eq!(out[CHUNK + 1], 0);
        assert!(out
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i || i == CHUNK + 1));
    }
}
