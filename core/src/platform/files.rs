//! Owner-only folders, and new files written atomically: for the vault, the outbox and
//! exports.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Creates `dir` (and parents) readable by the owner only, where the platform allows.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
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
pub(crate) fn make_private_dir(dir: &Path) -> std::io::Result<()> {
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
pub(crate) const PARTIAL_PREFIX: &str = ".spg-partial-";
/// Writes a new file at `path` through `write`, atomically: the bytes go to a temporary
/// file beside it, which becomes `path` only when `write` succeeds and the data is on
/// disk. An existing `path` is never overwritten (`ErrorKind::AlreadyExists`), and on
/// any error nothing is left behind.
pub(crate) fn write_new_file<T, E: From<std::io::Error>>(
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

/// Writes `bytes` to `path`, replacing what is there (the user chose it in a save
/// dialog), readable by the owner only: a file that existed keeps no wider permissions.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `dir/name`, or `dir/stem (1).ext`, `dir/stem (2).ext`… when that is taken, on disk
/// or in `reserved` (names already given to other files of the same batch).
pub(crate) fn unique_path(dir: &Path, name: &str, reserved: &HashSet<PathBuf>) -> PathBuf {
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
