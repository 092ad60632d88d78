//! Data parallelism in one place. With the `parallel` feature (native
//! builds), independent items are spread over rayon's thread pool; without
//! it (the WASM build) the same calls run in order. Either way the results
//! come back in input order, so a report is the same with one thread or
//! many (`RAYON_NUM_THREADS=1` gives the serial run).

/// `f` on every item of `items`, results in input order.
pub(crate) fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(f).collect()
    }
}

/// `f` on `0..n`, results in order. Indices are handed out in blocks of at
/// least `min_len`, so that cheap items are not scheduled one by one.
pub(crate) fn map_range<R, F>(n: usize, min_len: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize) -> R + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n)
            .into_par_iter()
            .with_min_len(min_len)
            .map(f)
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = min_len;
        (0..n).map(f).collect()
    }
}

/// Frees `value` on another thread when there are threads (freeing a
/// copy of a 150,000-pod cluster takes a tenth of a second that the time
/// limit of the operation that made it should not pay); without the
/// `parallel` feature, now.
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    #[cfg(feature = "parallel")]
    {
        rayon::spawn(move || drop(value));
    }
    #[cfg(not(feature = "parallel"))]
    {
        drop(value);
    }
}

/// Runs `f` on a pool of one thread: the serial run that parallel runs are
/// tested against (without the feature, `f` simply runs).
#[cfg(test)]
pub(crate) fn serially<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "parallel")]
    {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_or_else(
                |_| unreachable!("a one-thread pool"),
                |pool| pool.install(f),
            )
    }
    #[cfg(not(feature = "parallel"))]
    {
        f()
    }
}
