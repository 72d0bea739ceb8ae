//! The layering of docs/ARCHITECTURE.md, checked on the source: which module may use
//! which (dependencies run one way), that the screens never touch the session, the
//! database or the mail transport, and that only the command line reads the environment.
//! Each file's own unit tests (from its `#[cfg(test)]` on) are left out: tests may reach
//! across.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who may use whom (`crate::X` paths), by the top-level module a file belongs to.
const ALLOWED: &[(&str, &[&str])] = &[
    ("crypto", &[]),
    ("platform", &[]),
    ("vault", &["crypto", "platform"]),
    ("imaging", &["platform"]),
    ("mail", &["crypto", "platform"]),
    // S3-compatible storage: buckets and HTTP, nothing of vaults.
    ("remote", &[]),
    ("service", &["crypto", "vault", "imaging", "mail", "remote", "platform"]),
    ("jobs", &["service", "vault", "crypto", "imaging", "mail", "remote", "platform"]),
    // The screens: the jobs, the use cases, and model types (ids, photo infos, passwords,
    // the SMTP form's parts, the thumbnail size).
    ("ui", &["jobs", "service", "vault", "crypto", "mail", "imaging", "remote", "desktop"]),
    ("cli", &["service", "vault", "crypto", "mail", "imaging", "remote", "desktop"]),
    ("fuzzing", &["crypto", "vault", "imaging", "mail"]),
    ("lib", &[]),
    ("main", &["ui"]),
    ("desktop", &[]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code up to its unit tests.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let end = text.find("#[cfg(test)]\nmod tests").or_else(|| text.find("#[cfg(test)]\npub(crate) mod tests"));
    text[..end.unwrap_or(text.len())].to_string()
}

/// `src/vault/photos.rs` → `vault`; `src/lib.rs` → `lib`.
fn module_of(src: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Every top-level module a piece of code names as `crate::X`, as
/// `secure_photo_gallery::X` (the command line is part of the binary and uses the library
/// by its name), or as `spg_core::X` (the core crate, used by the app crate).
fn uses(code: &str) -> BTreeSet<String> {
    ["crate::", "secure_photo_gallery::", "spg_core::"]
        .iter()
        .flat_map(|prefix| code.match_indices(prefix))
        .filter(|(at, _)| !code[..*at].ends_with('$'))
        .map(|(at, m)| code[at + m.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .filter(|name: &String| !name.is_empty())
        .collect()
}

#[test]
fn dependencies_run_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for src in [root.join("src"), root.join("core/src")] {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in &files {
            let module = module_of(&src, file);
            let may = allowed.get(module.as_str()).unwrap_or_else(|| panic!("{module} has no row in ALLOWED"));
            for used in uses(&code_of(file)) {
                if used != module && !may.contains(&used.as_str()) {
                    wrong.push(format!("{} uses crate::{used}", file.strip_prefix(&src).unwrap().display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports that run the wrong way:\n{}", wrong.join("\n"));
}

#[test]
fn the_screens_touch_no_session_database_or_mail_transport() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("ui"), &mut files);
    for file in files {
        let code = code_of(&file);
        for word in ["Session", "redb::", "lettre::", "SecretKey", "MailTransport"] {
            assert!(!code.contains(word), "{} names {word}", file.display());
        }
    }
}

#[test]
fn only_the_command_line_reads_the_environment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("src"), root.join("core/src")] {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let module = module_of(&src, &file);
            if module == "cli" || module == "main" {
                continue;
            }
            let code = code_of(&file);
            assert!(!code.contains("env::var"), "{} reads the environment", file.display());
        }
    }
}

#[test]
fn the_check_sees_a_wrong_edge() {
    // The scanner itself: a vault file that named the service layer would be caught.
    assert!(uses("use crate::service::Account;\nlet x = crate::vault::PhotoId(1);").contains("service"));
    assert!(!uses("$crate::cli::output::line").contains("cli"), "a macro's own path is not a use");
    assert!(uses("use secure_photo_gallery::jobs::Jobs;").contains("jobs"), "the binary's uses count");
}
