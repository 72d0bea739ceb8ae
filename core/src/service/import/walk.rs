//! Turning the paths a user gave into the files to import: folders are walked
//! recursively in name order; link loops and special files are refused, never followed
//! forever or read from (a FIFO would block).

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// One path found: a regular file to import, or something refused with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// A regular file.
    File(PathBuf),
    /// Not importable, and why.
    Refused(PathBuf, String),
}

/// Expands files and folders into candidates, in a stable order.
pub fn collect_files(paths: &[PathBuf]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) => out.push(Candidate::Refused(root.clone(), describe_io(&e))),
            Ok(m) if m.is_dir() => walk_dir(root, &mut out),
            Ok(m) => out.push(classify(root, &m)),
        }
    }
    out
}

fn walk_dir(root: &Path, out: &mut Vec<Candidate>) {
    let walker = WalkDir::new(root).follow_links(true).sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) if is_hidden(e.file_name()) => {}
            Ok(e) => match e.metadata() {
                Ok(m) => out.push(classify(e.path(), &m)),
                Err(err) => out.push(Candidate::Refused(e.path().to_path_buf(), err.to_string())),
            },
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let reason = if err.loop_ancestor().is_some() {
                    "symbolic link loop; not followed".to_string()
                } else if let Some(io) = err.io_error() {
                    describe_io(io)
                } else {
                    err.to_string()
                };
                out.push(Candidate::Refused(path, reason));
            }
        }
    }
}

/// Dot files in folders are system files (`.DS_Store`, `.thumbnails`), not photos.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn classify(path: &Path, meta: &std::fs::Metadata) -> Candidate {
    if meta.is_file() {
        Candidate::File(path.to_path_buf())
    } else {
        Candidate::Refused(path.to_path_buf(), "not a regular file (a pipe, device or socket)".into())
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.raw_os_error() == Some(40) => "symbolic link loop; not followed".into(),
        _ => e.to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn folders_walk_in_order_and_loops_and_fifos_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("b.jpg"), b"b").unwrap();
        std::fs::write(root.join("a.jpg"), b"a").unwrap();
        std::fs::write(root.join("sub/c.png"), b"c").unwrap();
        std::fs::write(root.join(".DS_Store"), b"x").unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        let fifo = root.join("pipe.jpg");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());

        let found = collect_files(&[root.to_path_buf(), root.join("missing.jpg")]);
        let files: Vec<_> = found
            .iter()
            .filter_map(|c| match c {
                Candidate::File(p) => Some(p.strip_prefix(root).unwrap().to_path_buf()),
                _ => None,
            })
            .collect();
        assert_eq!(files, [PathBuf::from("a.jpg"), "b.jpg".into(), "sub/c.png".into()]);
        let refused: Vec<_> = found
            .iter()
            .filter_map(|c| match c {
                Candidate::Refused(p, why) => Some((p.clone(), why.clone())),
                _ => None,
            })
            .collect();
        assert!(
            refused.iter().any(|(p, why)| p.ends_with("pipe.jpg") && why.contains("not a regular file")),
            "{refused:?}"
        );
        assert!(refused.iter().any(|(p, why)| p.ends_with("loop") && why.contains("loop")), "{refused:?}");
        assert!(refused.iter().any(|(p, why)| p.ends_with("missing.jpg") && why.contains("no such")), "{refused:?}");
    }
}
