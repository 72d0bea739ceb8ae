//! The outbox: password emails kept as `.eml` files in a folder beside the vault while an
//! account has no SMTP server, until they can be sent.
//!
//! Each file is written owner-only (0600) from its first byte, in a folder that is made
//! owner-only (0700) even when it already existed, and is named by date, account and
//! content (`2026-11-30 14.05 - alice - 31 photos.eml`) so that a person can tell which
//! email holds which photos. Once an SMTP server is set up, [`send_queued`] sends an
//! account's files and deletes each one that the server accepted: an outbox is where
//! emails wait, not where they stay, since a copy of the vault folder that holds them
//! holds both factors of every photo they list.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{MailError, SmtpConfig};

/// The name of a new outbox file: `YYYY-MM-DD HH.MM UTC - WHAT.eml`; a password email's
/// `WHAT` is `USER - N photos`. UTC, said so, because the local offset cannot be read
/// soundly once the program runs threads (the `time` crate refuses to on Linux).
fn file_name(what: &str) -> String {
    let date = time::macros::format_description!("[year]-[month]-[day] [hour].[minute] UTC");
    let stamp = time::OffsetDateTime::now_utc().format(&date).unwrap_or_default();
    format!("{stamp} - {what}.eml")
}

/// What a password email's file is named after: `alice - 31 photos`.
pub(crate) fn password_email_label(username: &str, photos: usize) -> String {
    format!("{username} - {photos} photo{}", if photos == 1 { "" } else { "s" })
}

/// Saves `message` in the outbox `dir` under a new name made from `what`; returns its path.
pub(crate) fn save(dir: &Path, what: &str, message: &[u8]) -> Result<PathBuf, MailError> {
    let fail = |e: std::io::Error| MailError::Outbox { dir: dir.to_path_buf(), reason: e.to_string() };
    crate::platform::files::create_private_dir(dir).map_err(fail)?;
    crate::platform::files::make_private_dir(dir).map_err(fail)?;
    let path = crate::platform::files::unique_path(dir, &file_name(what), &HashSet::new());
    crate::platform::files::write_new_file(&path, |out| out.write_all(message)).map_err(fail)?;
    Ok(path)
}

/// The account's emails waiting in the outbox `dir`, oldest first.
pub fn queued(dir: &Path, username: &str) -> Vec<PathBuf> {
    let marker = format!(" - {username} - ");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.ends_with(".eml") && name.contains(&marker)
        })
        .collect();
    files.sort();
    files
}

/// One queued email that was sent (and deleted) or that failed (and stays).
#[derive(Debug)]
pub struct Sent {
    /// The file it was.
    pub path: PathBuf,
    /// `Ok` once the server accepted it and the file was deleted.
    pub result: Result<(), MailError>,
}

/// Sends the account's queued emails through `smtp`, oldest first, deleting each file the
/// server accepted. Stops at the first failure (the server is down, or refuses): that file
/// and the ones after it stay queued.
pub fn send_queued(dir: &Path, username: &str, smtp: &SmtpConfig) -> Vec<Sent> {
    let mut out = Vec::new();
    for path in queued(dir, username) {
        let result = std::fs::read(&path)
            .map_err(|e| MailError::Outbox { dir: dir.to_path_buf(), reason: e.to_string() })
            .and_then(|bytes| smtp.send_raw(&bytes))
            .and_then(|()| {
                std::fs::remove_file(&path)
                    .map_err(|e| MailError::Outbox { dir: dir.to_path_buf(), reason: e.to_string() })
            });
        let failed = result.is_err();
        out.push(Sent { path, result });
        if failed {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_date_account_and_content_and_found_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let a = save(dir.path(), &password_email_label("alice", 3), b"one").unwrap();
        let b = save(dir.path(), &password_email_label("alice", 3), b"two").unwrap();
        save(dir.path(), &password_email_label("bob", 1), b"three").unwrap();
        save(dir.path(), "test message", b"four").unwrap();
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(" - alice - 3 photos.eml"), "{name}");
        assert_eq!(name.as_bytes()[4], b'-');
        assert_ne!(a, b, "a second email in the same minute gets its own name");
        assert_eq!(queued(dir.path(), "alice").len(), 2);
        assert_eq!(queued(dir.path(), "bob").len(), 1);
        assert!(queued(dir.path(), "bob")[0].to_string_lossy().ends_with(" - bob - 1 photo.eml"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }
}
