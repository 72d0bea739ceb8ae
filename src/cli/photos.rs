//! `import`, `list`, `delete` and `verify`.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use serde::Serialize;

use spg_core::service::import::{ImportEvent, import_paths};
use spg_core::service::mail_route;
use spg_core::vault::{Catalog, PhotoId, PhotoRef, Vault, VerifyReport};

use super::account::login;

pub(super) fn import(
    vault: &Vault,
    user: &str,
    paths: &[PathBuf],
    verbose: bool,
    album: Option<&str>,
) -> anyhow::Result<ExitCode> {
    // A name that cannot be an album's is said before anything is imported.
    let album = album.map(spg_core::vault::album_name).transpose()?;
    let session = login(vault, user)?;
    let route = mail_route(&session, &super::mail::overrides_from_env())?;
    if route.is_outbox() {
        eprintln!(
            "No SMTP server is set up for {user}: the password email goes to the outbox folder {} \
             (run `mail --user {user} --smtp-url URL` to send real email).",
            session.outbox_dir().display()
        );
    }
    let never = AtomicBool::new(false);
    let mut imported = Vec::new();
    let summary = import_paths(&session, &route, paths, &never, &mut |event| match event {
        ImportEvent::Imported { id, path, no_preview } => {
            imported.push(id);
            say!("imported {id} {}", path.display());
            if let Some(what) = no_preview {
                eprintln!("{}: no preview ({what}): stored as it is, and exports exactly", path.display());
            }
        }
        ImportEvent::Skipped(path, reason) => {
            // With --verbose, the decoder's own words on the same line, on one line.
            match reason.detail().filter(|_| verbose) {
                Some(detail) => {
                    let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
                    say!("skipped {}: {reason} (the decoder said: {detail})", path.display());
                }
                None => say!("skipped {}: {reason}", path.display()),
            }
        }
        ImportEvent::Mailed(whither) => eprintln!("Password email {whither}"),
        ImportEvent::Found(_) | ImportEvent::Analysed { .. } => {}
    })?;
    if let Some(album) = &album {
        // One transaction for every photo of the import (a photo already in the vault, a
        // duplicate, is not added: it was not imported).
        let added = session.add_to_album(album, &imported, true)?;
        say!("added {added} photo(s) to album {album}");
    }
    if summary.failed > 0 {
        eprintln!(
            "{} file(s) could not be imported (see the `skipped` lines); fix or remove them and import again",
            summary.failed
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One photo in `list --json`.
#[derive(Serialize)]
struct ListEntry<'a> {
    id: String,
    name: &'a str,
    bytes: u64,
    width: u32,
    height: u32,
    mime: &'a str,
    taken_at: Option<&'a str>,
    imported_at: String,
    camera: Option<&'a str>,
}

impl<'a> From<PhotoRef<'a>> for ListEntry<'a> {
    fn from(p: PhotoRef<'a>) -> Self {
        ListEntry {
            id: p.id.to_string(),
            name: p.name,
            bytes: p.bytes,
            width: p.width,
            height: p.height,
            mime: p.mime,
            taken_at: p.taken_at,
            imported_at: super::output::rfc3339(p.imported_at),
            camera: p.camera,
        }
    }
}

/// Every photo of a list as `list --json` writes it.
struct ListEntries<'a>(&'a Catalog);

impl Serialize for ListEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ListEntry::from))
    }
}

pub(super) fn list(vault: &Vault, user: &str, json: bool, album: Option<&str>) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let (photos, damaged) = match album {
        Some(album) => session.list_album(album)?,
        None => session.list()?,
    };
    super::account::warn_of_photo_changes(&session);
    super::output::block(|out| {
        if json {
            // Each entry is made as it is written: no list of a million entries.
            let entries = ListEntries(&photos);
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            return out.write_all(b"\n");
        }
        for p in photos.iter() {
            let taken = p.taken_at.unwrap_or("-");
            writeln!(
                out,
                "{}\t{}\t{}\t{}x{}\t{}",
                p.id,
                p.name.replace(['\t', '\n'], " "),
                p.bytes,
                p.width,
                p.height,
                taken
            )?;
        }
        Ok(())
    });
    if !damaged.is_empty() {
        let ids: Vec<String> = damaged.iter().map(PhotoId::to_string).collect();
        eprintln!("{} photo record(s) could not be read ({}); run `verify` for details", damaged.len(), ids.join(", "));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The photo IDs given as `--id` values; `-` reads IDs from standard input (white space
/// between them). Every ID is checked before anything is done.
pub(super) fn read_ids(given: &[String]) -> anyhow::Result<Vec<PhotoId>> {
    let mut words = Vec::new();
    for id in given {
        if id == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("cannot read IDs from standard input")?;
            words.extend(text.split_whitespace().map(str::to_string));
        } else {
            words.push(id.clone());
        }
    }
    Ok(words.iter().map(|word| word.parse()).collect::<Result<Vec<PhotoId>, _>>()?)
}

/// Deletes every photo named, with one login, in one transaction; a photo that cannot be
/// deleted is said, and the others go on.
pub(super) fn delete(vault: &Vault, user: &str, given: &[String]) -> anyhow::Result<ExitCode> {
    let ids = read_ids(given)?;
    let session = login(vault, user)?;
    let mut failed = 0;
    // One transaction for all (the same ID twice is deleted once, not refused the second time).
    for (id, result) in session.delete_many(&ids)? {
        match result {
            Ok(meta) => say!("deleted {id} {}", meta.name),
            Err(e) => {
                say!("failed {id}: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} photo(s) were not deleted (see the `failed` lines)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn compact(vault: &mut Vault) -> anyhow::Result<ExitCode> {
    let (before, after) = vault.compact()?;
    let mb = |b: u64| b as f64 / 1e6;
    say!("compacted {}: {:.1} MB -> {:.1} MB", vault.path().display(), mb(before), mb(after));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn verify(vault: &Vault, user: &str, accept_this_copy: bool) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    // Minutes at a million photos: the count so far on stderr when it is a terminal.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = session.verify_reporting(|checked, of| {
        if terminal {
            eprint!("\rchecked {checked} of {of} photos…");
        }
        ControlFlow::Continue(())
    })?;
    if terminal {
        eprint!("\r{:50}\r", "");
    }
    // The command line never stops it: always a report.
    let VerifyReport { checked: total, problems, albums } = report.unwrap_or_default();
    // An older or forked copy of the vault is intact in itself: the login said so on
    // stderr, and verify fails on it, unless the owner accepts this copy.
    let mut replaced = session.rollback().is_some();
    if replaced && accept_this_copy {
        session.accept_this_copy();
        eprintln!("This copy of the vault is now the one this computer knows.");
        replaced = false;
    }
    if problems.is_empty() && albums.is_empty() && !replaced {
        say!("verified {total} photos: all intact");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        say!("damaged {} {}: {}", p.id, p.name.as_deref().unwrap_or("(name unreadable)"), p.problem);
    }
    for album in &albums {
        say!("damaged {album}");
    }
    if replaced {
        eprintln!("the vault file is not the one last opened on this computer (see the warning above)");
    }
    if !problems.is_empty() || !albums.is_empty() {
        eprintln!(
            "{} problem(s) in {total} photos and their albums; export the intact photos and restore the vault file from a backup",
            problems.len() + albums.len()
        );
    }
    Ok(ExitCode::FAILURE)
}
