//! Memory the operating system is asked to keep in RAM (`mlock`), never in swap: for the
//! keys an open session holds for as long as it is open. Each [`Locked`] has pages of its
//! own, so unlocking one never unlocks another's. Where locking is refused (a low
//! `RLIMIT_MEMLOCK`, or no such call on the platform) the values are kept all the same.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::ptr::NonNull;

/// A fixed list of values in pages of their own, locked in memory while it lives. The
/// values are dropped in place (a key wipes itself) before the pages are unlocked.
pub(crate) struct Locked<T> {
    ptr: NonNull<T>,
    len: usize,
    layout: Layout,
    locked: bool,
}

// SAFETY: `Locked<T>` owns its values as a `Vec<T>` would; it hands out only shared
// references to them.
unsafe impl<T: Send> Send for Locked<T> {}
// SAFETY: as above, `&Locked<T>` gives only `&T`.
unsafe impl<T: Sync> Sync for Locked<T> {}

fn page_size() -> usize {
    #[cfg(unix)]
    // SAFETY: sysconf takes a constant and returns a number.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let size = 4096;
    usize::try_from(size).ok().filter(|s| s.is_power_of_two()).unwrap_or(4096)
}

impl<T> Locked<T> {
    /// Moves `items` into pages of their own and locks them.
    pub(crate) fn new(items: Vec<T>) -> Locked<T> {
        let page = page_size().max(std::mem::align_of::<T>());
        let bytes = (items.len().max(1) * std::mem::size_of::<T>()).max(1).next_multiple_of(page);
        let layout = Layout::from_size_align(bytes, page).expect("a page-aligned size fits a layout");
        // SAFETY: the layout's size is at least one page, never zero.
        let raw = unsafe { alloc(layout) }.cast::<T>();
        let Some(ptr) = NonNull::new(raw) else { handle_alloc_error(layout) };
        let len = items.len();
        for (i, item) in items.into_iter().enumerate() {
            // SAFETY: `i < len`, and the allocation holds `len` values of `T`, aligned.
            unsafe { ptr.as_ptr().add(i).write(item) };
        }
        #[cfg(unix)]
        // SAFETY: the range is this allocation, which lives until `drop` unlocks it.
        let locked = unsafe { libc::mlock(ptr.as_ptr().cast(), bytes) } == 0;
        #[cfg(not(unix))]
        let locked = false;
        Locked { ptr, len, layout, locked }
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `len` values were written at `ptr` by `new` and live until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Whether the operating system agreed to keep the pages out of swap.
    #[cfg(test)]
    pub(crate) fn is_locked(&self) -> bool {
        self.locked
    }
}

impl<T> Drop for Locked<T> {
    fn drop(&mut self) {
        // SAFETY: the values are dropped once, here; then the pages they were in are
        // unlocked and freed with the layout they were allocated with.
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len));
            #[cfg(unix)]
            if self.locked {
                libc::munlock(self.ptr.as_ptr().cast(), self.layout.size());
            }
            dealloc(self.ptr.as_ptr().cast(), self.layout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_live_in_locked_pages_of_their_own_and_are_dropped_once() {
        use std::sync::Arc;
        let witness = Arc::new(());
        let many = Locked::new((0..300).map(|_| witness.clone()).collect());
        assert_eq!(many.as_slice().len(), 300);
        assert_eq!(Arc::strong_count(&witness), 301);
        assert_eq!(many.ptr.as_ptr() as usize % page_size(), 0, "its own pages");
        let keys = Locked::new(vec![[7u8; 32], [8; 32]]);
        assert_eq!(keys.as_slice(), [[7; 32], [8; 32]]);
        // Locking may be refused by the limits of the machine the tests run on; where it
        // is granted, it is for these pages.
        if keys.is_locked() {
            assert!(keys.layout.size() >= 64);
        }
        drop(many);
        assert_eq!(Arc::strong_count(&witness), 1, "each value dropped once");
        let empty: Locked<[u8; 32]> = Locked::new(Vec::new());
        assert!(empty.as_slice().is_empty());
    }
}
