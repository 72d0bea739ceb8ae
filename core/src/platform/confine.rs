//! Confinement of a process that reads hostile data and holds nothing: the decoder process
//! (`imaging::decoder_process`). Called before it reads a byte of its input, it leaves the
//! process able to read its standard input, write its standard output and error, use
//! memory that is never executable, and end; nothing else. On Linux:
//!
//! - limits: address space and CPU time as asked, and no process started (`RLIMIT_NPROC`
//!   0);
//! - every file descriptor past the three standard ones closed (the app's own are
//!   close-on-exec already; this closes what the app itself inherited);
//! - killed if the app dies (`PR_SET_PDEATHSIG`), and the first the kernel's out-of-memory
//!   killer takes (`oom_score_adj` 1000);
//! - a seccomp filter (with `PR_SET_NO_NEW_PRIVS`): `read` from descriptor 0, `write` to 1
//!   and 2, `mmap`/`mprotect` without `PROT_EXEC`, `munmap`/`mremap`/`brk`/`madvise`,
//!   `futex`, what a panic or an abort calls (`getcwd`, the signal calls, `tgkill` to
//!   itself alone), and `exit`/`exit_group`. Any other call (`open`, `socket`, `execve`, `clone`, `kill`…)
//!   kills the process, which its parent takes as that file's refusal.
//!
//! Elsewhere only the memory and CPU limits apply (Unix); SECURITY.md says so.

/// Confines this process as the module says; an error names the step that failed.
pub(crate) fn confine(memory_bytes: u64, cpu_seconds: u64) -> Result<(), String> {
    #[cfg(unix)]
    {
        set_limit!(RLIMIT_AS, memory_bytes);
        set_limit!(RLIMIT_CPU, cpu_seconds);
    }
    #[cfg(target_os = "linux")]
    linux::confine()?;
    #[cfg(not(unix))]
    let _ = (memory_bytes, cpu_seconds);
    Ok(())
}

/// Sets both limits of resource `libc::$resource` to `$value`, or returns the error.
#[cfg(unix)]
macro_rules! set_limit {
    ($resource:ident, $value:expr) => {{
        let value = $value as libc::rlim_t;
        let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
        // SAFETY: setrlimit reads the struct it is given and changes only this process's limits.
        if unsafe { libc::setrlimit(libc::$resource, &limit) } != 0 {
            return Err(format!("{}: {}", stringify!($resource), std::io::Error::last_os_error()));
        }
    }};
}
#[cfg(unix)]
use set_limit;

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;

    use seccompiler::{
        SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition as Condition, SeccompFilter,
        SeccompRule as Rule,
    };

    pub(super) fn confine() -> Result<(), String> {
        super::set_limit!(RLIMIT_NPROC, 0);
        // SAFETY: close_range takes plain integers and closes only this process's descriptors
        // from 3 up; nothing in this process uses one of them any more (the decoder process
        // has read nothing yet, and std holds no descriptor of its own).
        unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
        // SAFETY: PR_SET_PDEATHSIG takes plain integers and changes only this process.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        // Best effort: a kernel without /proc still gets the filter.
        let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
        let arch = std::env::consts::ARCH.try_into().map_err(|e| format!("seccomp: {e}"))?;
        let filter = SeccompFilter::new(rules()?, SeccompAction::KillProcess, SeccompAction::Allow, arch)
            .map_err(|e| format!("seccomp: {e}"))?;
        let program: seccompiler::BpfProgram = filter.try_into().map_err(|e| format!("seccomp: {e}"))?;
        seccompiler::apply_filter_all_threads(&program).map_err(|e| format!("seccomp: {e}"))
    }

    /// The system calls allowed, each unconditionally (no rule) or under one of its rules.
    fn rules() -> Result<BTreeMap<i64, Vec<Rule>>, String> {
        let on = |arg: u8, op: Op, value: u64| -> Result<Rule, String> {
            Condition::new(arg, Len::Qword, op, value).and_then(|c| Rule::new(vec![c])).map_err(|e| e.to_string())
        };
        let not_exec = || on(2, Op::MaskedEq(libc::PROT_EXEC as u64), 0);
        // SAFETY: getpid takes nothing and cannot fail.
        let me = unsafe { libc::getpid() } as u64;
        let mut rules: BTreeMap<i64, Vec<Rule>> = [
            libc::SYS_munmap,
            libc::SYS_mremap,
            libc::SYS_brk,
            libc::SYS_madvise,
            libc::SYS_futex,
            libc::SYS_sigaltstack,
            libc::SYS_rt_sigprocmask,
            libc::SYS_rt_sigaction,
            libc::SYS_rt_sigreturn,
            libc::SYS_getpid,
            libc::SYS_gettid,
            // A panic's message names its source file relative to the working folder.
            libc::SYS_getcwd,
            libc::SYS_exit,
            libc::SYS_exit_group,
        ]
        .into_iter()
        .map(|call| (call, Vec::new()))
        .collect();
        rules.insert(libc::SYS_read, vec![on(0, Op::Eq, 0)?]);
        rules.insert(libc::SYS_write, vec![on(0, Op::Eq, 1)?, on(0, Op::Eq, 2)?]);
        rules.insert(libc::SYS_mmap, vec![not_exec()?]);
        rules.insert(libc::SYS_mprotect, vec![not_exec()?]);
        rules.insert(libc::SYS_tgkill, vec![on(0, Op::Eq, me)?]);
        Ok(rules)
    }
}
