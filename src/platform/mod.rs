//! What the operating system gives every layer, kept in one place: owner-only folders and
//! atomic new files ([`files`]), panics in dependencies turned into errors
//! ([`panic_guard`]), and freed memory given back ([`give_back_memory`]). It uses nothing
//! of the crate.

pub(crate) mod files;
pub(crate) mod panic_guard;

/// Gives the memory freed since back to the system. glibc keeps freed memory in each
/// thread's arena for reuse, so a worker that briefly held a million photos' metadata
/// (the list, the check of every record) leaves the process that much larger for the rest
/// of the session; `malloc_trim` returns the free pages. Elsewhere it does nothing.
pub(crate) fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's own arenas; it takes no
    // pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
