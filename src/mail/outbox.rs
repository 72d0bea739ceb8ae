//! The outbox: password emails kept as `.eml` files in a folder beside the vault (one
//! folder per account) while an account has no SMTP server, until they can be sent.
//!
//! Each file is written owner-only (0600) from its first byte, in a folder that is made
//! owner-only (0700) even when it already existed, and is named by date, account and
//! content (`2026-11-30 14.05 UTC - alice - 31 photos.eml`) so that a person can tell which
//! email holds which photos. Its first line is an authenticator under a key of the
//! account's ([`SEAL_HEADER`]): once an SMTP server is set up, [`send_queued`] sends the
//! files that carry a valid one and are addressed to the account's own address, and
//! deletes each one the server accepted. Anything else in the folder is left where it is
//! and named: an outbox is where the program's own emails wait, not a way for whoever can
//! write the folder to send mail through the owner's server.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::crypto::{SecretKey, keyed_hash};

use super::{MailError, SmtpConfig};

/// The header line every email the program leaves in the outbox starts with:
/// `X-Secure-Photo-Gallery-Seal: HEX` (64 lower-case hex digits), then `CRLF`.
pub const SEAL_HEADER: &str = "X-Secure-Photo-Gallery-Seal";

/// Where an account's emails wait, and the key that authenticates them (from the account's
/// current generation). `Debug` shows the folder only.
#[derive(Clone)]
pub struct Outbox {
    dir: PathBuf,
    key: SecretKey,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Outbox").field(&self.dir).finish()
    }
}

/// The authenticator of an email's bytes (everything after the seal line).
fn tag(key: &SecretKey, message: &[u8]) -> String {
    let mac = keyed_hash(key, &[b"secure-photo-gallery v3 outbox email".as_slice(), message].concat());
    mac.iter().map(|b| format!("{b:02x}")).collect()
}

/// The email in `file` without its seal line, if the seal is valid under `key`.
fn unsealed<'a>(key: &SecretKey, file: &'a [u8]) -> Option<&'a [u8]> {
    let prefix = format!("{SEAL_HEADER}: ");
    let rest = file.strip_prefix(prefix.as_bytes())?;
    let (hex, message) = rest.split_at_checked(64)?;
    let message = message.strip_prefix(b"\r\n")?;
    let expected = tag(key, message);
    // Compared in constant time: the tag is a MAC.
    let equal =
        hex.len() == expected.len() && hex.iter().zip(expected.as_bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    equal.then_some(message)
}

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

/// One queued email that was sent (and deleted), that failed (and stays), or that the
/// program did not write (and stays, unsent).
#[derive(Debug)]
pub struct Sent {
    /// The file it was.
    pub path: PathBuf,
    /// `Ok` once the server accepted it and the file was deleted.
    pub result: Result<(), MailError>,
}

impl Outbox {
    /// The outbox folder `dir` of an account whose emails are authenticated under `key`.
    pub fn new(dir: PathBuf, key: SecretKey) -> Outbox {
        Outbox { dir, key }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves `message` under a new name made from `what`, sealed; returns its path.
    pub(crate) fn save(&self, what: &str, message: &[u8]) -> Result<PathBuf, MailError> {
        let dir = &self.dir;
        let fail = |e: std::io::Error| MailError::Outbox { dir: dir.clone(), reason: e.to_string() };
        crate::platform::files::create_private_dir(dir).map_err(fail)?;
        crate::platform::files::make_private_dir(dir).map_err(fail)?;
        let path = crate::platform::files::unique_path(dir, &file_name(what), &HashSet::new());
        let seal = format!("{SEAL_HEADER}: {}\r\n", tag(&self.key, message));
        crate::platform::files::write_new_file(&path, |out| {
            out.write_all(seal.as_bytes())?;
            out.write_all(message)
        })
        .map_err(fail)?;
        Ok(path)
    }

    /// The emails waiting in the folder, oldest first (whoever wrote them).
    pub fn queued(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml") && p.is_file())
            .collect();
        files.sort();
        files
    }

    /// Sends the queued emails through `smtp`, oldest first, deleting each file the server
    /// accepted. Only an email this account's program wrote (its seal is valid) and that is
    /// addressed to `to` alone (the account's address) is sent; any other file stays, and
    /// is answered with [`MailError::NotOurs`]. Stops at the first delivery failure (the
    /// server is down, or refuses): that file and the ones after it stay queued.
    pub fn send_queued(&self, to: &str, smtp: &SmtpConfig) -> Vec<Sent> {
        let mut out = Vec::new();
        for path in self.queued() {
            let io = |e: std::io::Error| MailError::Outbox { dir: self.dir.clone(), reason: e.to_string() };
            let result = std::fs::read(&path).map_err(io).and_then(|file| {
                let message = unsealed(&self.key, &file).ok_or(MailError::NotOurs)?;
                smtp.send_raw(message, to)?;
                std::fs::remove_file(&path).map_err(io)
            });
            let stop = matches!(&result, Err(e) if !matches!(e, MailError::NotOurs));
            out.push(Sent { path, result });
            if stop {
                break;
            }
        }
        out
    }

    /// After a password change: the emails `previous` (this outbox under the key of the
    /// generation before) sealed are sealed again under this outbox's key; others are left
    /// as they are. Best effort: an email that cannot be rewritten is not sent later, and
    /// says so then.
    pub fn reseal(&self, previous: &Outbox) {
        for path in self.queued() {
            let Ok(file) = std::fs::read(&path) else { continue };
            let Some(message) = unsealed(&previous.key, &file) else { continue };
            let seal = format!("{SEAL_HEADER}: {}\r\n", tag(&self.key, message));
            let _ = crate::platform::files::replace_file(&path, |out| {
                out.write_all(seal.as_bytes())?;
                out.write_all(message)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_date_account_and_content_and_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("alice"), SecretKey::random());
        let a = outbox.save(&password_email_label("alice", 3), b"one").unwrap();
        let b = outbox.save(&password_email_label("alice", 3), b"two").unwrap();
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(" - alice - 3 photos.eml"), "{name}");
        assert_eq!(name.as_bytes()[4], b'-');
        assert_ne!(a, b, "a second email in the same minute gets its own name");
        assert_eq!(
            outbox.queued(),
            [a.clone(), b].iter().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>()
        );
        let file = std::fs::read(&a).unwrap();
        assert_eq!(unsealed(&outbox.key, &file), Some(b"one".as_slice()));
        assert_eq!(unsealed(&SecretKey::random(), &file), None, "another key");
        let mut changed = file.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(unsealed(&outbox.key, &changed), None, "a changed byte");
        // A new key takes over what the old one sealed.
        let next = Outbox::new(outbox.dir.clone(), SecretKey::random());
        next.reseal(&outbox);
        assert_eq!(unsealed(&next.key, &std::fs::read(&a).unwrap()), Some(b"one".as_slice()));
        assert_eq!(unsealed(&outbox.key, &std::fs::read(&a).unwrap()), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&outbox.dir).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }
}
