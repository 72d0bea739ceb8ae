//! Standard output of the command line. A reader that closes the pipe early (`list | head
//! -1`) is a normal end, as in ripgrep: the command goes on (an import still stores every
//! photo) and exits as it would have, without the panic that `println!` raises on a closed
//! pipe. Any other failure to write (a full disk under `list > file`) fails the command.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write failed: nothing more is written.
static STOPPED: AtomicBool = AtomicBool::new(false);
/// A failure other than a closed pipe, reported by [`finish`].
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes one line to standard output (the `say!` macro of `cli`).
pub(crate) fn line(args: std::fmt::Arguments<'_>) {
    if !STOPPED.load(Ordering::Relaxed) {
        let mut out = std::io::stdout().lock();
        settle(out.write_fmt(args).and_then(|()| out.write_all(b"\n")));
    }
}

/// Writes a long output (a list of a million photos) through one buffer, not a write to
/// the terminal or pipe per line as the line-buffered standard output would make.
pub(crate) fn block(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    if !STOPPED.load(Ordering::Relaxed) {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        settle(write(&mut out).and_then(|()| out.flush()));
    }
}

/// After a write: a failed one stops the output, and is kept for [`finish`] unless the
/// reader closed the pipe.
fn settle(written: std::io::Result<()>) {
    if let Err(e) = written {
        STOPPED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            *FAILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
        }
    }
}

/// After a command: flushes standard output, and fails if it could not be written (other
/// than by a closed pipe).
pub(crate) fn finish() -> anyhow::Result<()> {
    if !STOPPED.load(Ordering::Relaxed)
        && let Err(e) = std::io::stdout().flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        anyhow::bail!("cannot write the output: {e}");
    }
    match FAILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        Some(e) => anyhow::bail!("cannot write the output: {e}; check the disk or the pipe it goes to"),
        None => Ok(()),
    }
}

/// A moment (Unix seconds) as the command line prints it: RFC 3339, in UTC.
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
