//! The outbox: password emails kept as `.eml` files in a folder beside the vault (one
//! folder per account) while an account has no SMTP server, until they can be sent.
//!
//! Each file is written owner-only (0600) from its first byte, in a folder that is made
//! owner-only (0700) even when it already existed, and is named by date, account and
//! content (`2026-11-30 14.05 UTC - alice - 31 photos.eml`) so that a person can tell which
//! email holds which photos. The account keeps, sealed in its profile, a digest of every
//! email the program left here ([`digest`]): once an SMTP server is set up,
//! [`Outbox::send_queued`] sends only those files (to the account's own address) and
//! deletes each one the server accepted. Anything else in the folder is left where it is
//! and named: an outbox is where the program's own emails wait, not a way for whoever can
//! write the folder to send mail through the owner's server.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{MailError, SmtpConfig};

/// The digest of an email file as the program wrote it (BLAKE3 of its bytes): what the
/// account keeps of the emails it may send from the outbox.
pub(crate) fn digest(file: &[u8]) -> [u8; 32] {
    *blake3::hash(file).as_bytes()
}

/// An account's outbox folder.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
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
    /// `Ok` with its digest once the server accepted it and the file was deleted.
    pub result: Result<[u8; 32], MailError>,
}

impl Outbox {
    /// The outbox folder `dir` of an account.
    pub fn new(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves `message` under a new name made from `what`; returns its path and digest.
    pub(crate) fn save(&self, what: &str, message: &[u8]) -> Result<(PathBuf, [u8; 32]), MailError> {
        let dir = &self.dir;
        let fail = |e: std::io::Error| MailError::Outbox { dir: dir.clone(), reason: e.to_string() };
        crate::platform::files::create_private_dir(dir).map_err(fail)?;
        crate::platform::files::make_private_dir(dir).map_err(fail)?;
        let path = crate::platform::files::unique_path(dir, &file_name(what), &HashSet::new());
        crate::platform::files::write_new_file(&path, |out| out.write_all(message)).map_err(fail)?;
        Ok((path, digest(message)))
    }

    /// The emails waiting in the folder, oldest first (whoever wrote them).
    pub fn queued(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.emails().collect();
        files.sort();
        files
    }

    /// How many emails wait in the folder: [`Outbox::queued`]'s length, without sorting
    /// their names (an import asks after each batch, and a million photos leave 2,000).
    pub fn count(&self) -> usize {
        self.emails().count()
    }

    /// The emails in the folder, in no order.
    fn emails(&self) -> impl Iterator<Item = PathBuf> {
        std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml") && p.is_file())
    }

    /// The digests of the emails in the folder now (files over 8 MB, which the program
    /// never writes, are left out unread).
    pub fn digests(&self) -> Vec<[u8; 32]> {
        const LARGEST: u64 = 8 * 1024 * 1024;
        let small = |p: &PathBuf| std::fs::metadata(p).is_ok_and(|m| m.len() <= LARGEST);
        self.queued().iter().filter(|p| small(p)).filter_map(|p| std::fs::read(p).ok()).map(|f| digest(&f)).collect()
    }

    /// Sends the queued emails through `smtp`, oldest first, deleting each file the server
    /// accepted. Only an email the program wrote for this account (its digest is one of
    /// `ours`) is sent, to `to` (the account's address) alone, from `from` (the account's
    /// sender); any other file stays, answered with [`MailError::NotOurs`]. Stops at the
    /// first delivery failure (the server is down, or refuses): that file and the ones
    /// after it stay queued.
    pub fn send_queued(&self, ours: &[[u8; 32]], from: &str, to: &str, smtp: &SmtpConfig) -> Vec<Sent> {
        let mut out = Vec::new();
        for path in self.queued() {
            let io = |e: std::io::Error| MailError::Outbox { dir: self.dir.clone(), reason: e.to_string() };
            let result = std::fs::read(&path).map_err(io).and_then(|file| {
                let digest = digest(&file);
                if !ours.contains(&digest) {
                    return Err(MailError::NotOurs);
                }
                smtp.send_raw(&file, from, to)?;
                std::fs::remove_file(&path).map_err(io)?;
                Ok(digest)
            });
            let stop = matches!(&result, Err(e) if !matches!(e, MailError::NotOurs));
            out.push(Sent { path, result });
            if stop {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_date_account_and_content_and_their_digests_kept() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("alice"));
        let (a, digest_a) = outbox.save(&password_email_label("alice", 3), b"one").unwrap();
        let (b, _) = outbox.save(&password_email_label("alice", 3), b"two").unwrap();
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(" - alice - 3 photos.eml"), "{name}");
        assert_eq!(name.as_bytes()[4], b'-');
        assert_ne!(a, b, "a second email in the same minute gets its own name");
        let mut both = vec![a.clone(), b];
        both.sort();
        assert_eq!(outbox.queued(), both);
        assert_eq!(outbox.count(), 2);
        assert_eq!(digest_a, digest(&std::fs::read(&a).unwrap()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&outbox.dir).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }
}
