//! Small file-system helpers shared by the vault, the outbox and exports: owner-only
//! folders and files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Creates `dir` (and parents) readable by the owner only, where the platform allows.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes an existing folder usable by its owner only (Unix; a no-op elsewhere): a folder
/// made before, or by hand, may be open to others.
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// How the temporary file of [`write_new_file`] is named, until it becomes the file.
const PARTIAL_PREFIX: &str = ".spg-partial-";
/// The file in the state folder that lists the folders written into by [`write_new_file`]
/// for exports, so that a crash's leftovers there can be found at the next start.
const JOURNAL: &str = "export-folders";
/// A temporary file older than this is a crash's leftover, not a write under way.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Notes in `state_dir` that photos are being written into `dir` (once per folder), so
/// that [`remove_leftovers`] looks there after a crash.
pub fn note_export_folder(state_dir: &Path, dir: &Path) {
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
/// behind: the plaintext temporary files of [`write_new_file`], in the folders of the
/// journal in `state_dir` and in `also` (the outbox). Files younger than an hour are left
/// alone, as another export may be writing them. Returns the files removed.
pub fn remove_leftovers(state_dir: &Path, also: &[&Path]) -> Vec<PathBuf> {
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

/// Writes a new file at `path` through `write`, atomically: the bytes go to a temporary
/// file beside it, which becomes `path` only when `write` succeeds and the data is on
/// disk. An existing `path` is never overwritten (`ErrorKind::AlreadyExists`), and on
/// any error nothing is left behind.
pub fn write_new_file<T, E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T, E>,
) -> Result<T, E> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.exists() {
        return Err(already_exists(path).into());
    }
    let mut temp = tempfile::Builder::new().prefix(PARTIAL_PREFIX).tempfile_in(dir)?;
    let value = {
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        let value = write(&mut out)?;
        out.flush()?;
        value
    };
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists { already_exists(path) } else { e.error }
    })?;
    Ok(value)
}

fn already_exists(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} already exists; choose another name or remove it first", path.display()),
    )
}

/// `dir/name`, or `dir/stem (1).ext`, `dir/stem (2).ext`… when that is taken, on disk
/// or in `reserved` (names already given to other files of the same batch).
pub fn unique_path(dir: &Path, name: &str, reserved: &HashSet<PathBuf>) -> PathBuf {
    let free = |p: &PathBuf| !p.exists() && !reserved.contains(p);
    let first = dir.join(name);
    if free(&first) {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (1..).map(|n| dir.join(format!("{stem} ({n}){ext}"))).find(free).expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_are_atomic_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jpg");
        write_new_file(&target, |w| w.write_all(b"first")).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        let err = write_new_file(&target, |w| w.write_all(b"second")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"first");

        let failed = dir.path().join("b.jpg");
        let err = write_new_file(&failed, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(std::io::Error::other("authentication failed"))
        });
        assert!(err.is_err());
        assert!(!failed.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }

    #[test]
    fn clashing_names_get_a_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let none = HashSet::new();
        assert_eq!(unique_path(dir.path(), "a.jpg", &none), dir.path().join("a.jpg"));
        std::fs::write(dir.path().join("a.jpg"), b"").unwrap();
        std::fs::write(dir.path().join("a (1).jpg"), b"").unwrap();
        assert_eq!(unique_path(dir.path(), "a.jpg", &none), dir.path().join("a (2).jpg"));
        let reserved = HashSet::from([dir.path().join("a (2).jpg")]);
        assert_eq!(unique_path(dir.path(), "a.jpg", &reserved), dir.path().join("a (3).jpg"));
        std::fs::write(dir.path().join(".hidden"), b"").unwrap();
        assert_eq!(unique_path(dir.path(), ".hidden", &none), dir.path().join(".hidden (1)"));
    }
}
