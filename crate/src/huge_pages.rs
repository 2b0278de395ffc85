//! The CLI's allocator: the system's, asking Linux for transparent huge pages on large blocks.
//!
//! A diff touches a few hundred MiB of fresh memory (the texts, the columns, the orderings);
//! in 4 KiB pages that is some 60,000 page faults, a sixth of the run. Blocks of 4 MiB or more
//! are advised `MADV_HUGEPAGE` (honoured where THP is `madvise` or `always`, ignored otherwise).
//! Where THP `defrag` is `madvise` (the usual default) such a fault may compact memory first to
//! find a huge page; measured on the 1M-object pair, the faults saved outweigh it (README).

use std::alloc::{GlobalAlloc, Layout, System};

/// Smallest block advised: below this, huge pages would mostly be partly used.
const LARGE: usize = 4 << 20;
/// The base page size on the targets that have transparent huge pages (x86-64, most arm64).
const PAGE: usize = 4 << 10;

/// [`System`], advising huge pages for large blocks.
pub struct HugePages;

fn advise(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < LARGE {
        return;
    }
    // The whole pages the block touches, not only its aligned huge pages: a large block is a
    // mapping of its own, and advising part of it splits the mapping in three, which makes
    // every later `realloc` of it copy (mremap cannot move a range that spans mappings).
    let start = ptr as usize & !(PAGE - 1);
    let end = (ptr as usize + size).next_multiple_of(PAGE);
    // SAFETY: the pages hold the block just allocated (and at most the allocator's header of
    // it before); the advice changes no contents.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; `advise` only hints the kernel.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        advise(new, new_size);
        new
    }
}
