//! Backups against a real S3 server on localhost (moto's server, `tests/s3_server.py`,
//! installed by scripts/test.sh): back up, restore into a new vault and export
//! byte-identical files with the original password emails; what a second backup sends;
//! an interrupted backup resumed; pruning; clear errors; and an independent S3 client
//! (boto3) finding no photo byte, name, email or exact size in the bucket.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::layout::SnapshotHead;
use common::s3::{S3, SECRET, python};
use common::*;

fn run(env: &Env, args: &[String], envs: &[(&str, &str)]) -> std::process::Output {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&argv, envs)
}

fn ok(env: &Env, args: &[String], envs: &[(&str, &str)]) -> String {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    env.ok(&argv, envs)
}

/// Sorted IDs of `user`'s photos.
fn ids(env: &Env, user: &str) -> Vec<String> {
    ids_with(env, user, &[])
}

/// Sorted IDs of `user`'s photos, logged in with `envs` (another password).
fn ids_with(env: &Env, user: &str, envs: &[(&str, &str)]) -> Vec<String> {
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--user", user, "--json"], envs)).unwrap();
    let mut ids: Vec<String> =
        listed.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

/// A PNG of noise larger than one part (over 17 MiB): it goes up in a multipart upload.
fn big_png() -> Vec<u8> {
    let noise = image::RgbImage::from_fn(2600, 2500, |x, y| {
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).rotate_left(x % 13) as u8;
        image::Rgb([v, v.wrapping_mul(7), v.wrapping_add(y as u8)])
    });
    let mut big = Vec::new();
    noise.write_to(&mut std::io::Cursor::new(&mut big), image::ImageFormat::Png).unwrap();
    assert!(big.len() > 17 * 1024 * 1024, "{} bytes", big.len());
    big
}

#[test]
fn a_backup_restored_into_a_new_vault_opens_with_the_old_emails_byte_for_byte() {
    let s3 = S3::start();
    let a = Env::new();
    a.register("alice");
    let src = a.path("photos");
    let mut originals = vec![
        write(&src, "passport scan.jpg", &jpeg(800, 600, 1)),
        write(&src, "x-ray.png", &png(300, 200, 2)),
        write(&src, "family.gif", &gif(64, 48, 3)),
    ];
    // Larger than one part: it goes up in a multipart upload.
    originals.push(write(&src, "big.png", &big_png()));
    let (_, imported) = a.import("alice", &[&src]);
    assert_eq!(imported.len(), 4);

    let out = ok(&a, &s3.args("backup", "alice", "s3://photos/alice/laptop"), &[SECRET]);
    assert!(out.contains("4 sent") && out.contains("0 already there"), "{out}");
    // The settings were kept (sealed) in the account: no flags, no secret key this time,
    // and nothing is sent again.
    let out = a.ok(&["backup", "--user", "alice"], &[]);
    assert!(out.contains("0 sent") && out.contains("4 already there"), "{out}");
    // Three more photos: only they go up.
    let more = a.path("more");
    for i in 0..3 {
        originals.push(write(&more, &format!("more {i}.jpg"), &jpeg(320, 240, 10 + i)));
    }
    a.import("alice", &[&more]);
    // An album, in the backup with the photos.
    let passport = imported.iter().find(|(_, path)| path.ends_with("passport scan.jpg")).unwrap().0.clone();
    a.ok(&["album", "create", "--user", "alice", "ID papers"], &[]);
    a.ok(&["album", "add", "--user", "alice", "ID papers", "--id", &passport], &[]);
    let out = a.ok(&["backup", "--user", "alice"], &[]);
    assert!(out.contains("backed up 7 photos") && out.contains("3 sent") && out.contains("4 already there"), "{out}");

    // A new computer: a new vault, restored with the login password.
    let b = Env::new();
    let out = ok(&b, &s3.args("restore", "alice", "s3://photos/alice/laptop"), &[SECRET]);
    assert!(out.contains("restored alice with 7 photos"), "{out}");
    assert_eq!(ids(&b, "alice"), ids(&a, "alice"), "the same photos with the same IDs");
    assert!(b.ok(&["verify", "--user", "alice"], &[]).contains("all intact"));
    assert_eq!(b.ok(&["album", "list", "--user", "alice"], &[]), format!("ID papers\t1\t{passport}\n"));
    // The emails sent on the first computer open them, byte for byte.
    let out_dir = b.path("exported");
    b.export_all("alice", &out_dir, &a.emails());
    for original in &originals {
        let name = original.file_name().unwrap();
        assert_eq!(std::fs::read(out_dir.join(name)).unwrap(), std::fs::read(original).unwrap(), "{name:?}");
    }

    // Restoring again into the same vault is refused; a wrong password opens nothing.
    let again = run(&b, &s3.args("restore", "alice", "s3://photos/alice/laptop"), &[SECRET]);
    assert!(stderr(&again).contains("already has an account named 'alice'"), "{}", stderr(&again));
    let c = Env::new();
    let wrong = run(&c, &s3.args("restore", "alice", "s3://photos/alice/laptop"), &[SECRET, ("SPG_PASSWORD", "nope")]);
    assert!(stderr(&wrong).contains("wrong user name, password or recovery key"), "{}", stderr(&wrong));
    let other = run(&c, &s3.args("restore", "bob", "s3://photos/alice/laptop"), &[SECRET]);
    assert!(stderr(&other).contains("wrong user name, password or recovery key"), "{}", stderr(&other));
    assert!(!c.vault.exists() || c.run(&["list", "--user", "alice"], &[]).status.code() != Some(0));
}

#[test]
fn the_recovery_key_restores_and_the_storage_sees_no_byte_name_email_or_size() {
    let s3 = S3::start();
    let a = Env::new();
    let words = a.register("alice");
    let src = a.path("photos");
    let originals: Vec<(PathBuf, Vec<u8>)> = (0..5)
        .map(|i| {
            let bytes = jpeg(400 + 10 * i, 300, 50 + i);
            (write(&src, &format!("secret-name-{i}.jpg"), &bytes), bytes)
        })
        .collect();
    a.import("alice", &[&src]);
    ok(&a, &s3.args("backup", "alice", "s3://photos/vault"), &[SECRET]);

    let b = Env::new();
    let mut args = s3.args("restore", "alice", "s3://photos/vault");
    args.push("--use-recovery-key".into());
    let new = ("SPG_NEW_PASSWORD", "the password alice chose at the restore");
    let out = ok(&b, &args, &[SECRET, ("SPG_RECOVERY_KEY", &words), new]);
    assert!(out.contains("restored alice with 5 photos"), "{out}");
    // The words set a new password: the one of the backup no longer opens the account.
    assert_eq!(b.run(&["list", "--user", "alice"], &[]).status.code(), Some(1));
    b.ok(&["list", "--user", "alice"], &[("SPG_PASSWORD", new.1)]);
    // The break-glass path opens every photo without the emails.
    let out_dir = b.path("out");
    b.ok(
        &["export", "--user", "alice", "--all", "--out", out_dir.to_str().unwrap(), "--use-recovery-key"],
        &[("SPG_RECOVERY_KEY", &words)],
    );
    for (path, bytes) in &originals {
        assert_eq!(&std::fs::read(out_dir.join(path.file_name().unwrap())).unwrap(), bytes);
    }

    // What the provider holds, read by another S3 client: opaque names, no plaintext.
    let mut needles: Vec<Vec<u8>> = vec![b"alice@example.com".to_vec(), b"secret-name".to_vec(), b"alice".to_vec()];
    for (_, bytes) in &originals {
        needles.push(bytes[..64].to_vec());
        needles.push(bytes[bytes.len() / 2..bytes.len() / 2 + 64].to_vec());
    }
    let refs: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
    let (objects, found) = s3.inspect(&refs);
    assert!(found.is_empty(), "plaintext in the bucket: {found:?}");
    assert_eq!(objects.len(), 11, "five photos' data and previews, and the account: {objects:?}");
    for (key, size) in &objects {
        let name = key.strip_prefix("vault/").unwrap();
        let opaque = |folder: &str| name.strip_prefix(folder).is_some_and(|hex| hex.len() == 32);
        assert!(name == "account" || opaque("photos/") || opaque("previews/"), "{key}");
        assert!(originals.iter().all(|(_, b)| b.len() as u64 != *size), "{key} has a photo's exact size");
    }

    // One photo object removed and one changed at the provider: the other three are
    // restored, checked, and the two are named.
    let tampered = Command::new(python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/s3_server.py"))
        .args(["tamper", &s3.endpoint(), "photos", "vault"])
        .status()
        .unwrap();
    assert!(tampered.success());
    let c = Env::new();
    let out = run(&c, &s3.args("restore", "alice", "s3://photos/vault"), &[SECRET]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("restored alice with 3 photos"), "{}", stdout(&out));
    assert!(stderr(&out).contains("2 photos of the backup are missing from the bucket or damaged"), "{}", stderr(&out));
    assert_eq!(ids(&c, "alice").len(), 3);
    assert!(c.ok(&["verify", "--user", "alice"], &[]).contains("verified 3 photos: all intact"));
}

#[test]
fn an_interrupted_backup_goes_on_where_it_stopped_and_prune_is_asked_for() {
    let s3 = S3::start();
    let a = Env::new();
    a.register("alice");
    let src = a.path("photos");
    for i in 0..16 {
        write(&src, &format!("p{i:02}.jpg"), &jpeg(900, 700, 100 + i));
    }
    let (_, imported) = a.import("alice", &[&src]);
    // Killed while sending.
    let mut child = {
        let args = s3.args("backup", "alice", "s3://photos/resume");
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_secure-photo-gallery"));
        cmd.arg("--vault").arg(&a.vault).args(argv).env("SPG_PASSWORD", PASSWORD).env(SECRET.0, SECRET.1);
        cmd.env("XDG_CONFIG_HOME", a.config.path()).stdout(Stdio::null()).stderr(Stdio::null());
        cmd.spawn().unwrap()
    };
    let started = std::time::Instant::now();
    while s3.inspect(&[]).0.is_empty() && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let sent = s3.inspect(&[]).0.iter().filter(|(k, _)| k.contains("/photos/")).count();
    assert!(sent > 0, "something was sent before the kill");
    let out = ok(&a, &s3.args("backup", "alice", "s3://photos/resume"), &[SECRET]);
    assert!(out.contains(&format!("{} sent", 16 - sent)) && out.contains(&format!("{sent} already there")), "{out}");

    // A photo deleted here stays in the bucket until asked.
    a.ok(&["delete", "--user", "alice", "--id", &imported[0].0], &[]);
    let out = a.run(&["backup", "--user", "alice"], &[]);
    assert!(stderr(&out).contains("1 photos deleted here are still in the bucket"), "{}", stderr(&out));
    // It stays whole in the backup (a restore brings it back) until pruned.
    assert_eq!(s3.inspect(&[]).0.len(), 16 * 2 + 1);
    let out = a.ok(&["backup", "--user", "alice", "--prune"], &[]);
    assert!(out.contains("removed 1 deleted photos"), "{out}");
    assert_eq!(s3.inspect(&[]).0.len(), 15 * 2 + 1);
    // And the backup restores whole.
    let b = Env::new();
    let out = ok(&b, &s3.args("restore", "alice", "s3://photos/resume"), &[SECRET]);
    assert!(out.contains("restored alice with 15 photos"), "{out}");
}

#[test]
fn storage_errors_are_said_plainly_and_change_nothing_here() {
    let s3 = S3::start();
    let a = Env::new();
    a.register("alice");
    let src = a.path("photos");
    write(&src, "a.jpg", &jpeg(200, 100, 7));
    a.import("alice", &[&src]);
    let before = ids(&a, "alice");

    let missing = run(&a, &s3.args("backup", "alice", "s3://no-such-bucket/x"), &[SECRET]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("the bucket 'no-such-bucket' does not exist"), "{}", stderr(&missing));
    // A failed backup keeps no settings: the next one still asks where.
    let none = a.run(&["backup", "--user", "alice"], &[]);
    assert!(stderr(&none).contains("no backup location is set for alice"), "{}", stderr(&none));

    let closed = {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let args = ["backup", "--user", "alice", "--to", "s3://photos/x", "--endpoint"];
        let endpoint = format!("http://127.0.0.1:{port}");
        a.run(&[&args[..], &[endpoint.as_str(), "--access-key", "k"]].concat(), &[SECRET])
    };
    assert!(stderr(&closed).contains("cannot reach the storage server"), "{}", stderr(&closed));

    let plain = a.run(
        &[
            "backup",
            "--user",
            "alice",
            "--to",
            "s3://photos/x",
            "--endpoint",
            "http://192.0.2.7:9000",
            "--access-key",
            "k",
        ],
        &[SECRET],
    );
    assert!(stderr(&plain).contains("plain http to another machine; use https"), "{}", stderr(&plain));

    let nothing = run(&Env::new(), &s3.args("restore", "alice", "s3://photos/empty"), &[SECRET]);
    assert!(
        stderr(&nothing).contains("there is no Secure Photo Gallery backup at this address"),
        "{}",
        stderr(&nothing)
    );
    assert_eq!(ids(&a, "alice"), before, "nothing changed here");
}

#[test]
fn a_busy_server_is_asked_again_and_a_full_one_is_said_plainly() {
    let a = Env::new();
    a.register("alice");
    let src = a.path("photos");
    for i in 0..3 {
        write(&src, &format!("{i}.jpg"), &jpeg(200, 100, 20 + i));
    }
    // One photo large enough for a multipart upload.
    write(&src, "big.png", &big_png());
    a.import("alice", &[&src]);
    let before = ids(&a, "alice");

    // Every request is first refused with 503 SlowDown (a multipart upload's completion
    // is done, and its answer lost): each is sent again, and the backup and its restore
    // go through.
    let busy = S3::start_with(&["--flaky"]);
    let out = ok(&a, &busy.args("backup", "alice", "s3://photos/busy"), &[SECRET]);
    assert!(out.contains("4 sent"), "{out}");
    let b = Env::new();
    let out = ok(&b, &busy.args("restore", "alice", "s3://photos/busy"), &[SECRET]);
    assert!(out.contains("restored alice with 4 photos"), "{out}");

    // Past the account's cap, uploads are refused with a 403, as B2 does: that is said to
    // be a full storage, not a wrong key, and nothing here changes.
    let full = S3::start_with(&["--cap", "20000"]);
    let refused = run(&a, &full.args("backup", "alice", "s3://photos/full"), &[SECRET]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("the storage is full or over its quota (Cannot upload files, storage cap exceeded.)"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(ids(&a, "alice"), before, "nothing changed here");
    // The location of the failed backup was not kept: the saved one is still the busy
    // server's, and a backup there has nothing to send.
    let out = a.ok(&["backup", "--user", "alice"], &[]);
    assert!(out.contains("0 sent") && out.contains("4 already there"), "{out}");
}

#[test]
fn two_computers_meet_in_one_bucket_and_each_ends_with_every_photo_once() {
    let s3 = S3::start();
    let laptop = Env::new();
    laptop.register("alice");
    let first = laptop.path("first");
    for i in 0..2 {
        write(&first, &format!("first {i}.jpg"), &jpeg(300, 200, 300 + i));
    }
    laptop.import("alice", &[&first]);
    ok(&laptop, &s3.args("backup", "alice", "s3://photos/shared"), &[SECRET]);
    // The second computer starts from the backup; then each imports its own photos.
    let desktop = Env::new();
    ok(&desktop, &s3.args("restore", "alice", "s3://photos/shared"), &[SECRET]);
    ok(&desktop, &s3.args("backup", "alice", "s3://photos/shared"), &[SECRET]);
    let mut files = vec![];
    for (env, name, seed) in [(&laptop, "laptop", 400), (&desktop, "desktop", 500)] {
        let dir = env.path(name);
        files.push(write(&dir, &format!("{name}.jpg"), &jpeg(320, 240, seed)));
        let (_, imported) = env.import("alice", &[&dir]);
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0].0.len(), 12, "new photos get 60-bit IDs");
    }
    // Each backs up (the other's photo stays listed in the bucket), then pulls.
    ok(&laptop, &["backup", "--user", "alice"].map(String::from), &[]);
    let out = ok(&desktop, &["backup", "--user", "alice", "--pull"].map(String::from), &[]);
    assert!(out.contains("pulled 1 photos"), "{out}");
    let out = ok(&laptop, &["backup", "--user", "alice", "--pull"].map(String::from), &[]);
    assert!(out.contains("pulled 1 photos"), "{out}");
    assert_eq!(ids(&laptop, "alice").len(), 4);
    assert_eq!(ids(&laptop, "alice"), ids(&desktop, "alice"), "the union on both, each photo once");
    for env in [&laptop, &desktop] {
        assert!(env.ok(&["verify", "--user", "alice"], &[]).contains("verified 4 photos: all intact"));
        // Every photo opens with the emails of both computers, byte for byte.
        let out_dir = env.path("all");
        env.export_all("alice", &out_dir, &[laptop.emails(), desktop.emails()].concat());
        for file in &files {
            assert_eq!(std::fs::read(out_dir.join(file.file_name().unwrap())).unwrap(), std::fs::read(file).unwrap());
        }
    }
    // Pulling again brings nothing; a photo deleted here is not brought back.
    let gone = ids(&desktop, "alice")[0].clone();
    desktop.ok(&["delete", "--user", "alice", "--id", &gone], &[]);
    let out = ok(&desktop, &["backup", "--user", "alice", "--pull"].map(String::from), &[]);
    assert!(out.contains("pulled 0 photos"), "{out}");
    assert_eq!(ids(&desktop, "alice").len(), 3);
    // It stays in the bucket (the laptop still has it) until pruned; the laptop keeps it.
    let out = ok(&desktop, &["backup", "--user", "alice", "--prune"].map(String::from), &[]);
    assert!(out.contains("removed 1 deleted photos"), "{out}");
    ok(&laptop, &["backup", "--user", "alice", "--pull"].map(String::from), &[]);
    assert_eq!(ids(&laptop, "alice").len(), 4, "a deletion elsewhere never deletes here");
}

#[test]
fn backups_go_on_across_password_changes_on_one_computer_and_on_two() {
    let s3 = S3::start();
    let laptop = Env::new();
    let words = laptop.register("alice");
    let first = laptop.path("first");
    write(&first, "before.jpg", &jpeg(300, 200, 600));
    laptop.import("alice", &[&first]);
    ok(&laptop, &s3.args("backup", "alice", "s3://photos/shared"), &[SECRET]);
    let desktop = Env::new();
    ok(&desktop, &s3.args("restore", "alice", "s3://photos/shared"), &[SECRET]);
    // The laptop changes the password, twice (the second time with the recovery words),
    // imports, and backs up: the snapshot follows.
    let second = "a brand new password nobody knows";
    laptop.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", second)]);
    let third = "the third password of alice";
    laptop.ok(&["recover", "--user", "alice"], &[("SPG_RECOVERY_KEY", &words), ("SPG_NEW_PASSWORD", third)]);
    let later = laptop.path("later");
    write(&later, "after.jpg", &jpeg(300, 200, 601));
    let now = [("SPG_PASSWORD", third)];
    laptop.ok(&["import", "--user", "alice", later.to_str().unwrap()], &now);
    let out = laptop.ok(&["backup", "--user", "alice"], &now);
    assert!(out.contains("backed up 2 photos") && out.contains("1 sent"), "{out}");
    // A new computer restores with the current password: every photo.
    let fresh = Env::new();
    let out = ok(&fresh, &s3.args("restore", "alice", "s3://photos/shared"), &[SECRET, now[0]]);
    assert!(out.contains("restored alice with 2 photos"), "{out}");
    assert!(fresh.ok(&["verify", "--user", "alice"], &now).contains("all intact"));
    let out_dir = fresh.path("all");
    let mut envs = now.to_vec();
    let emails = laptop.emails().iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    let mut args = vec!["export", "--user", "alice", "--all", "--out", out_dir.to_str().unwrap()];
    for e in &emails {
        args.extend(["--passwords-file", e]);
    }
    envs.push(("SPG_PASSWORD", third));
    fresh.ok(&args, &envs);
    assert_eq!(std::fs::read(out_dir.join("after.jpg")).unwrap(), jpeg(300, 200, 601));
    // The first password opens no newer backup, and says what to do.
    let old = run(&Env::new(), &s3.args("restore", "alice", "s3://photos/shared"), &[SECRET]);
    assert_eq!(old.status.code(), Some(1));
    assert!(stderr(&old).contains("restore it with your recovery words, which set a new password"), "{}", stderr(&old));
    // The desktop, still on the first password: its backup asks for the new one, takes the
    // change, and brings the laptop's photo.
    let mut args = s3.args("backup", "alice", "s3://photos/shared");
    args.push("--pull".into());
    let out = ok(&desktop, &args, &[SECRET, ("SPG_NEW_PASSWORD", third)]);
    assert!(out.contains("pulled 1 photos"), "{out}");
    assert_eq!(ids_with(&desktop, "alice", &now), ids_with(&laptop, "alice", &now));
    assert_eq!(desktop.run(&["list", "--user", "alice"], &[]).status.code(), Some(1), "the first password is gone");
    assert!(desktop.ok(&["verify", "--user", "alice"], &now).contains("all intact"));
}

/// A snapshot's entry as FORMAT.md lays it out: id, generation, record digest, previews
/// digest.
type SnapshotEntry = (u64, u32, [u8; 16], [u8; 16]);

/// What a FORMAT.md reader who knows `password` makes of the bucket's snapshot: the
/// generation's key, and the entries.
fn snapshot_key_and_photos(snapshot: &[u8], password: &str) -> (spg_core::crypto::SecretKey, Vec<SnapshotEntry>) {
    use spg_core::crypto::{Subkey, derive_subkey, open_padded};
    #[derive(serde::Deserialize)]
    struct Body {
        _record: Vec<u8>,
        photos: Vec<SnapshotEntry>,
        _written_at: i64,
    }
    let head: SnapshotHead = postcard::from_bytes(snapshot).unwrap();
    let k = head.key(password).expect("the password opens the snapshot");
    let aad = [b"secure-photo-gallery v3 backup account".as_slice(), &head.account.to_be_bytes()].concat();
    let body: Body =
        postcard::from_bytes(&open_padded(&derive_subkey(&k, Subkey::Backup), &aad, &head.body).unwrap()).unwrap();
    (k, body.photos)
}

#[test]
fn attack_5_a_photo_object_replaced_with_an_old_password_is_left_out_and_named() {
    let s3 = S3::start();
    let a = Env::new();
    let words = a.register("alice");
    let src = a.path("photos");
    write(&src, "mine.jpg", &jpeg(300, 200, 700));
    write(&src, "other.jpg", &jpeg(300, 200, 701));
    let (_, imported) = a.import("alice", &[&src]);
    let id_of = |name: &str| imported.iter().find(|(_, p)| p.ends_with(name)).unwrap().0.clone();
    let (mine, other) = (id_of("mine.jpg"), id_of("other.jpg"));
    ok(&a, &s3.args("backup", "alice", "s3://photos/a"), &[SECRET]);
    let remote = s3.remote("a");
    // Someone who knew the first password read the snapshot then.
    let (k1, entries) = snapshot_key_and_photos(&remote.get("account", 1 << 30).unwrap().unwrap(), PASSWORD);
    a.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", "a brand new password nobody knows")]);
    let now = ("SPG_PASSWORD", "a brand new password nobody knows");
    a.ok(&["backup", "--user", "alice"], &[now]);
    // With write access to the bucket, they put a record of their own in the place of `mine`.
    let number = |id: &str| id.parse::<spg_core::vault::PhotoId>().unwrap().as_u64();
    forge_in_place_of(&remote, &k1, &entries, number(&other), number(&mine));
    // A restore with the current password, and one with the recovery words: `mine` is left
    // out and named; `other` comes back and opens.
    let set = ("SPG_NEW_PASSWORD", "the password set at the restore");
    for (how, envs) in
        [("password", vec![SECRET, now]), ("recovery words", vec![SECRET, ("SPG_RECOVERY_KEY", words.as_str()), set])]
    {
        let b = Env::new();
        let mut args = s3.args("restore", "alice", "s3://photos/a");
        if how == "recovery words" {
            args.push("--use-recovery-key".into());
        }
        let out = run(&b, &args, &envs);
        assert_eq!(out.status.code(), Some(1), "{how}: {}", stdout(&out));
        assert!(stdout(&out).contains("restored alice with 1 photos"), "{how}: {}", stdout(&out));
        assert!(stderr(&out).contains(&mine), "{how}: named: {}", stderr(&out));
        let login = if how == "password" { now } else { ("SPG_PASSWORD", set.1) };
        assert_eq!(ids_with(&b, "alice", &[login]), vec![other.clone()], "{how}");
    }
}

/// Someone who knew an older password (so its generation's key `k1`) and can write the
/// bucket puts a record of their own in the place of photo `mine_id`: `other_id`'s rows made
/// over for `mine_id` (its metadata sealed for that id, its MAC made for it), which opens
/// with the first generation's keys as a genuine one does; and its preview, sealed as
/// `mine_id`'s.
fn forge_in_place_of(
    remote: &spg_core::remote::Remote,
    k1: &spg_core::crypto::SecretKey,
    entries: &[SnapshotEntry],
    other_id: u64,
    mine_id: u64,
) {
    use spg_core::crypto::{KeyedHasher, Subkey, derive_subkey, keyed_hash, open_padded, seal_padded};
    let entry = |id: u64| *entries.iter().find(|e| e.0 == id).unwrap();
    let hex = |mac: [u8; 32]| mac[..16].iter().map(|b| format!("{b:02x}")).collect::<String>();
    let names = derive_subkey(k1, Subkey::BackupNames);
    let data_name = |id: u64| format!("photos/{}", hex(keyed_hash(&names, &id.to_be_bytes())));
    let previews_name = |e: (u64, u32, [u8; 16], [u8; 16])| {
        format!("previews/{}", hex(keyed_hash(&names, &[b"previews".as_slice(), &e.0.to_be_bytes(), &e.3].concat())))
    };
    let kb = derive_subkey(k1, Subkey::Backup);
    let photo_aad =
        |id: u64| [b"secure-photo-gallery v2 backup photo".as_slice(), &1u64.to_be_bytes(), &id.to_be_bytes()].concat();
    let previews_aad = |id: u64| {
        [b"secure-photo-gallery v3 backup previews".as_slice(), &1u64.to_be_bytes(), &id.to_be_bytes()].concat()
    };
    #[derive(serde::Serialize, serde::Deserialize)]
    struct DataObject {
        record: Vec<u8>,
        segments: Vec<Vec<u8>>,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct PhotoRecord {
        header: Vec<u8>,
        meta: Vec<u8>,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Header {
        version: u8,
        generation: u32,
        nonce_prefix: [u8; 7],
        chunk_count: u32,
        key_by_password: Vec<u8>,
        key_by_recovery: Vec<u8>,
        ciphertext_mac: [u8; 32],
        content_hash: [u8; 32],
    }
    let theirs = remote.get(&data_name(other_id), 1 << 30).unwrap().unwrap();
    let mut object: DataObject =
        postcard::from_bytes(&open_padded(&kb, &photo_aad(other_id), &theirs).unwrap()).unwrap();
    let record: PhotoRecord = postcard::from_bytes(&object.record).unwrap();
    let mut header: Header = postcard::from_bytes(&record.header).unwrap();
    let mut mac = KeyedHasher::new(&derive_subkey(k1, Subkey::Verify));
    mac.update(&mine_id.to_be_bytes());
    for (i, segment) in object.segments.iter().enumerate() {
        mac.update(&(i as u32).to_be_bytes());
        mac.update(&(segment.len() as u64).to_be_bytes());
        mac.update(segment);
    }
    header.ciphertext_mac = mac.finalize();
    let new_header = postcard::to_allocvec(&header).unwrap();
    let meta_aad = |id: u64, h: &[u8]| {
        [b"secure-photo-gallery v1 metadata".as_slice(), &1u64.to_be_bytes(), &id.to_be_bytes(), h].concat()
    };
    let meta_key = derive_subkey(k1, Subkey::Metadata);
    let meta = open_padded(&meta_key, &meta_aad(other_id, &record.header), &record.meta).unwrap();
    let forged =
        PhotoRecord { meta: seal_padded(&meta_key, &meta_aad(mine_id, &new_header), &meta), header: new_header };
    object.record = postcard::to_allocvec(&forged).unwrap();
    remote
        .put(&data_name(mine_id), &seal_padded(&kb, &photo_aad(mine_id), &postcard::to_allocvec(&object).unwrap()))
        .unwrap();
    // And the preview: `other`'s thumbnail, sealed as `mine`'s.
    let theirs = remote.get(&previews_name(entry(other_id)), 1 << 30).unwrap().unwrap();
    let (thumbnail, private): (Option<Vec<u8>>, Option<Vec<u8>>) =
        postcard::from_bytes(&open_padded(&kb, &previews_aad(other_id), &theirs).unwrap()).unwrap();
    let thumb_key = derive_subkey(k1, Subkey::Thumbnail);
    let thumb_aad =
        |id: u64| [b"secure-photo-gallery v1 thumbnail".as_slice(), &1u64.to_be_bytes(), &id.to_be_bytes()].concat();
    let jpeg_bytes = open_padded(&thumb_key, &thumb_aad(other_id), &thumbnail.unwrap()).unwrap();
    let object = (Some(seal_padded(&thumb_key, &thumb_aad(mine_id), &jpeg_bytes)), private);
    remote
        .put(
            &previews_name(entry(mine_id)),
            &seal_padded(&kb, &previews_aad(mine_id), &postcard::to_allocvec(&object).unwrap()),
        )
        .unwrap();
}

#[test]
fn an_old_snapshot_put_back_is_restored_with_the_recovery_words_out_of_the_old_passwords_reach() {
    let s3 = S3::start();
    let remote = s3.remote("a");
    let laptop = Env::new();
    let words = laptop.register("alice");
    let first = write(&laptop.path("in"), "first.jpg", &jpeg(120, 90, 1));
    laptop.import("alice", &[&first]);
    ok(&laptop, &s3.args("backup", "alice", "s3://photos/a"), &[SECRET]);
    // Someone who knows the password (and the bucket's keys, from the settings) keeps the
    // snapshot of that time.
    let old_snapshot = remote.get("account", 1 << 30).unwrap().unwrap();
    // The owner learns of it: a new password, another photo, a backup. Then the one who
    // knew the old password puts the old snapshot back.
    let second = "a brand new password nobody knows";
    laptop.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", second)]);
    let later = write(&laptop.path("in2"), "second.jpg", &jpeg(120, 90, 2));
    laptop.ok(&["import", "--user", "alice", later.to_str().unwrap()], &[("SPG_PASSWORD", second)]);
    laptop.ok(&["backup", "--user", "alice"], &[("SPG_PASSWORD", second)]);
    remote.put("account", &old_snapshot).unwrap();

    // The laptop is lost. On a new computer the current password is refused, and the owner
    // is told when the backup's password was set and to use the recovery words.
    let desk = Env::new();
    let out = run(&desk, &s3.args("restore", "alice", "s3://photos/a"), &[SECRET, ("SPG_PASSWORD", second)]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains("with the password set on") && said.contains("restore it with your recovery words"),
        "{said}"
    );
    // Had the owner tried the old password, it would have restored, and said what to do: the
    // recovery words then set a new password (and prove the account's recovery key).
    let elsewhere = Env::new();
    let out = run(&elsewhere, &s3.args("restore", "alice", "s3://photos/a"), &[SECRET]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("run `recover --user alice` now"), "{}", stderr(&out));
    let fourth = ("SPG_NEW_PASSWORD", "the password set after the old one opened");
    elsewhere.ok(&["recover", "--user", "alice"], &[("SPG_RECOVERY_KEY", &words), fourth]);
    assert_eq!(elsewhere.run(&["list", "--user", "alice"], &[]).status.code(), Some(1));
    // The words restore it and set a new password: the account starts a generation of its own.
    let third = "the password alice chose at the restore";
    let mut args = s3.args("restore", "alice", "s3://photos/a");
    args.push("--use-recovery-key".into());
    let out = run(&desk, &args, &[SECRET, ("SPG_RECOVERY_KEY", &words), ("SPG_NEW_PASSWORD", third)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("The new password is set"), "{}", stderr(&out));
    assert_eq!(desk.run(&["list", "--user", "alice"], &[]).status.code(), Some(1), "the old password opens nothing");
    // Life goes on on the new computer: a photo, a backup with the saved settings.
    let now = [("SPG_PASSWORD", third)];
    let after = write(&desk.path("in3"), "after the restore.jpg", &jpeg(120, 90, 3));
    desk.ok(&["import", "--user", "alice", after.to_str().unwrap()], &now);
    let out = run(&desk, &s3.args("backup", "alice", "s3://photos/a"), &[SECRET, now[0]]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The old password opens neither the account here nor the bucket's snapshot now.
    let snapshot = remote.get("account", 1 << 30).unwrap().unwrap();
    let head: SnapshotHead = postcard::from_bytes(&snapshot).unwrap();
    assert!(head.key(PASSWORD).is_none());
    assert!(head.key(third).is_some());
    assert!(desk.ok(&["list", "--user", "alice"], &now).contains("after the restore.jpg"));
}

#[test]
fn prune_removes_the_photos_deleted_here_and_never_another_computers() {
    let s3 = S3::start();
    let remote = s3.remote("shared");
    let laptop = Env::new();
    laptop.register("alice");
    let src = laptop.path("in");
    write(&src, "kept.jpg", &jpeg(200, 150, 800));
    write(&src, "deleted here.jpg", &jpeg(200, 150, 801));
    let (_, imported) = laptop.import("alice", &[&src]);
    ok(&laptop, &s3.args("backup", "alice", "s3://photos/shared"), &[SECRET]);
    // A second computer restores, adds a photo of its own, and backs up.
    let desk = Env::new();
    ok(&desk, &s3.args("restore", "alice", "s3://photos/shared"), &[SECRET]);
    let own = write(&desk.path("in"), "desk only.jpg", &jpeg(200, 150, 802));
    desk.ok(&["import", "--user", "alice", own.to_str().unwrap()], &[]);
    ok(&desk, &s3.args("backup", "alice", "s3://photos/shared"), &[SECRET]);
    assert_eq!(remote.list("photos/").unwrap().len(), 3);
    // The laptop deletes a photo and changes the password: the bucket's snapshot, written by
    // the desk with the old one, is not taken. A backup with --prune removes the photo
    // deleted here, and nothing of the desk's.
    let gone = imported.iter().find(|(_, p)| p.ends_with("deleted here.jpg")).unwrap().0.clone();
    laptop.ok(&["delete", "--user", "alice", "--id", &gone], &[]);
    let now = ("SPG_PASSWORD", "a brand new password nobody knows");
    laptop.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", now.1)]);
    let mut args = s3.args("backup", "alice", "s3://photos/shared");
    args.push("--prune".into());
    let out = run(&laptop, &args, &[SECRET, now]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(remote.list("photos/").unwrap().len(), 2, "the laptop's kept photo and the desk's own");
    // The desk, taking the change, still backs up and lists its photo.
    let mut args = s3.args("backup", "alice", "s3://photos/shared");
    args.push("--pull".into());
    let out = run(&desk, &args, &[SECRET, ("SPG_NEW_PASSWORD", now.1)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(desk.ok(&["list", "--user", "alice"], &[now]).contains("desk only.jpg"));
}
