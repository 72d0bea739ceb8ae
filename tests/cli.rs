//! The command line, run as a user runs it, on image files encoded by the tests.

mod common;

use common::*;
use spg_core::vault::Vault;

#[test]
fn register_prints_the_recovery_key_once_and_names_are_unique() {
    let env = Env::new();
    let words = env.register("alice");
    assert_eq!(words.split(' ').count(), 24);
    let again = env.run(&["register", "--user", "ALICE", "--email", "a2@example.com"], &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already taken"), "{}", stderr(&again));
    let bad = env.run(&["register", "--user", "carol", "--email", "not-an-address"], &[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("not a valid email address"));
    let short = env.run(&["register", "--user", "dave", "--email", "d@example.com"], &[("SPG_PASSWORD", "short")]);
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 8 characters"));
    // Long enough but guessable: the same rule as the app's, with the reason and a hint.
    for weak in ["password", "d@example.com1"] {
        let out = env.run(&["register", "--user", "dave", "--email", "d@example.com"], &[("SPG_PASSWORD", weak)]);
        assert_eq!(out.status.code(), Some(1), "{weak}");
        assert!(stderr(&out).contains("too easy to guess"), "{weak}: {}", stderr(&out));
    }
}

#[test]
fn bad_usage_exits_2() {
    let env = Env::new();
    assert_eq!(env.run(&["export", "--user", "a", "--out", "x"], &[]).status.code(), Some(2));
    assert_eq!(env.run(&["frobnicate"], &[]).status.code(), Some(2));
}

#[test]
fn import_list_and_export_round_trip_every_format() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("photos");
    let files = [
        write(&src, "beach.jpg", &jpeg(640, 480, 1)),
        write(&src, "diagram.png", &png(300, 200, 2)),
        write(&src, "loop.gif", &gif(64, 48, 3)),
        write(&src, "flower.webp", &webp(120, 90, 4)),
        write(&src, "old-scan.bmp", &encoded(100, 80, 5, image::ImageFormat::Bmp)),
        write(&src, "archive.tiff", &encoded(90, 120, 6, image::ImageFormat::Tiff)),
    ];
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(imported.len(), 6, "{}", stdout(&out));
    assert!(stderr(&out).contains("outbox"), "the outbox is said plainly: {}", stderr(&out));

    // One email, a distinct password per ID.
    assert_eq!(env.emails().len(), 1);
    let passwords = env.passwords();
    assert_eq!(passwords.len(), 6);
    let mut distinct: Vec<&String> = passwords.iter().map(|(_, p)| p).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6);

    let listed = env.list_json("alice");
    assert_eq!(listed.len(), 6);
    let beach = listed.iter().find(|p| p["name"] == "beach.jpg").unwrap();
    assert_eq!((beach["width"].as_u64(), beach["height"].as_u64()), (Some(640), Some(480)));
    assert_eq!(beach["mime"], "image/jpeg");
    assert_eq!(beach["bytes"].as_u64().unwrap(), std::fs::metadata(&files[0]).unwrap().len());
    assert!(beach["taken_at"].is_null());
    assert!(beach["imported_at"].as_str().unwrap().ends_with('Z'));
    let mimes: Vec<&str> = listed.iter().map(|p| p["mime"].as_str().unwrap()).collect();
    for mime in ["image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"] {
        assert!(mimes.contains(&mime), "{mime} in {mimes:?}");
    }
    let text = env.ok(&["list", "--user", "alice"], &[]);
    assert_eq!(text.lines().count(), 6);
    assert!(text.lines().all(|l| l.split('\t').count() == 5), "{text}");

    for (id, path) in &imported {
        let out_file = env.path(&format!("out-{id}"));
        env.ok(
            &["export", "--user", "alice", "--id", id, "--out", out_file.to_str().unwrap()],
            &[("SPG_PHOTO_PASSWORD", &env.password_of(id).to_lowercase().replace('-', ""))],
        );
        assert_eq!(std::fs::read(&out_file).unwrap(), std::fs::read(path).unwrap(), "{path}");
        let thumb = env.path(&format!("thumb-{id}.jpg"));
        env.ok(&["export", "--user", "alice", "--id", id, "--thumbnail", "--out", thumb.to_str().unwrap()], &[]);
        let t = image::open(&thumb).unwrap();
        assert!(t.width().max(t.height()) <= 512);
    }
}

#[test]
fn wrong_secrets_and_other_accounts_fail_clearly_and_write_nothing() {
    let env = Env::new();
    env.register("alice");
    env.register("bob");
    let src = env.path("p");
    write(&src, "a.jpg", &jpeg(200, 100, 5));
    write(&src, "b.jpg", &jpeg(200, 100, 6));
    let (_, imported) = env.import("alice", &[&src]);
    let (a, b) = (&imported[0].0, &imported[1].0);
    let (pa, pb) = (env.password_of(a), env.password_of(b));
    let target = env.path("out.jpg");
    let t = target.to_str().unwrap();
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 5] = [
        ("alice", vec![("SPG_PHOTO_PASSWORD", "AAAAA-AAAAA-AAAAA-AAAAA")], "that is not its password"),
        ("alice", vec![("SPG_PHOTO_PASSWORD", &pb)], "that is not its password"),
        (
            "alice",
            vec![("SPG_PHOTO_PASSWORD", &pa), ("SPG_PASSWORD", "not the password")],
            "wrong user name or password",
        ),
        ("mallory", vec![("SPG_PHOTO_PASSWORD", &pa)], "wrong user name or password"),
        ("bob", vec![("SPG_PHOTO_PASSWORD", &pa)], "no photo"),
    ];
    for (user, envs, message) in cases {
        let out = env.run(&["export", "--user", user, "--id", a, "--out", t], &envs);
        assert_eq!(out.status.code(), Some(1), "{user} {envs:?}");
        assert!(stderr(&out).contains(message), "{user}: {}", stderr(&out));
        assert!(!target.exists(), "{user} {envs:?} wrote a file");
    }
    assert_eq!(std::fs::read_dir(env.dir.path()).unwrap().count(), 2, "no stray temporary files");
    // The right password works, and an existing file is never overwritten.
    env.ok(&["export", "--user", "alice", "--id", a, "--out", t], &[("SPG_PHOTO_PASSWORD", &pa)]);
    let again = env.run(&["export", "--user", "alice", "--id", a, "--out", t], &[("SPG_PHOTO_PASSWORD", &pa)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists"));
}

#[test]
fn the_vault_file_holds_no_photo_bytes_and_no_names() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    let photos =
        [write(&src, "holiday-in-lisbon.jpg", &jpeg(800, 600, 7)), write(&src, "passport-scan.png", &png(200, 150, 8))];
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(imported.len(), 2, "{}", stderr(&out));
    let vault = std::fs::read(&env.vault).unwrap();
    let contents: Vec<Vec<u8>> = photos.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let refs: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
    assert_eq!(find_leak(&vault, &refs), None);
    // The check itself finds a window when there is one.
    let mut planted = vault.clone();
    planted.extend_from_slice(&contents[0][1000..1048]);
    assert!(find_leak(&planted, &refs).is_some());
    for name in ["holiday-in-lisbon", "passport-scan", "alice@example.com"] {
        assert!(!contains(&vault, name.as_bytes()), "{name} is readable in the vault");
    }
}

#[test]
fn passwd_and_recover_keep_photos_openable() {
    let env = Env::new();
    let words = env.register("alice");
    let src = env.path("p");
    let photo = write(&src, "x.jpg", &jpeg(300, 200, 9));
    let (_, imported) = env.import("alice", &[&src]);
    let id = imported[0].0.clone();
    let pw = env.password_of(&id);

    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", "a brand new password")]);
    let old = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(old.status.code(), Some(1), "the old password no longer works");
    let new = [("SPG_PASSWORD", "a brand new password"), ("SPG_PHOTO_PASSWORD", pw.as_str())];
    let out1 = env.path("after-passwd.jpg");
    env.ok(&["export", "--user", "alice", "--id", &id, "--out", out1.to_str().unwrap()], &new);
    assert_eq!(std::fs::read(&out1).unwrap(), std::fs::read(&photo).unwrap());

    let bad = env.run(
        &["recover", "--user", "alice"],
        &[("SPG_RECOVERY_KEY", "abandon ability able"), ("SPG_NEW_PASSWORD", "x".repeat(12).as_str())],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("24 words"));
    env.ok(
        &["recover", "--user", "alice"],
        &[("SPG_RECOVERY_KEY", &words), ("SPG_NEW_PASSWORD", "recovered password of alice")],
    );
    let recovered = [("SPG_PASSWORD", "recovered password of alice"), ("SPG_PHOTO_PASSWORD", pw.as_str())];
    let out2 = env.path("after-recover.jpg");
    env.ok(&["export", "--user", "alice", "--id", &id, "--out", out2.to_str().unwrap()], &recovered);
    assert_eq!(std::fs::read(&out2).unwrap(), std::fs::read(&photo).unwrap());

    // Break glass: the recovery key alone opens every photo.
    let dir = env.path("all");
    let out = env.ok(
        &["export", "--user", "alice", "--all", "--use-recovery-key", "--out", dir.to_str().unwrap()],
        &[("SPG_RECOVERY_KEY", &words), ("SPG_PASSWORD", "wrong on purpose")],
    );
    assert!(out.contains("exported"), "{out}");
    assert_eq!(std::fs::read(dir.join("x.jpg")).unwrap(), std::fs::read(&photo).unwrap());
}

#[test]
fn broken_files_are_refused_with_reasons_and_the_rest_go_on() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("mixed");
    let good = jpeg(320, 240, 10);
    write(&src, "good.jpg", &good);
    write(&src, "empty.jpg", b"");
    write(&src, "notes.jpg", b"this is a text file, not a photo");
    write(&src, "cut.jpg", &good[..good.len() / 2]);
    let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
    fake_png.extend((0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8));
    write(&src, "random.png", &fake_png);
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(imported.len(), 1, "{text}");
    assert!(imported[0].1.ends_with("good.jpg"));
    for name in ["empty.jpg", "notes.jpg", "cut.jpg", "random.png"] {
        assert!(text.lines().any(|l| l.starts_with("skipped") && l.contains(name)), "{name}: {text}");
    }
    assert_eq!(text.lines().count(), 5, "one line per file: {text}");
    assert_eq!(env.list_json("alice").len(), 1);
    assert_eq!(env.passwords().len(), 1, "refused files are not mailed");
}

#[test]
fn a_file_that_trips_a_decoder_never_stops_the_import() {
    use spg_core::fuzzing::fixtures::{TiffLayout, tiff};
    let env = Env::new();
    env.register("alice");
    let src = env.path("mixed");
    write(&src, "a first.jpg", &jpeg(320, 240, 21));
    // Tiled TIFFs with separate colour planes (8-bit, 16-bit RGB, 16-bit RGBA) made the
    // `tiff` crate panic inside the decoder; in the middle of a folder, between two photos.
    let planar = |sixteen_bit, alpha| TiffLayout { tiled: true, planar: true, sixteen_bit, alpha };
    write(&src, "b planar.tif", &tiff(64, 40, planar(false, false)));
    write(&src, "c planar16.tif", &tiff(64, 40, planar(true, false)));
    write(&src, "d planar16 alpha.tif", &tiff(64, 40, planar(true, true)));
    write(&src, "e last.jpg", &jpeg(320, 240, 22));
    let (out, imported) = env.import("alice", &[&src]);
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(!errors.contains("panicked") && !errors.contains("RUST_BACKTRACE"), "{errors}");
    assert_eq!(text.lines().count(), 5, "one line per file: {text}");
    assert_eq!(imported.len(), 5, "every file a viewer opens imports: {text}");
    assert_eq!(out.status.code(), Some(0), "{text}{errors}");
    let listed = env.list_json("alice");
    for name in ["b planar.tif", "c planar16.tif", "d planar16 alpha.tif"] {
        let photo = listed.iter().find(|p| p["name"] == name).expect(name);
        assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(64), Some(40)), "{name}");
    }
}

#[test]
fn blurred_and_hidden_previews_need_the_photo_password_for_the_thumbnail() {
    for (previews, without_password) in [("blurred", Some(24)), ("hidden", None)] {
        let env = Env::new();
        env.ok(&["register", "--user", "alice", "--email", "alice@example.com", "--previews", previews], &[]);
        let photo = write(&env.path("in"), "letter.jpg", &jpeg(1600, 1200, 60));
        let (_, imported) = env.import("alice", &[&photo]);
        let id = imported[0].0.clone();
        let thumb = |name: &str, envs: &[(&str, &str)]| {
            let out = env.path(name);
            let run = env
                .run(&["export", "--user", "alice", "--id", &id, "--thumbnail", "--out", out.to_str().unwrap()], envs);
            (run.status.code() == Some(0)).then(|| image::open(&out).unwrap()).map(|p| p.width().max(p.height()))
        };
        assert_eq!(thumb("login-only.jpg", &[]), without_password, "{previews}");
        let password = env.password_of(&id);
        assert_eq!(thumb("unlocked.jpg", &[("SPG_PHOTO_PASSWORD", &password)]), Some(512), "{previews}");
        env.ok(&["verify", "--user", "alice"], &[]);
    }
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_a_normal_end() {
    let env = Env::new();
    env.register("alice");
    let photos: Vec<_> = (0..3).map(|i| write(&env.path("in"), &format!("{i}.jpg"), &jpeg(64, 48, 80 + i))).collect();
    // As `import … | head -1` and `list … | head -1`: the reader is gone before the first
    // line is written (the login's Argon2 alone takes longer than closing the pipe).
    let closed_early = |args: &[&str]| {
        let mut child = env.command_for_pipe(args);
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    };
    let mut import = vec!["import", "--user", "alice"];
    import.extend(photos.iter().map(|p| p.to_str().unwrap()));
    closed_early(&import);
    assert_eq!(env.list_json("alice").len(), 3, "the import stored every photo all the same");
    closed_early(&["list", "--user", "alice"]);
}

#[test]
fn a_duplicate_is_skipped_and_is_no_failure() {
    let env = Env::new();
    env.register("alice");
    env.register("bob");
    let photo = write(&env.path("p"), "same.jpg", &jpeg(100, 100, 11));
    let copy = write(&env.path("q"), "copy.jpg", &std::fs::read(&photo).unwrap());
    let (out, imported) = env.import("alice", &[&photo, &copy]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(imported.len(), 1);
    // Each says of what: the file before it, or the photo already stored.
    let line = format!("skipped {}: duplicate of {}, earlier in this import", copy.display(), photo.display());
    assert!(stdout(&out).contains(&line), "{}", stdout(&out));
    let (again, _) = env.import("alice", &[&photo]);
    assert_eq!(again.status.code(), Some(0));
    let id = &imported[0].0;
    let line = format!("skipped {}: duplicate of photo {id}, already in the vault", photo.display());
    assert_eq!(stdout(&again).trim(), line);
    // Another account may hold the same photo.
    let (bob, imported) = env.import("bob", &[&photo]);
    assert_eq!((bob.status.code(), imported.len()), (Some(0), 1));
}

#[test]
fn the_vault_stays_within_ten_percent_of_photos_plus_thumbnails() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    let mut photo_bytes = 0;
    for i in 0..6 {
        // Sizes on both sides of the 1 MiB chunk boundary.
        photo_bytes += write(&src, &format!("{i}.jpg"), &jpeg(1200 + 100 * i, 900, 20 + i)).metadata().unwrap().len();
    }
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(imported.len(), 6, "{}", stderr(&out));
    let mut thumb_bytes = 0;
    for (id, _) in &imported {
        let t = env.path(&format!("{id}.thumb.jpg"));
        env.ok(&["export", "--user", "alice", "--id", id, "--thumbnail", "--out", t.to_str().unwrap()], &[]);
        thumb_bytes += t.metadata().unwrap().len();
    }
    // Disk space taken, not the apparent length: redb grows a small file by doubling its
    // length, sparsely, so the length alone says little about the space used (FORMAT.md).
    let vault = disk_usage(&env.vault);
    let budget = (photo_bytes + thumb_bytes) as f64 * 1.10;
    assert!(
        (vault as f64) <= budget,
        "vault takes {vault} bytes > 110% of photos {photo_bytes} + thumbnails {thumb_bytes}"
    );
}

#[test]
fn delete_removes_the_photo_and_verify_finds_a_changed_byte() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    write(&src, "keep.jpg", &jpeg(400, 300, 30));
    write(&src, "gone.jpg", &jpeg(400, 300, 31));
    let (_, imported) = env.import("alice", &[&src]);
    let gone = imported.iter().find(|(_, p)| p.ends_with("gone.jpg")).unwrap().0.clone();
    let keep = imported.iter().find(|(_, p)| p.ends_with("keep.jpg")).unwrap().0.clone();
    assert!(env.ok(&["verify", "--user", "alice"], &[]).contains("verified 2 photos: all intact"));

    let out = env.ok(&["delete", "--user", "alice", "--id", &gone], &[]);
    assert!(out.contains("deleted") && out.contains("gone.jpg"), "{out}");
    assert_eq!(env.list_json("alice").len(), 1);
    let t = env.path("gone-out.jpg");
    let missing = env.run(
        &["export", "--user", "alice", "--id", &gone, "--out", t.to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", &env.password_of(&gone))],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no photo"));

    // Change one byte of the kept photo's stored ciphertext, found through redb itself.
    let chunk_start = {
        let db = redb::Database::open(&env.vault).unwrap();
        let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
        let table = txn.open_table(redb::TableDefinition::<(u64, u32), &[u8]>::new("chunks")).unwrap();
        let mut first = None;
        for entry in redb::ReadableTable::iter(&table).unwrap() {
            let (_, v) = entry.unwrap();
            first = Some(v.value()[..64].to_vec());
        }
        first.expect("one stored chunk")
    };
    let mut file = std::fs::read(&env.vault).unwrap();
    let at = file.windows(64).position(|w| w == chunk_start.as_slice()).expect("the chunk is in the file");
    file[at + 1000] ^= 0x01;
    std::fs::write(&env.vault, &file).unwrap();

    let out = env.run(&["verify", "--user", "alice"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(&format!("damaged {keep} keep.jpg")), "{}", stdout(&out));
    let t = env.path("keep-out.jpg");
    let export = env.run(
        &["export", "--user", "alice", "--id", &keep, "--out", t.to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", &env.password_of(&keep))],
    );
    assert_eq!(export.status.code(), Some(1));
    assert!(!t.exists(), "a damaged photo never produces a file");
}

#[test]
fn plaintext_left_by_a_crashed_export_is_removed_at_the_next_start() {
    let env = Env::new();
    env.register("alice");
    let photo = write(&env.path("in"), "p.jpg", &jpeg(64, 48, 30));
    let (_, imported) = env.import("alice", &[&photo]);
    let id = &imported[0].0;
    let out = env.path("exports");
    std::fs::create_dir_all(&out).unwrap();
    env.ok(
        &["export", "--user", "alice", "--id", id, "--out", out.join("p.jpg").to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", &env.password_of(id))],
    );
    // What a kill in the middle of an export (or of an outbox write) leaves: the temporary
    // file, hours old by the next start; and one still being written by another export.
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let leftover = |dir: &std::path::Path, name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, b"decrypted photo bytes").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(two_hours_ago).unwrap();
        path
    };
    let old = leftover(&out, ".spg-partial-a1b2c3");
    let old_mail = leftover(&env.outbox_of("alice"), ".spg-partial-d4e5f6");
    let fresh = out.join(".spg-partial-g7h8i9");
    std::fs::write(&fresh, b"being written").unwrap();
    let list = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(list.status.code(), Some(0));
    assert!(!old.exists() && !old_mail.exists(), "{}", stderr(&list));
    assert!(stderr(&list).contains("left by an export or email that a crash interrupted"), "{}", stderr(&list));
    assert!(fresh.exists(), "a write under way is left alone");
    assert!(out.join("p.jpg").exists());
}

#[test]
fn a_vault_of_an_old_development_format_is_refused_with_a_clear_message() {
    for version in [1u32, 2] {
        let env = Env::new();
        env.register("alice");
        {
            let db = redb::Database::create(&env.vault).unwrap();
            let txn = db.begin_write().unwrap();
            let header: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("header");
            txn.open_table(header).unwrap().insert("format_version", version.to_le_bytes().as_slice()).unwrap();
            txn.commit().unwrap();
        }
        let out = env.run(&["list", "--user", "alice"], &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("made by an older development version"), "format {version}: {}", stderr(&out));
    }
}

#[cfg(unix)]
#[test]
fn the_vault_is_owner_only_from_its_first_byte() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    // A permissive umask: the file must still be created 0600, not chmod-ed afterwards.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 000 && exec '{}' --vault '{}' register --user alice --email alice@example.com",
            env!("CARGO_BIN_EXE_secure-photo-gallery"),
            env.vault.display()
        ))
        .env("SPG_PASSWORD", common::PASSWORD)
        .env("XDG_CONFIG_HOME", env.config.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.vault), 0o600);
    assert_eq!(mode(env.vault.parent().unwrap()), 0o700);
}

#[test]
fn a_second_process_gets_a_clear_in_use_error() {
    let env = Env::new();
    env.register("alice");
    let _held = Vault::open(&env.vault).unwrap();
    let out = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("in use"), "{}", stderr(&out));
}

#[test]
fn photos_with_odd_names_import_and_export_under_their_names() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("odd names");
    let names = ["صورة العائلة #1.jpg", "café crème (copy).png", "  spaced  out .jpg", "line\nbreak.jpg"];
    for (i, name) in names.iter().enumerate() {
        write(&src, name, &jpeg(80, 60, 40 + i as u32));
    }
    let (out, imported) = env.import("alice", &[&src]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(imported.len(), names.len());
    let email = env.emails()[0].clone();
    assert_eq!(env.passwords().len(), names.len(), "every line of the email parses back");
    let out_dir = env.path("restored");
    env.export_all("alice", &out_dir, &[email]);
    for name in names {
        // A control character in a name becomes `_` on the way out; all else is kept.
        let exported: String = name.chars().map(|c| if c.is_control() { '_' } else { c }).collect();
        assert_eq!(std::fs::read(out_dir.join(&exported)).unwrap(), std::fs::read(src.join(name)).unwrap(), "{name:?}");
    }
}

#[test]
fn install_desktop_entry_puts_the_menu_entry_and_icons_in_the_users_data_folder() {
    let env = Env::new();
    let data = env.path("data");
    let out = env.run(&["--install-desktop-entry"], &[("XDG_DATA_HOME", data.to_str().unwrap())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entry = std::fs::read_to_string(data.join("applications/secure-photo-gallery.desktop")).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_secure-photo-gallery")).unwrap();
    assert!(entry.contains(&format!("Exec=\"{}\"", exe.display())), "{entry}");
    for size in [16, 24, 32, 48, 64, 128, 256, 512] {
        let png = data.join(format!("icons/hicolor/{size}x{size}/apps/secure-photo-gallery.png"));
        let dimensions = image::image_dimensions(&png).unwrap();
        assert_eq!(dimensions, (size, size), "{}", png.display());
    }
    assert!(data.join("icons/hicolor/scalable/apps/secure-photo-gallery.svg").is_file());
    // Valid as the desktop sees it, where the validator is installed (scripts/test.sh
    // installs it; CI has it).
    match std::process::Command::new("desktop-file-validate")
        .arg(data.join("applications/secure-photo-gallery.desktop"))
        .output()
    {
        Ok(check) => {
            assert!(check.status.success() && check.stdout.is_empty(), "{}", String::from_utf8_lossy(&check.stdout))
        }
        Err(_) => assert!(std::env::var_os("CI").is_none(), "desktop-file-validate is missing on CI"),
    }
}

#[test]
fn delete_takes_many_ids_with_one_login_and_from_standard_input() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    for i in 0..5 {
        write(&src, &format!("p{i}.jpg"), &jpeg(120, 90, 500 + i));
    }
    let (_, imported) = env.import("alice", &[&src]);
    let ids: Vec<String> = imported.iter().map(|(id, _)| id.clone()).collect();
    let out = env.ok(&["delete", "--user", "alice", "--id", &ids[0], "--id", &ids[1]], &[]);
    assert_eq!(out.lines().filter(|l| l.starts_with("deleted ")).count(), 2, "{out}");
    // The rest from standard input, one per line, with one that is already gone.
    let input = format!("{}\n{}\n{}\n{}\n", ids[2], ids[3], ids[4], ids[0]);
    let out = env.run_with_input(&["delete", "--user", "alice", "--id", "-"], &input);
    assert_eq!(out.status.code(), Some(1), "one was not there");
    assert_eq!(stdout(&out).lines().filter(|l| l.starts_with("deleted ")).count(), 3, "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("failed {}: no photo", ids[0])), "{}", stdout(&out));
    assert!(env.list_json("alice").is_empty());
    // A malformed ID stops everything before the login: nothing is deleted.
    let bad = env.run(&["delete", "--user", "alice", "--id", "not-an-id"], &[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("is not a photo ID"));
}

#[test]
fn compact_gives_back_the_space_of_deleted_photos_and_a_kill_midway_loses_nothing() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("p");
    for i in 0..40 {
        write(&src, &format!("p{i:02}.jpg"), &jpeg(1024, 768, 600 + i));
    }
    let (_, imported) = env.import("alice", &[&src]);
    let (gone, kept) = imported.split_at(20);
    let input: String = gone.iter().map(|(id, _)| format!("{id}\n")).collect();
    assert!(env.run_with_input(&["delete", "--user", "alice", "--id", "-"], &input).status.success());
    let full = std::fs::metadata(&env.vault).unwrap().len();
    // Killed at different moments: whatever the moment, every kept photo is intact after.
    for delay in [1, 3, 10, 30, 100] {
        let mut child = env.spawn(&["compact"]);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let out = env.ok(&["verify", "--user", "alice"], &[]);
        assert!(out.contains("verified 20 photos: all intact"), "after a kill at {delay} ms: {out}");
    }
    let out = env.ok(&["compact"], &[]);
    assert!(out.starts_with("compacted "), "{out}");
    let compacted = std::fs::metadata(&env.vault).unwrap().len();
    assert!(compacted < full * 3 / 4, "{full} -> {compacted}");
    // Every photo left exports byte for byte.
    let out_dir = env.path("out");
    env.export_all("alice", &out_dir, &env.emails());
    for (_, path) in kept {
        let name = std::path::Path::new(path).file_name().unwrap();
        assert_eq!(std::fs::read(out_dir.join(name)).unwrap(), std::fs::read(path).unwrap(), "{path}");
    }
    // A second window (or command) holding the vault: compact says so and changes nothing.
    let _open = spg_core::vault::Vault::open(&env.vault).unwrap();
    let busy = env.run(&["compact"], &[]);
    assert_eq!(busy.status.code(), Some(1));
    assert!(stderr(&busy).contains("in use"), "{}", stderr(&busy));
}

/// The `albums` table of the vault, as redb reads it.
const ALBUMS: redb::TableDefinition<(u64, u64), &[u8]> = redb::TableDefinition::new("albums");

/// The stored rows of `albums` (key, value), in key order.
fn album_rows(vault: &std::path::Path) -> Vec<((u64, u64), Vec<u8>)> {
    let db = redb::Database::open(vault).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    let table = txn.open_table(ALBUMS).unwrap();
    redb::ReadableTable::iter(&table)
        .unwrap()
        .map(|row| {
            let (k, v) = row.unwrap();
            (k.value(), v.value().to_vec())
        })
        .collect()
}

/// Writes `rows` over the `albums` table (as a file writer without the keys can).
fn put_album_rows(vault: &std::path::Path, rows: &[((u64, u64), Vec<u8>)]) {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut table = txn.open_table(ALBUMS).unwrap();
        for (key, value) in rows {
            table.insert(*key, value.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

#[test]
fn albums_are_made_filled_renamed_exported_and_deleted_and_the_photos_stay() {
    let env = Env::new();
    env.register("alice");
    env.register("bob");
    let src = env.path("scans");
    write(&src, "passport.jpg", &jpeg(200, 150, 1));
    write(&src, "id card.png", &png(120, 80, 2));
    let album = |args: &[&str]| {
        let mut argv = vec!["album"];
        argv.extend_from_slice(args);
        env.run(&argv, &[])
    };
    let album_list = || {
        let out = env.ok(&["album", "list", "--user", "alice", "--json"], &[]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap().as_array().unwrap().clone()
    };
    // An import straight into a new album.
    let out = env.run(&["import", "--user", "alice", "--album", "Passport", src.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("added 2 photo(s) to album Passport"), "{}", stdout(&out));
    let scans: Vec<String> = env.list_json("alice").iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    let more = env.path("more");
    write(&more, "x-ray.jpg", &jpeg(160, 120, 3));
    write(&more, "beach.jpg", &jpeg(160, 120, 4));
    let (_, imported) = env.import("alice", &[&more]);
    let id_of = |name: &str| imported.iter().find(|(_, p)| p.ends_with(name)).unwrap().0.clone();
    let (xray, beach) = (id_of("x-ray.jpg"), id_of("beach.jpg"));

    // Made, filled by --id and from standard input, renamed.
    assert_eq!(album(&["create", "--user", "alice", "Medical"]).status.code(), Some(0));
    let out = album(&["add", "--user", "alice", "medical", "--id", &xray]);
    assert!(stdout(&out).contains("added 1 photo(s) to album medical (0 already in it)"), "{}", stdout(&out));
    let out = env.run_with_input(
        &["album", "add", "--user", "alice", "Medical", "--id", "-"],
        &format!("{xray}\n{}\n", scans[0]),
    );
    assert!(
        stdout(&out).contains("added 1 photo(s)") && stdout(&out).contains("(1 already in it)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(album(&["rename", "--user", "alice", "Medical", "Medical papers"]).status.code(), Some(0));
    let listed = album_list();
    let names: Vec<(&str, u64)> =
        listed.iter().map(|a| (a["name"].as_str().unwrap(), a["photos"].as_u64().unwrap())).collect();
    assert_eq!(names, [("Medical papers", 2), ("Passport", 2)]);
    let text = env.ok(&["album", "list", "--user", "alice"], &[]);
    assert!(text.starts_with("Medical papers\t2\t"), "{text}");

    // list and export --album see only the album's photos.
    let listed = env.ok(&["list", "--user", "alice", "--album", "medical papers"], &[]);
    let mut shown: Vec<&str> = listed.lines().map(|l| l.split('\t').next().unwrap()).collect();
    shown.sort_unstable();
    let mut expected = vec![xray.as_str(), scans[0].as_str()];
    expected.sort_unstable();
    assert_eq!(shown, expected);
    let out_dir = env.path("medical");
    let mut args = vec!["export", "--user", "alice", "--album", "Medical papers", "--out", out_dir.to_str().unwrap()];
    let emails: Vec<String> = env.emails().iter().map(|e| e.display().to_string()).collect();
    for email in &emails {
        args.extend(["--passwords-file", email.as_str()]);
    }
    env.ok(&args, &[]);
    let mut written: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written.contains(&"x-ray.jpg".to_string()), "{written:?}");

    // The cover, a removal, and what is refused, with what to do.
    assert_eq!(album(&["cover", "--user", "alice", "Medical papers", "--id", &xray]).status.code(), Some(0));
    let cover = album_list().iter().find(|a| a["name"] == "Medical papers").unwrap()["cover"].clone();
    assert_eq!(cover.as_str(), Some(xray.as_str()));
    let refused = album(&["cover", "--user", "alice", "Medical papers", "--id", &beach]);
    assert!(stderr(&refused).contains("is not in the album"), "{}", stderr(&refused));
    let out = album(&["remove", "--user", "alice", "Medical papers", "--id", &xray]);
    assert!(stdout(&out).contains("removed 1 photo(s)"), "{}", stdout(&out));
    let after = album_list();
    let medical = after.iter().find(|a| a["name"] == "Medical papers").unwrap();
    assert_eq!((medical["photos"].as_u64(), medical["cover"].as_str()), (Some(1), Some(scans[0].as_str())));
    for (args, said) in [
        (vec!["create", "--user", "alice", "passport"], "already an album named"),
        (vec!["create", "--user", "alice", "  "], "an album needs a name"),
        (vec!["create", "--user", "alice", &"x".repeat(101)], "cannot be an album name"),
        (vec!["rename", "--user", "alice", "Holidays", "Trips"], "no album named “Holidays”"),
        (vec!["add", "--user", "alice", "Passport", "--id", "not-an-id"], "photo ID"),
    ] {
        let out = album(&args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
    }
    // Bob's album cannot hold Alice's photo, and he does not see hers.
    assert_eq!(album(&["create", "--user", "bob", "Mine"]).status.code(), Some(0));
    let out = album(&["add", "--user", "bob", "Mine", "--id", &beach]);
    assert!(stderr(&out).contains("is not one of this account's photos"), "{}", stderr(&out));
    assert_eq!(env.ok(&["album", "list", "--user", "bob"], &[]).trim(), "Mine\t0\t-");

    // A deleted photo leaves its albums; a deleted album leaves its photos.
    env.ok(&["delete", "--user", "alice", "--id", &scans[0]], &[]);
    let medical = album_list().into_iter().find(|a| a["name"] == "Medical papers").unwrap();
    assert_eq!((medical["photos"].as_u64(), medical["cover"].as_str()), (Some(0), None));
    assert_eq!(album(&["delete", "--user", "alice", "Passport"]).status.code(), Some(0));
    assert_eq!(album_list().len(), 1);
    assert_eq!(env.list_json("alice").len(), 3, "the photos stay");
    assert!(env.ok(&["verify", "--user", "alice"], &[]).contains("all intact"));
}

#[test]
fn an_album_row_changed_swapped_or_added_in_the_file_is_named_by_verify() {
    let env = Env::new();
    env.register("alice");
    let src = env.path("photos");
    write(&src, "a.jpg", &jpeg(100, 80, 1));
    write(&src, "b.jpg", &jpeg(100, 80, 2));
    let (_, imported) = env.import("alice", &[&src]);
    for (name, id) in [("Kids", &imported[0].0), ("Medical", &imported[1].0)] {
        env.ok(&["album", "create", "--user", "alice", name], &[]);
        env.ok(&["album", "add", "--user", "alice", name, "--id", id], &[]);
    }
    let rows = album_rows(&env.vault);
    assert_eq!(rows.len(), 2);
    let names = env.ok(&["album", "list", "--user", "alice"], &[]);
    let stored: Vec<u8> = rows.iter().flat_map(|(_, v)| v.clone()).collect();
    assert!(!contains(&stored, b"Kids") && !contains(&stored, b"Medical"), "names are sealed");
    let intact = std::fs::read(&env.vault).unwrap();

    // Moving a photo from one album to the other: the two rows swapped.
    put_album_rows(&env.vault, &[(rows[0].0, rows[1].1.clone()), (rows[1].0, rows[0].1.clone())]);
    let out = env.run(&["verify", "--user", "alice"], &[]);
    assert_eq!(out.status.code(), Some(1));
    for album in [1, 2] {
        let said = format!("damaged album {album}: its row was changed, or replaced by another");
        assert!(stdout(&out).contains(&said), "{}", stdout(&out));
    }
    let listed = env.run(&["album", "list", "--user", "alice"], &[]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(stdout(&listed).is_empty() && stderr(&listed).contains("run `verify`"), "{}", stderr(&listed));
    let refused = env.run(&["album", "add", "--user", "alice", "Kids", "--id", &imported[1].0], &[]);
    assert!(stderr(&refused).contains("no album named"), "{}", stderr(&refused));

    // One byte of a row changed.
    std::fs::write(&env.vault, &intact).unwrap();
    let mut changed = rows[0].1.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    put_album_rows(&env.vault, &[(rows[0].0, changed)]);
    let out = env.run(&["verify", "--user", "alice"], &[]);
    assert!(stdout(&out).contains("damaged album 1: its row was changed"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("album 2"), "{}", stdout(&out));

    // A row put in the file that the account does not list.
    std::fs::write(&env.vault, &intact).unwrap();
    put_album_rows(&env.vault, &[((rows[0].0.0, 7), rows[0].1.clone())]);
    let out = env.run(&["verify", "--user", "alice"], &[]);
    assert!(stdout(&out).contains("damaged album row 7 is not one of the account's albums"), "{}", stdout(&out));
    let listed = env.run(&["album", "list", "--user", "alice"], &[]);
    assert_eq!(stdout(&listed), names, "the albums the account lists are intact");
    assert!(stderr(&listed).contains("album row 7"), "{}", stderr(&listed));
}
