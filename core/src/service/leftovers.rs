//! A crash's leftovers: the plaintext temporary files an export or an outbox write was
//! making when the program was killed. Export folders are noted in a journal in the state
//! folder, so that the next start finds and removes what was left in them.

use std::path::{Path, PathBuf};

use crate::platform::files::{PARTIAL_PREFIX, create_private_dir};

/// The file in the state folder that lists the folders written into by [`write_new_file`](crate::platform::files::write_new_file)
/// for exports, so that a crash's leftovers there can be found at the next start.
const JOURNAL: &str = "export-folders";
/// A temporary file older than this is a crash's leftover, not a write under way.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Notes in `state_dir` that photos are being written into `dir` (once per folder), so
/// that [`remove_leftovers`] looks there after a crash.
pub(crate) fn note_export_folder(state_dir: &Path, dir: &Path) {
    let journal = state_dir.join(JOURNAL);
    let line = dir.display().to_string();
    let listed = std::fs::read_to_string(&journal).unwrap_or_default();
    if listed.lines().any(|l| l == line) || line.contains('\n') {
        return;
    }
    // Best effort: the export itself must not fail for want of a journal line.
    let _ = create_private_dir(state_dir).and_then(|()| {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&journal)?;
        writeln!(file, "{line}")
    });
}

/// Removes what a crash (a kill or power cut during an export or an outbox write) left
/// behind: the plaintext temporary files of [`write_new_file`](crate::platform::files::write_new_file), in the folders of the
/// journal in `state_dir` and in `also` (the outbox). Files younger than an hour are left
/// alone, as another export may be writing them. Returns the files removed.
pub(crate) fn remove_leftovers(state_dir: &Path, also: &[&Path]) -> Vec<PathBuf> {
    let journal = state_dir.join(JOURNAL);
    let listed = std::fs::read_to_string(&journal).unwrap_or_default();
    let folders = listed.lines().map(PathBuf::from).chain(also.iter().map(|p| p.to_path_buf()));
    let (mut removed, mut still) = (Vec::new(), String::new());
    for dir in folders {
        let mut left = false;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if !entry.file_name().to_string_lossy().starts_with(PARTIAL_PREFIX) {
                continue;
            }
            let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a >= LEFTOVER_AGE) && std::fs::remove_file(entry.path()).is_ok() {
                removed.push(entry.path());
            } else {
                left = true;
            }
        }
        if left && listed.lines().any(|l| Path::new(l) == dir) {
            still.push_str(&format!("{}\n", dir.display()));
        }
    }
    // Folders with nothing left are forgotten; the others are looked at again next time.
    if still.is_empty() {
        let _ = std::fs::remove_file(&journal);
    } else if still != listed {
        let _ = std::fs::write(&journal, still);
    }
    removed
}
