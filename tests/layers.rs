//! What the compiler does not keep of docs/ARCHITECTURE.md, checked on the source. The
//! crates keep the big line: the app (`src/`) reaches the core (`core/src/`) only through
//! its public API, and the core has no GUI in its tree. Inside each crate, modules may still
//! name each other freely; these tests keep dependencies running one way there, and keep
//! the environment to the command line. Each file's own unit tests (from its
//! `#[cfg(test)]` on) are left out: tests may reach across.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who may use whom inside the core (`crate::X` paths), by top-level module.
const CORE: &[(&str, &[&str])] = &[
    ("crypto", &[]),
    ("platform", &[]),
    // `remote` only for the stored backup place (`remote::Location`), one struct for both.
    ("vault", &["crypto", "platform", "remote"]),
    ("imaging", &["platform"]),
    ("mail", &["crypto", "platform"]),
    // S3-compatible storage: buckets and HTTP, nothing of vaults (its secret key is a
    // crypto::Secret).
    ("remote", &["crypto"]),
    ("service", &["crypto", "vault", "imaging", "mail", "remote", "platform"]),
    ("fuzzing", &["crypto", "vault", "imaging", "mail", "service"]),
    ("lib", &["platform"]),
];

/// Who may use whom inside the app (`crate::X` and `secure_photo_gallery::X` paths).
const APP: &[(&str, &[&str])] = &[
    ("desktop", &[]),
    // The worker threads know no screen.
    ("jobs", &[]),
    ("ui", &["jobs", "desktop"]),
    // The command line is part of the binary; it knows no screen and no worker thread.
    ("cli", &["desktop"]),
    ("lib", &[]),
    ("main", &["ui"]),
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
    // `mod tests {` exactly: `pub(crate) mod tests_support` holds code, not tests.
    let end = text.find("#[cfg(test)]\nmod tests {").or_else(|| text.find("#[cfg(test)]\npub(crate) mod tests {"));
    text[..end.unwrap_or(text.len())].to_string()
}

/// `core/src/vault/photos/read.rs` → `vault`; `core/src/lib.rs` → `lib`.
fn module_of(src: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Every top-level module a piece of code names as `crate::X` or as
/// `secure_photo_gallery::X` (the command line uses the app's library by its name).
fn uses(code: &str) -> BTreeSet<String> {
    ["crate::", "secure_photo_gallery::"]
        .iter()
        .flat_map(|prefix| code.match_indices(prefix))
        .filter(|(at, _)| !code[..*at].ends_with('$'))
        .map(|(at, m)| code[at + m.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .filter(|name: &String| !name.is_empty())
        .collect()
}

/// The imports of `src` that `rules` do not allow.
fn wrong_edges(src: &Path, rules: &[(&str, &[&str])]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = rules.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(src, file);
        let may = allowed.get(module.as_str()).unwrap_or_else(|| panic!("{module} has no row in the rules"));
        for used in uses(&code_of(file)) {
            if used != module && !may.contains(&used.as_str()) {
                wrong.push(format!("{} uses crate::{used}", file.strip_prefix(src).unwrap().display()));
            }
        }
    }
    wrong
}

#[test]
fn dependencies_run_one_way_in_each_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = wrong_edges(&root.join("core/src"), CORE);
    wrong.extend(wrong_edges(&root.join("src"), APP));
    assert!(wrong.is_empty(), "imports that run the wrong way:\n{}", wrong.join("\n"));
}

#[test]
fn only_the_command_line_reads_the_environment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("src"), root.join("core/src")] {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let module = module_of(&src, &file);
            if src.ends_with("src") && !src.ends_with("core/src") && (module == "cli" || module == "main") {
                continue;
            }
            assert!(!code_of(&file).contains("env::var"), "{} reads the environment", file.display());
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
