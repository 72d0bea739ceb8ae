//! What the operating system gives every layer, kept in one place: owner-only folders and
//! atomic new files ([`files`]), panics in dependencies turned into errors
//! ([`panic_guard`]), memory kept out of swap ([`locked`]), no core dumps
//! ([`harden_process`]), freed memory given back ([`give_back_memory`]), and a process
//! that reads hostile data confined ([`confine`]). It uses
//! nothing of the crate.

pub(crate) mod confine;
pub(crate) mod files;
pub(crate) mod locked;
pub(crate) mod panic_guard;

/// Makes sure a crash writes no memory to disk: no core file (`RLIMIT_CORE` 0) and, on
/// Linux, not dumpable at all (no core handler such as systemd-coredump gets the memory,
/// and no other process of the user can read it through `/proc` or a debugger). A crash
/// while a vault is unlocked would otherwise leave its keys and decrypted photos in a core
/// file. Called first thing by the program; best effort where the platform says no.
pub fn harden_process() {
    #[cfg(unix)]
    // SAFETY: setrlimit reads the struct it is given and changes only this process's limit.
    unsafe {
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes plain integers and changes only this process's flag.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Gives the memory freed since back to the system. glibc keeps freed memory in each
/// thread's arena for reuse, so a worker that briefly held a million photos' metadata
/// (the list, the check of every record) leaves the process that much larger for the rest
/// of the session; `malloc_trim` returns the free pages. Elsewhere it does nothing.
pub fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's own arenas; it takes no
    // pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn a_hardened_process_dumps_no_core() {
        super::harden_process();
        // SAFETY: both calls only read this process's state into the struct given.
        let (dumpable, core) = unsafe {
            let mut limit = libc::rlimit { rlim_cur: 1, rlim_max: 1 };
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            (libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0), limit)
        };
        assert_eq!(dumpable, 0);
        assert_eq!((core.rlim_cur, core.rlim_max), (0, 0));
    }
}
