//! Panics turned into errors. A damaged vault can make redb panic, and a hostile image
//! file can make a decoder panic; neither may end the program or an import. Code that
//! calls into such a dependency runs under [`catch_panic`], which keeps Rust's panic message
//! off the screen and hands the panic back as a value for the caller to report.

/// A panic caught by [`catch_panic`].
#[derive(Debug)]
pub(crate) struct Panic {
    /// Where it was raised, `file:line`.
    location: String,
    /// Its message.
    message: String,
}

impl Panic {
    #[cfg(test)]
    pub(crate) fn new(location: &str, message: &str) -> Self {
        Panic { location: location.into(), message: message.into() }
    }

    /// Whether the panic was raised in this workspace's own code: a bug of ours, not damage
    /// that redb (or a decoder under it) tripped over. Our files are named relative to the
    /// workspace (`core/src/…`, `src/…`); those of dependencies and of the standard
    /// library by an absolute path.
    fn is_ours(&self) -> bool {
        !self.location.is_empty() && !std::path::Path::new(&self.location).is_absolute()
    }

    /// A bug of ours, said as such; `None` for damage.
    pub(crate) fn bug(&self) -> Option<String> {
        self.is_ours().then(|| {
            format!(
                "internal error at {}: {}; this is a bug in Secure Photo Gallery, please report it (the operation was cancelled and nothing was saved)",
                self.location, self.message
            )
        })
    }
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "panicked at {}: {}", self.location, self.message)
    }
}

thread_local! {
    /// How many [`catch_panic`]s this thread is inside: their panics are reported as
    /// errors, so the panic hook stays quiet for them and only records them here.
    static GUARDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static CAUGHT: std::cell::RefCell<Option<Panic>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, returning the panic if it panicked. Used around every use of the database,
/// so that a damaged vault is reported as damage, never as a crash; the panic message
/// that Rust would print is kept off the screen.
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, Panic> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(|g| g.get()) == 0 {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            CAUGHT.with(|c| *c.borrow_mut() = Some(Panic { location, message }));
        }));
    });
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|_| {
        CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or(Panic { location: String::new(), message: "panic".into() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_keeps_its_place_and_message_and_leaves_nothing_behind() {
        let panic = catch_panic(|| {
            let records: Vec<u8> = Vec::new();
            records[3]
        })
        .unwrap_err();
        assert!(
            panic
                .bug()
                .is_some_and(|b| b.contains("src/platform/panic_guard.rs:") && b.contains("index out of bounds"))
        );
        // The hook recorded nothing that a later, clean call could mistake for its own.
        assert!(CAUGHT.with(|c| c.borrow().is_none()));
        assert_eq!(catch_panic(|| 7).unwrap(), 7);
    }

    #[test]
    fn a_panic_in_a_dependency_is_not_called_ours() {
        let panic =
            Panic::new("/root/.cargo/registry/src/index.crates.io-x/tiff-0.11.3/src/decoder/image.rs:919", "assert");
        assert!(panic.bug().is_none());
    }
}
