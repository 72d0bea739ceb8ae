//! `album`: an account's albums, by name.

use std::process::ExitCode;

use serde::Serialize;

use spg_core::service::album_summaries;
use spg_core::vault::{PhotoId, Vault};

use super::AlbumAction;
use super::account::login;
use super::photos::read_ids;

/// One album in `album list --json`.
#[derive(Serialize)]
struct AlbumEntry<'a> {
    name: &'a str,
    photos: usize,
    cover: Option<String>,
}

pub(super) fn album(vault: &Vault, action: AlbumAction) -> anyhow::Result<ExitCode> {
    match action {
        AlbumAction::List { user, json } => list(vault, &user, json),
        AlbumAction::Create { user, name } => {
            login(vault, &user)?.create_album(&name)?;
            say!("created album {}", name.trim());
            Ok(ExitCode::SUCCESS)
        }
        AlbumAction::Rename { user, name, new_name } => {
            login(vault, &user)?.rename_album(&name, &new_name)?;
            say!("renamed album {} to {}", name.trim(), new_name.trim());
            Ok(ExitCode::SUCCESS)
        }
        AlbumAction::Delete { user, name } => {
            login(vault, &user)?.delete_album(&name)?;
            say!("deleted album {} (its photos stay in the vault)", name.trim());
            Ok(ExitCode::SUCCESS)
        }
        AlbumAction::Add { user, name, ids } => {
            let ids = read_ids(&ids)?;
            let added = login(vault, &user)?.add_to_album(&name, &ids, false)?;
            say!("added {added} photo(s) to album {} ({} already in it)", name.trim(), count(&ids) - added);
            Ok(ExitCode::SUCCESS)
        }
        AlbumAction::Remove { user, name, ids } => {
            let ids = read_ids(&ids)?;
            let removed = login(vault, &user)?.remove_from_album(&name, &ids)?;
            say!("removed {removed} photo(s) from album {} (they stay in the vault)", name.trim());
            if removed < count(&ids) {
                eprintln!("{} of the photos given were not in the album", count(&ids) - removed);
            }
            Ok(ExitCode::SUCCESS)
        }
        AlbumAction::Cover { user, name, id } => {
            let id: PhotoId = id.parse()?;
            login(vault, &user)?.set_album_cover(&name, id)?;
            say!("album {} is shown by {id}", name.trim());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// How many distinct photos `ids` names.
fn count(ids: &[PhotoId]) -> usize {
    ids.iter().collect::<std::collections::BTreeSet<_>>().len()
}

fn list(vault: &Vault, user: &str, json: bool) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let albums = session.albums()?;
    let (photos, _) = session.list()?;
    let held: std::collections::BTreeSet<PhotoId> = photos.iter().map(|p| p.id).collect();
    let summaries = album_summaries(&albums, |id| held.contains(&id));
    super::output::block(|out| {
        if json {
            let entries: Vec<AlbumEntry<'_>> = summaries
                .iter()
                .map(|s| AlbumEntry { name: &s.name, photos: s.count, cover: s.cover.map(|c| c.to_string()) })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            return out.write_all(b"\n");
        }
        for s in &summaries {
            let cover = s.cover.map_or_else(|| "-".to_string(), |c| c.to_string());
            writeln!(out, "{}\t{}\t{cover}", s.name.replace(['\t', '\n'], " "), s.count)?;
        }
        Ok(())
    });
    for problem in &albums.problems {
        eprintln!("{problem}; run `verify` for details");
    }
    Ok(if albums.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
