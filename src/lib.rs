//! Secure Photo Gallery's desktop app and what it shares with the command line: the app's
//! worker threads ([`jobs`]), its screens ([`ui`]), and the desktop entry ([`desktop`]).
//! Everything else (the vault, imaging, mail, backups, the use cases) is the `spg-core`
//! crate; the command line for scripts (`src/cli/`) is part of the binary.

pub mod desktop;
pub mod jobs;
pub mod ui;
