//! Helpers for the command-line tests: a temporary vault, the binary run as a user runs
//! it, fixtures encoded on the fly (no test data needs to be checked in).
#![allow(dead_code)]

pub(crate) mod layout;
pub(crate) mod s3;
pub(crate) mod smtp;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, PoisonError};

use image::{ImageEncoder, RgbImage};
use spg_core::fuzzing::fixtures;
use spg_core::service::photo_passwords;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A temporary folder with a vault path inside it.
pub(crate) struct Env {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    /// The configuration folder (`XDG_CONFIG_HOME`) the binary runs with: what it keeps
    /// outside the vault goes there, not into the home folder.
    pub config: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault").join("vault.redb");
        Env { dir, vault, config: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the binary on this vault with `SPG_PASSWORD` set, plus `envs`.
    pub(crate) fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        self.command(args, envs).output().unwrap()
    }

    /// Starts the binary as [`Env::run`] does, its output lines readable from
    /// `stdout`, its errors discarded: for tests that kill it midway.
    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        self.command(args, &[]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap()
    }

    /// Starts the binary with its standard output and error piped (for a test that closes
    /// the output early).
    pub(crate) fn command_for_pipe(&self, args: &[&str]) -> Child {
        self.command(args, &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    fn command(&self, args: &[&str], envs: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_secure-photo-gallery"));
        cmd.arg("--vault").arg(&self.vault).args(args);
        for var in [
            "SPG_VAULT",
            "SPG_PASSWORD",
            "SPG_NEW_PASSWORD",
            "SPG_PHOTO_PASSWORD",
            "SPG_RECOVERY_KEY",
            "SPG_SMTP_URL",
            "SPG_SMTP_CA_FILE",
            "SPG_SMTP_PASSWORD",
            "SPG_S3_SECRET_KEY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("SPG_PASSWORD", PASSWORD);
        // The counters remembered outside the vault go to this test's folder, not the home's.
        cmd.env("XDG_CONFIG_HOME", self.config.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with `input` on its standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = self
            .command(args, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and asserts the exit code; returns stdout.
    pub(crate) fn ok(&self, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self.run(args, envs);
        assert_eq!(out.status.code(), Some(0), "{args:?}\nstdout: {}\nstderr: {}", stdout(&out), stderr(&out));
        stdout(&out)
    }

    /// Registers `user` and returns the recovery key words. Into a vault not yet made, this
    /// copies one registered the same way once per test binary and user name: the suite
    /// would otherwise pay registration's Argon2id over a hundred times. The copies share one
    /// vault id and one account key: a test that needs a vault of its own (another vault
    /// put in its place), and the window tests, which all remember what they saw in one
    /// configuration folder, call [`Env::register_fresh`].
    pub(crate) fn register(&self, user: &str) -> String {
        static TEMPLATES: Mutex<BTreeMap<String, (Env, String)>> = Mutex::new(BTreeMap::new());
        if self.vault.exists() {
            return self.register_fresh(user);
        }
        let mut templates = TEMPLATES.lock().unwrap_or_else(PoisonError::into_inner);
        let (template, words) = templates.entry(user.to_string()).or_insert_with(|| {
            // Kept for the whole run (a static is never dropped): under target/, not /tmp.
            let scratch = || {
                let under = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
                std::fs::create_dir_all(&under).unwrap();
                tempfile::tempdir_in(under).unwrap()
            };
            let dir = scratch();
            let template = Env { vault: dir.path().join("vault").join("vault.redb"), dir, config: scratch() };
            let words = template.register_fresh(user);
            (template, words)
        });
        copy_folder(template.vault.parent().unwrap(), self.vault.parent().unwrap());
        words.clone()
    }

    /// Registers `user` now, in a vault of its own, and returns the recovery key words.
    pub(crate) fn register_fresh(&self, user: &str) -> String {
        let out = self.ok(&["register", "--user", user, "--email", &format!("{user}@example.com")], &[]);
        let line = out.lines().find(|l| l.starts_with("Recovery key: ")).expect("a recovery key line");
        line["Recovery key: ".len()..].to_string()
    }

    pub(crate) fn outbox(&self) -> PathBuf {
        self.vault.parent().unwrap().join("outbox")
    }

    /// The outbox folder of `user` (each account has its own, named after it in lower case).
    pub(crate) fn outbox_of(&self, user: &str) -> PathBuf {
        self.outbox().join(user.to_lowercase())
    }

    /// Every email in the outbox, of every account.
    pub(crate) fn emails(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.outbox())
            .into_iter()
            .flatten()
            .flat_map(|account| std::fs::read_dir(account.unwrap().path()).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
    }

    /// Every (ID, password) in every email of the outbox.
    pub(crate) fn passwords(&self) -> Vec<(String, String)> {
        self.emails()
            .iter()
            .flat_map(|f| photo_passwords(&std::fs::read(f).unwrap()))
            .map(|(id, pw)| (id.to_string(), pw.display()))
            .collect()
    }

    pub(crate) fn password_of(&self, id: &str) -> String {
        self.passwords().into_iter().find(|(i, _)| i == id).map(|(_, p)| p).expect("a password for the ID")
    }

    /// `import` and the `imported ID PATH` lines as (ID, PATH).
    pub(crate) fn import(&self, user: &str, paths: &[&Path]) -> (Output, Vec<(String, String)>) {
        let mut args = vec!["import", "--user", user];
        let strs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        args.extend(strs.iter().map(String::as_str));
        let out = self.run(&args, &[]);
        let imported = stdout(&out)
            .lines()
            .filter_map(|l| l.strip_prefix("imported "))
            .map(|l| {
                let (id, path) = l.split_once(' ').unwrap();
                (id.to_string(), path.to_string())
            })
            .collect();
        (out, imported)
    }

    /// `export --all` of `user`'s photos into `out_dir`, opened with the password emails
    /// `emails`; asserts it succeeded.
    pub(crate) fn export_all(&self, user: &str, out_dir: &Path, emails: &[PathBuf]) {
        let mut args = vec!["export".to_string(), "--user".into(), user.into(), "--all".into(), "--out".into()];
        args.push(out_dir.display().to_string());
        for email in emails {
            args.push("--passwords-file".into());
            args.push(email.display().to_string());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&argv, &[]);
    }

    pub(crate) fn list_json(&self, user: &str) -> Vec<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(&self.ok(&["list", "--user", user, "--json"], &[]))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Starts a test server (`cmd`, a Python script of tests/) that prints `PORT <n>` once it
/// listens and serves until its standard input closes; `missing` says what to install when
/// it cannot start. Returns the process and its port.
pub(crate) fn start_server(mut cmd: Command, missing: &str) -> (Child, u16) {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect(missing);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("the test server did not start: {line:?}"))
        .parse()
        .unwrap();
    (child, port)
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A photo-like picture: smooth gradients plus deterministic noise, so its JPEG is
/// high-entropy like a real photo's.
pub(crate) fn picture(width: u32, height: u32, seed: u32) -> RgbImage {
    fixtures::picture(width, height, seed, 6)
}

pub(crate) fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&picture(width, height, seed))
        .unwrap();
    out
}

/// A JPEG with an EXIF block that records `taken` (`2024:06:15 10:30:00`) as
/// DateTimeOriginal, inserted after SOI as a camera writes it.
pub(crate) fn jpeg_taken(width: u32, height: u32, seed: u32, taken: &str) -> Vec<u8> {
    // Little-endian TIFF: IFD0 with one entry (ExifIFD pointer), Exif IFD with DateTimeOriginal.
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let exif_ifd = 8 + 2 + 12 + 4;
    let date_at = exif_ifd + 2 + 12 + 4;
    t.extend_from_slice(&1u16.to_le_bytes());
    fixtures::ifd_entry(&mut t, 0x8769, 4, 1, exif_ifd as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&1u16.to_le_bytes());
    fixtures::ifd_entry(&mut t, 0x9003, 2, 20, date_at as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(taken.as_bytes());
    t.push(0);
    fixtures::jpeg_with_segments(&jpeg(width, height, seed), &[fixtures::exif_segment(&t)])
}

pub(crate) fn png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let img = picture(width, height, seed);
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub(crate) fn gif(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(picture(width, height, seed)).into_rgba8();
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        enc.encode_frame(image::Frame::new(img.clone())).unwrap();
        enc.encode_frame(image::Frame::new(img)).unwrap();
    }
    out
}

pub(crate) fn webp(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let img = picture(width, height, seed);
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// The picture in any format the `image` crate writes (BMP, TIFF…).
pub(crate) fn encoded(width: u32, height: u32, seed: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    picture(width, height, seed).write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The first 48-byte window of any of `photos` found in `haystack`, as (photo index,
/// offset in the photo). Any 48-byte window holds a whole 24-byte block at a multiple
/// of 24, so it suffices to look for those blocks; blocks of low-entropy padding (runs
/// of zeros that any file has) are left out. A bit filter on each block's first 8
/// bytes keeps the scan fast even in a debug build.
pub(crate) fn find_leak(haystack: &[u8], photos: &[&[u8]]) -> Option<(usize, usize)> {
    use std::collections::HashMap;
    const B: usize = 24;
    const FILTER_BITS: u32 = 24;
    let bucket = |w: &[u8]| {
        let x = u64::from_le_bytes(w[..8].try_into().unwrap());
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
    };
    let mut filter = vec![0u64; (1 << FILTER_BITS) / 64];
    let mut blocks: HashMap<&[u8], (usize, usize)> = HashMap::new();
    for (p, photo) in photos.iter().enumerate() {
        for (i, block) in photo.chunks_exact(B).enumerate() {
            let mut seen = [false; 256];
            block.iter().for_each(|&b| seen[b as usize] = true);
            if seen.iter().filter(|&&d| d).count() >= 12 {
                let h = bucket(block);
                filter[h / 64] |= 1 << (h % 64);
                blocks.insert(block, (p, i * B));
            }
        }
    }
    assert!(!blocks.is_empty(), "nothing to look for");
    // A plain index loop: iterator adapters are slow in the unoptimised test build.
    let mut i = 0;
    while i + B <= haystack.len() {
        let x = u64::from_le_bytes(haystack[i..i + 8].try_into().unwrap());
        let h = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize;
        if filter[h / 64] & (1 << (h % 64)) != 0
            && let Some(found) = blocks.get(&haystack[i..i + B])
        {
            return Some(*found);
        }
        i += 1;
    }
    None
}

/// Whether `needle` occurs in `haystack` (an index loop, fast enough unoptimised).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if haystack[i] == first && &haystack[i..i + needle.len()] == needle {
            return true;
        }
        i += 1;
    }
    false
}

/// Bytes of disk a file takes (its allocated blocks; a sparse file takes less than its length).
#[cfg(unix)]
pub(crate) fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// Copies the files of folder `from`, and of its folders, into `to`.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
