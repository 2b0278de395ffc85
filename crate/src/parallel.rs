//! Two independent computations at once: on two threads natively, one after the other on
//! wasm32, which has no threads (the page runs its parallel work in separate workers).

/// Runs `first` on this thread and `second` beside it; returns both results.
pub(crate) fn both<A, B: Send>(first: impl FnOnce() -> A, second: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|s| {
            let other = s.spawn(second);
            let a = first();
            (a, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        (first(), second())
    }
}
