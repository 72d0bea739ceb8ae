//! The gallery grid of a vault with 10,000 photos (`SPG_BENCH_PHOTOS` for another count),
//! in the real app driven headless by egui_kittest: the time of one frame while scrolling
//! (egui's work for the frame: the visible rows laid out, thumbnail textures taken in as
//! they arrive, the accessibility tree; not the GPU's drawing), its 99th percentile and worst case over a scroll through
//! the whole grid, and the process's resident memory after that scroll (which includes
//! the 10,000-photo set-up's leftovers and Mesa's software renderer: an upper bound).
//! `cargo bench --bench grid` (`SPG_BENCH_PHOTOS=100000 cargo bench --bench grid` for the
//! scale of issue 17); results in docs/BENCHMARKS.md. `SPG_BENCH_VAULT=FILE` (with
//! `SPG_BENCH_PASSWORD`, user `bench`) opens an existing vault instead of making one: the
//! million-photo vault of `scripts/bench-scale.sh`, whose photos' thumbnails are small
//! enough for a million to fit on the disk. The scroll is at most 6,000 frames each way:
//! in a larger library each frame scrolls further.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use secure_photo_gallery::ui::{GalleryApp, ScreenKind};
use spg_core::fuzzing::fixtures::{BENCH_PASSWORD, BENCH_USER, vault_with_photos};

/// The second account, empty, that logs in after a lock (with [`BENCH_PASSWORD`], whatever
/// the vault's own account has).
const OTHER_USER: &str = "empty";

/// Photos in the vault, unless `SPG_BENCH_PHOTOS` says otherwise.
const PHOTOS: usize = 10_000;

fn wheel(dy: f32) -> egui::Event {
    egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    }
}

fn resident_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().split(' ').next()?.parse().ok());
    kb.unwrap_or(0) / 1024
}

fn grid(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, password) = match std::env::var_os("SPG_BENCH_VAULT") {
        Some(path) => (path.into(), std::env::var("SPG_BENCH_PASSWORD").expect("SPG_BENCH_PASSWORD is set")),
        None => {
            let photos = std::env::var("SPG_BENCH_PHOTOS").ok().and_then(|n| n.parse().ok()).unwrap_or(PHOTOS);
            (vault_with_photos(dir.path(), photos), BENCH_PASSWORD.to_string())
        }
    };
    // The login alone (Argon2id, then the manifest's head), to tell it from the rest; and a
    // second, empty account, for the login that follows a lock during loading.
    let login = {
        let vault = spg_core::vault::Vault::open(&vault).unwrap();
        if vault.login(OTHER_USER, BENCH_PASSWORD).is_err() {
            vault.register(OTHER_USER, "empty@example.com", BENCH_PASSWORD, spg_core::vault::Previews::Sharp).unwrap();
        }
        let started = Instant::now();
        let account = vault.login(BENCH_USER, &password).unwrap();
        let login = started.elapsed();
        // An album of a tenth of the photos (100,000 at most), unless the vault has one
        // (`scripts/bench-scale.sh` makes one at each checkpoint), to open in the app.
        if account.albums().unwrap().albums.is_empty() {
            let (photos, _) = account.list().unwrap();
            let ids: Vec<_> = photos.iter().map(|p| p.id).take((photos.len() / 10).min(100_000)).collect();
            account.add_to_album("Bench album", &ids, true).unwrap();
        }
        login
    };
    let before_app = resident_mb();
    let mut h = Harness::builder().with_size([1280.0, 800.0]).wgpu().build_eframe(|cc| GalleryApp::new(cc, &vault));
    while h.state().screen_kind() == ScreenKind::Opening {
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run_ok();
    type_login(&mut h, BENCH_USER, &password);
    let started = Instant::now();
    wait_until(&mut h, "the first thumbnails", |h| {
        matches!(h.state().screen_kind(), ScreenKind::Gallery { photos: 1.., thumbnails: 1.., .. })
    });
    eprintln!(
        "login to first thumbnails: {:.0} ms, of which the login itself (Argon2id) about {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3,
        login.as_secs_f64() * 1e3
    );
    // The first thumbnails may be the front of the list (the newest photos): the whole
    // list follows.
    wait_until(&mut h, "the whole list", |h| {
        matches!(h.state().screen_kind(), ScreenKind::Gallery { listed: true, .. })
    });
    let ScreenKind::Gallery { photos, .. } = h.state().screen_kind() else { unreachable!("the gallery is open") };
    eprintln!("login to the whole list ({photos} photos): {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    // One render starts kittest's renderer; until then it keeps every texture upload.
    h.render().expect("the headless renderer works");
    let after_login = resident_mb();
    h.hover_at(egui::pos2(640.0, 420.0));

    // Down the whole grid and back up, a wheel notch (120 points) per frame: 3,000 notches
    // cover the ~1,700 rows and 180 month headings of 10,000 photos in this window. Past
    // 20,000 photos, 6,000 frames each way, each scrolling further.
    let notches = 3000 * photos.div_ceil(10_000);
    let (frames_each_way, step) = (notches.min(6000), 120.0 * notches.div_ceil(6000) as f32);
    let mut frames = Vec::new();
    for dy in [-step, step] {
        for n in 0..frames_each_way {
            h.event(wheel(dy));
            let t = Instant::now();
            h.step();
            frames.push(t.elapsed());
            // A real window submits every frame; kittest only when it renders, and wgpu
            // keeps texture uploads in memory until a submit. Not timed.
            if n % 100 == 99 {
                h.render().expect("the headless renderer works");
            }
        }
    }
    frames.sort();
    let pct = |p: f64| frames[((frames.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    eprintln!(
        "scroll through {photos} photos: {} frames, median {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        frames.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
    );
    eprintln!(
        "resident: {before_app} MB before the app, {after_login} MB after login and the first render, {} MB after the scroll",
        resident_mb()
    );

    open_the_largest_album(&mut h, photos);

    let mut group = c.benchmark_group(format!("grid-{}k", photos / 1000));
    let mut down = true;
    let mut n = 0;
    group.bench_function("frame while scrolling", |b| {
        b.iter(|| {
            n += 1;
            if n % 500 == 0 {
                down = !down;
            }
            h.event(wheel(if down { -120.0 } else { 120.0 }));
            h.step();
            if n % 100 == 0 {
                h.render().expect("the headless renderer works");
            }
        })
    });
    group.finish();

    lock_and_log_in_another(&mut h, &password);
}

/// Opens the largest album from its card in the albums view, says how long the grid took
/// to show its photos, and closes it.
fn open_the_largest_album(h: &mut Harness<'_, GalleryApp>, photos: usize) {
    // The largest album opened from its card: the time until the grid shows its photos.
    h.get_by_label("Albums").click();
    let is_card = |label: &str| label.starts_with("Album ") && label.ends_with(" photos");
    wait_until(h, "the albums view", |h| {
        h.query_all_by_role(Role::Button).any(|n| n.accesskit_node().label().is_some_and(|l| is_card(&l)))
    });
    let card = h
        .query_all_by_role(Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|label| is_card(label))
        .max_by_key(|label| {
            let count = label.rsplit(", ").next().and_then(|n| n.split(' ').next()).unwrap_or_default();
            count.replace(',', "").parse::<u64>().unwrap_or(0)
        })
        .expect("an album's card");
    h.get_by_label(&card).click();
    let opened = wait_until(
        h,
        "the album",
        |h| matches!(h.state().screen_kind(), ScreenKind::Gallery { photos: shown, .. } if shown < photos),
    );
    h.render().expect("the headless renderer works");
    eprintln!("{card}: opened in {:.0} ms (click to the grid showing its photos)", opened.as_secs_f64() * 1e3);
    h.run_ok();
    h.get_by_label("× All photos").click();
    h.run_ok();
}

/// Locks while the list is being read, then another (empty) account logs in at once: its
/// gallery should come as fast as after a plain lock, not when the locked session's work
/// lets go of the vault.
fn lock_and_log_in_another(h: &mut Harness<'_, GalleryApp>, password: &str) {
    for during_loading in [false, true] {
        h.get_by_label("🔒 Lock").click();
        wait_until(h, "the login screen", |h| h.state().screen_kind() == ScreenKind::Login);
        if during_loading {
            type_login(h, BENCH_USER, password);
            wait_until(h, "the gallery", |h| matches!(h.state().screen_kind(), ScreenKind::Gallery { .. }));
            h.get_by_label("🔒 Lock").click();
            wait_until(h, "the login screen", |h| h.state().screen_kind() == ScreenKind::Login);
        }
        type_login(h, OTHER_USER, BENCH_PASSWORD);
        // Its gallery is on screen: its (empty) list is read in the next moments.
        let took = wait_until(h, "the other account's gallery", |h| {
            matches!(h.state().screen_kind(), ScreenKind::Gallery { photos: 0, .. })
        });
        eprintln!(
            "login of an empty account after a lock {}: {:.0} ms to its gallery",
            if during_loading { "during the loading of the other's list" } else { "of a loaded gallery" },
            took.as_secs_f64() * 1e3
        );
        h.get_by_label("🔒 Lock").click();
        wait_until(h, "the login screen", |h| h.state().screen_kind() == ScreenKind::Login);
        if !during_loading {
            type_login(h, BENCH_USER, password);
            wait_until(h, "the gallery", |h| {
                matches!(h.state().screen_kind(), ScreenKind::Gallery { photos: 1.., thumbnails: 1.., .. })
            });
        }
    }
}

/// Types `user` and `password` into the login screen and presses Enter.
fn type_login(h: &mut Harness<'_, GalleryApp>, user: &str, password: &str) {
    h.run_ok();
    for (role, label, text) in [(Role::TextInput, "User name", user), (Role::PasswordInput, "Password", password)] {
        h.get_by_role_and_label(role, label).focus();
        h.run_ok();
        h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        h.key_press(egui::Key::Backspace);
        h.get_by_role_and_label(role, label).type_text(text);
        h.run_ok();
    }
    h.key_press(egui::Key::Enter);
}

/// Steps the app until `done`; how long that took.
fn wait_until(
    h: &mut Harness<'_, GalleryApp>,
    what: &str,
    done: impl Fn(&Harness<'_, GalleryApp>) -> bool,
) -> Duration {
    let started = Instant::now();
    while !done(h) {
        if started.elapsed() > Duration::from_secs(300) {
            let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-timeout.png");
            if let Ok(image) = h.render() {
                let _ = image.save(&shot);
            }
            panic!("{what} did not come ({:?}); the screen is in {}", h.state().screen_kind(), shot.display());
        }
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    started.elapsed()
}

criterion_group!(benches, grid);
criterion_main!(benches);
