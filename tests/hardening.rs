//! Damage and faults: bytes changed anywhere in the vault file, an import killed at any
//! moment, a crash after an import, and a disk that fills up. Nothing may hand back wrong
//! bytes or lose a photo the vault lists.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use spg_core::crypto::PhotoPassword;
use spg_core::service::Unlock;
use spg_core::service::photo_passwords;
use spg_core::vault::{PhotoId, Vault};

/// Every (ID → password) in the outbox's emails; later emails win.
fn all_passwords(env: &Env) -> HashMap<String, PhotoPassword> {
    env.emails()
        .iter()
        .flat_map(|f| photo_passwords(&std::fs::read(f).unwrap()))
        .map(|(id, pw)| (id.to_string(), pw))
        .collect()
}

/// The names and bytes of the photos in `dir`.
fn originals(dir: &Path) -> HashMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn changed_bytes_anywhere_in_the_vault_are_harmless_or_detected_never_wrong_bytes() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    write(&src, "one.jpg", &jpeg(96, 64, 1));
    write(&src, "two.png", &png(40, 30, 2));
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(imported.len(), 2, "{}", stderr(&out));
    let originals = originals(&src);
    let passwords = all_passwords(&env);
    let pristine = std::fs::read(&env.vault).unwrap();

    // Every byte that holds data, sampled evenly (the rest of the file is redb's sparse
    // growth), plus a few zero bytes. SPG_FLIPS=N samples N bytes instead of 100 (a long
    // run: each flip opens the vault and logs in); SPG_FLIPS=all flips every one.
    let data: Vec<usize> = (0..pristine.len()).filter(|&i| pristine[i] != 0).collect();
    let samples = match std::env::var("SPG_FLIPS").as_deref() {
        Ok("all") => data.len(),
        Ok(n) => n.parse().expect("SPG_FLIPS is a number or `all`"),
        Err(_) => 100,
    };
    let step = (data.len() / samples.max(1)).max(1);
    let mut positions: Vec<usize> = data.iter().copied().step_by(step).collect();
    positions.extend((0..pristine.len()).step_by(pristine.len() / 8));
    let (mut harmless, mut detected) = (0, 0);
    for at in positions {
        let mut damaged = pristine.clone();
        damaged[at] ^= 0x5A;
        let path = env.path(&format!("flip-{at}.redb"));
        std::fs::write(&path, &damaged).unwrap();
        match check_damaged_copy(&path, &passwords, &originals) {
            Outcome::Harmless => harmless += 1,
            Outcome::Detected => detected += 1,
        }
        std::fs::remove_file(&path).unwrap();
    }
    eprintln!("byte flips: {harmless} harmless, {detected} detected");
    assert!(detected > 0, "flips in the photo data must be detected");
}

enum Outcome {
    Harmless,
    Detected,
}

/// Opens a damaged copy and checks that every photo either exports exactly or fails,
/// and that `verify` names every photo that fails.
fn check_damaged_copy(
    path: &Path,
    passwords: &HashMap<String, PhotoPassword>,
    originals: &HashMap<String, Vec<u8>>,
) -> Outcome {
    let Ok(vault) = Vault::open(path) else { return Outcome::Detected };
    let Ok(session) = vault.login("alice", PASSWORD) else { return Outcome::Detected };
    let Ok((photos, damaged_records)) = session.list() else { return Outcome::Detected };
    let Ok(report) = session.verify() else { return Outcome::Detected };
    let named: Vec<PhotoId> = report.problems.iter().map(|p| p.id).collect();
    let mut failed = damaged_records.clone();
    for photo in photos.iter() {
        let pw = &passwords[&photo.id.to_string()];
        match session.decrypt(photo.id, &Unlock::Password(pw.clone())) {
            Ok((meta, bytes)) => {
                assert_eq!(&*bytes, &originals[&meta.name], "wrong bytes handed back for {}", meta.name)
            }
            Err(_) => failed.push(photo.id),
        }
    }
    for id in &failed {
        assert!(named.contains(id), "photo {id} fails to open but verify did not name it");
    }
    if failed.is_empty() && report.problems.is_empty() && photos.len() == originals.len() {
        Outcome::Harmless
    } else {
        Outcome::Detected
    }
}

#[test]
fn an_import_killed_at_any_moment_leaves_a_vault_that_opens_verifies_and_exports() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("many");
    for i in 0..30 {
        write(&src, &format!("photo-{i:02}.jpg"), &jpeg(640, 480, 100 + i));
    }
    let originals = originals(&src);
    for delay_ms in [150, 400, 700, 1000, 1400, 2000] {
        let mut child = env.spawn(&["import", "--user", "alice", src.to_str().unwrap()]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        let verify = env.run(&["verify", "--user", "alice"], &[]);
        assert_eq!(verify.status.code(), Some(0), "after a kill at {delay_ms} ms: {}", stdout(&verify));
        assert_every_listed_photo_exports_exactly(&env, &originals, &format!("kill-{delay_ms}"));
    }
    // Importing again completes the set; nothing is lost or doubled.
    let (out, _) = env.import("alice", &[&src]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.list_json("alice").len(), 30);
    assert_every_listed_photo_exports_exactly(&env, &originals, "final");
}

/// How a [`crash_child`] writes photos before it is killed.
const CRASH_MODE: &str = "SPG_TEST_CRASH_MODE";

/// Not a test on its own: [`a_crash_after_an_import_reopens_the_vault_without_a_repair`]
/// runs this test binary again with [`CRASH_MODE`] set, so that this writes photos into
/// the vault in `SPG_VAULT`, says `crash child: written`, and waits to be killed with the vault open,
/// as the app does after an import.
#[test]
fn crash_child() {
    let Ok(mode) = std::env::var(CRASH_MODE) else { return };
    let vault = Vault::open(Path::new(&std::env::var("SPG_VAULT").unwrap())).unwrap();
    let session = vault.login("alice", PASSWORD).unwrap();
    let src = Path::new(&std::env::var("SPG_TEST_PHOTOS").unwrap()).to_path_buf();
    match mode.as_str() {
        // The app's and the command's import.
        "import" => {
            use spg_core::service::import::import_paths;
            use spg_core::service::{MailOverrides, mail_route};
            let route = mail_route(&session, &MailOverrides::default()).unwrap();
            let summary =
                import_paths(&session, &route, &[src], &std::sync::atomic::AtomicBool::new(false), &mut |_| {})
                    .unwrap();
            assert_eq!(summary.imported, 3);
        }
        // The bare writes, without the checkpoint an import ends with.
        "writes" => {
            let files: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()).collect();
            spg_core::fuzzing::fixtures::store_without_checkpoint(&session, &files);
        }
        other => panic!("unknown {CRASH_MODE} {other}"),
    }
    println!("crash child: written");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_crash_after_an_import_reopens_the_vault_without_a_repair() {
    use std::io::BufRead as _;
    for (mode, repair_expected) in [("writes", true), ("import", false)] {
        let env = Env::new();
        env.register("alice");
        let src = env.path("photos");
        for i in 0..3 {
            write(&src, &format!("p{i}.jpg"), &jpeg(320, 240, 300 + i));
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CRASH_MODE, mode)
            .env("SPG_VAULT", &env.vault)
            .env("SPG_TEST_PHOTOS", &src)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let written = lines.map_while(Result::ok).any(|line| line.ends_with("crash child: written"));
        let _ = child.kill(); // SIGKILL with the vault open, as a crash or power cut would
        child.wait().unwrap();
        assert!(written, "{mode}: the child process failed before writing");
        // A repair reads the whole file (seconds for a large vault): the command says why
        // it takes long. Without the import's checkpoint there is one; with it, none.
        let out = env.run(&["list", "--user", "alice"], &[]);
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        assert_eq!(stderr(&out).contains("was not closed properly"), repair_expected, "{mode}: {}", stderr(&out));
        assert_eq!(stdout(&out).lines().count(), 3, "{mode}: every photo written before the crash is kept");
    }
}

fn assert_every_listed_photo_exports_exactly(env: &Env, originals: &HashMap<String, Vec<u8>>, label: &str) {
    let listed = env.list_json("alice");
    if listed.is_empty() {
        return;
    }
    let out_dir = env.path(label);
    env.export_all("alice", &out_dir, &env.emails());
    for photo in &listed {
        let name = photo["name"].as_str().unwrap();
        assert_eq!(std::fs::read(out_dir.join(name)).unwrap(), originals[name], "{label}: {name}");
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_the_import_clearly_and_keeps_what_was_stored() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("big");
    for i in 0..4 {
        write(&src, &format!("big-{i}.jpg"), &jpeg(1800, 1200, 200 + i));
    }
    let before = std::fs::metadata(&env.vault).unwrap().len();
    // The file-size limit stands in for a full disk: writes past it fail with EFBIG
    // (the shell ignores SIGXFSZ, so the process sees the error instead of dying).
    let limit_blocks = (before / 1024 + 1500).to_string();
    let bin = env!("CARGO_BIN_EXE_secure-photo-gallery");
    let script = format!(r#"trap '' XFSZ; ulimit -f {limit_blocks}; exec "$0" "$@""#);
    let out = Command::new("sh")
        .args([
            "-c",
            &script,
            bin,
            "--vault",
            env.vault.to_str().unwrap(),
            "import",
            "--user",
            "alice",
            src.to_str().unwrap(),
        ])
        .env("SPG_PASSWORD", PASSWORD)
        // What this computer remembers of the vault goes where the later commands look:
        // a write that failed to commit must not be remembered (that would read as a
        // vault replaced by an older copy at the next login).
        .env("XDG_CONFIG_HOME", env.config.path())
        .output()
        .unwrap();
    let err = stderr(&out) + &stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the disk is full or a size limit was reached") && err.contains("free some space"),
        "a clear reason: {err}"
    );
    // The vault still opens and verifies; whatever it lists exports exactly.
    let verify = env.run(&["verify", "--user", "alice"], &[]);
    assert_eq!(verify.status.code(), Some(0), "{}{}", stdout(&verify), stderr(&verify));
    assert!(!stderr(&verify).contains("warning"), "{}", stderr(&verify));
    assert_every_listed_photo_exports_exactly(&env, &originals(&src), "after-full-disk");
    assert!(env.list_json("alice").len() < 4, "the limit stopped the import part way");
}

/// The test fixture AVIF (96×64: red on the left, blue on the right), as scripts/fixtures.sh made it.
fn avif_fixture() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/heif/camera.avif")).unwrap()
}

#[test]
fn an_avif_is_decoded_in_a_decoder_process_of_the_apps_binary() {
    spg_core::imaging::use_decoder_program(env!("CARGO_BIN_EXE_secure-photo-gallery").into());
    let picture = spg_core::imaging::decode_for_display(&avif_fixture(), 512).unwrap();
    assert_eq!(picture.dimensions(), (96, 64));
    let (red, blue) = (picture.get_pixel(10, 10), picture.get_pixel(85, 10));
    assert!(red[0] > 180 && red[1] < 90 && red[2] < 90, "{red:?}");
    assert!(blue[2] > 150 && blue[0] < 90, "{blue:?}");
}

#[test]
fn a_hostile_avif_is_refused_by_the_decoder_process_and_the_import_goes_on() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("avif");
    let good = avif_fixture();
    // The AV1 data after its sequence header overwritten; and the file cut in its data.
    let mut garbled = good.clone();
    let data = garbled.windows(4).position(|w| w == b"mdat").unwrap() + 4;
    garbled[data + 24..].fill(0xA5);
    write(&src, "a-garbled.avif", &garbled);
    write(&src, "b-cut.avif", &good[..good.len() - 200]);
    write(&src, "c-good.avif", &good);
    let (out, imported) = env.import("alice", &[&src]);
    // The `skipped` lines are on stdout, the rest on stderr.
    let err = stdout(&out) + &stderr(&out);
    assert_eq!(imported.len(), 1, "{err}");
    assert!(imported[0].1.ends_with("c-good.avif"), "{imported:?}");
    assert!(!err.contains("no preview"), "the good one is decoded: {err}");
    for name in ["a-garbled.avif", "b-cut.avif"] {
        let line = err.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} named: {err}"));
        assert!(line.contains("AVIF"), "{line}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn the_decoder_process_is_confined_before_it_reads_a_byte() {
    use std::io::{Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_secure-photo-gallery"))
        .args(["--decoder-process-avif", "512"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // It waits for its input: by then the filter is on.
    let proc = format!("/proc/{}", child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status = std::fs::read_to_string(format!("{proc}/status")).unwrap();
        if status.contains("Seccomp:\t2") || std::time::Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.contains("Seccomp:\t2"), "a seccomp filter: {status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    let limits = std::fs::read_to_string(format!("{proc}/limits")).unwrap();
    let limit = |name: &str| {
        limits.lines().find(|l| l.starts_with(name)).unwrap().split_whitespace().rev().nth(1).unwrap().to_string()
    };
    assert_eq!(limit("Max processes"), "0", "{limits}");
    assert_eq!(limit("Max address space"), "2147483648", "{limits}");
    assert_eq!(limit("Max cpu time"), "30", "{limits}");
    // Only its three standard descriptors are open (readable here as root or its owner).
    if let Ok(fds) = std::fs::read_dir(format!("{proc}/fd")) {
        let mut fds: Vec<String> = fds.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        fds.sort();
        assert_eq!(fds, ["0", "1", "2"]);
    }
    // Confined, it still decodes.
    child.stdin.take().unwrap().write_all(&avif_fixture()).unwrap();
    let mut answer = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut answer).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(&answer[..9], [&b"P"[..], &96u32.to_le_bytes(), &64u32.to_le_bytes()].concat());
}
