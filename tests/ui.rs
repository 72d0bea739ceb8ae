//! The desktop app, driven headless with egui_kittest by accessible labels, as a user
//! would: register, see the recovery key, log in, import photos (by path), see the
//! thumbnails, open a locked photo, paste the password email, view it, export it, lock.
//! Snapshots of the screens are compared with `tests/snapshots/*.png` (rendered by
//! Mesa's software Vulkan; `UPDATE_SNAPSHOTS=1` rewrites them after a deliberate change).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::{Harness, SnapshotResults};
use secure_photo_gallery::ui::{GalleryApp, ScreenKind};

fn screen_kind(app: &GalleryApp) -> ScreenKind {
    app.screen_kind()
}

/// The app on `vault`, once it has opened it (on a worker thread).
fn harness(vault: &Path) -> Harness<'static, GalleryApp> {
    harness_sized(vault, [1100.0, 760.0])
}

/// [`harness`] in a window of `size` points.
fn harness_sized(vault: &Path, size: [f32; 2]) -> Harness<'static, GalleryApp> {
    let vault = vault.to_path_buf();
    let mut h = Harness::builder().with_size(size).wgpu().build_eframe(move |cc| GalleryApp::new(cc, &vault));
    wait_for(&mut h, "the vault to open", |h| screen_kind(h.state()) != ScreenKind::Opening);
    h
}

/// Steps the app until `done` holds; worker threads answer in their own time. The
/// limit only keeps a broken build from hanging CI.
fn wait_for(harness: &mut Harness<'_, GalleryApp>, what: &str, done: impl Fn(&Harness<'_, GalleryApp>) -> bool) {
    for _ in 0..1500 {
        harness.step();
        if done(harness) {
            harness.run_ok();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-timeout.png");
    if let Ok(image) = harness.render() {
        let _ = image.save(&shot);
    }
    panic!("timed out waiting for {what}; the screen is in {}", shot.display());
}

/// Types `user` and the test password into the login form and presses Enter.
fn log_in(h: &mut Harness<'_, GalleryApp>, user: &str) {
    type_into(h, Role::TextInput, "User name", user);
    type_into(h, Role::PasswordInput, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
}

/// Pastes a password email into the open unlock dialog and clicks Unlock.
fn paste_and_unlock(h: &mut Harness<'_, GalleryApp>, email: &str) {
    h.get_by_role_and_label(Role::MultilineTextInput, "Photo password or email").focus();
    h.run_ok();
    h.event(egui::Event::Paste(email.to_string()));
    h.run_ok();
    h.get_by_label("Unlock").click();
}

/// Waits until no one holds `vault` open (a closed window's worker threads end on their
/// own time).
fn wait_until_free(vault: &Path) {
    for _ in 0..500 {
        if spg_core::vault::Vault::open(vault).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the vault stayed in use");
}

/// The viewer's scale, as shown beside its zoom buttons.
fn zoom_shown(harness: &Harness<'_, GalleryApp>) -> String {
    let mut labels = harness.query_all_by_role(Role::Label).filter_map(|n| n.accesskit_node().value());
    labels.find(|text| text.ends_with('%')).unwrap_or_default()
}

fn has_label(harness: &Harness<'_, GalleryApp>, label: &str) -> bool {
    harness.query_by_label(label).is_some()
}

fn type_into(harness: &mut Harness<'_, GalleryApp>, role: Role, label: &str, text: &str) {
    let field = harness.get_by_role_and_label(role, label);
    field.focus();
    harness.run_ok();
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.run_ok();
}

#[test]
#[allow(clippy::too_many_lines, reason = "one user's journey, told in order")]
fn register_login_import_unlock_view_export_and_lock() {
    let env = Env::new();
    let photos = env.path("photos");
    let beach = write(&photos, "beach.jpg", &jpeg_taken(900, 600, 1, "2024:06:15 10:30:00"));
    write(&photos, "garden.jpg", &jpeg_taken(600, 800, 2, "2024:06:02 09:00:00"));
    write(&photos, "harbour.jpg", &jpeg_taken(800, 500, 3, "2023:12:24 16:45:00"));
    // A scan has no date taken: it is grouped last, under "No date".
    write(&photos, "scan.jpg", &jpeg(400, 560, 4));
    let mut snapshots = SnapshotResults::new();
    let mut h = harness(&env.vault);
    h.run_ok();

    // A new vault starts on registration, the cursor in the user name.
    assert!(matches!(screen_kind(h.state()), ScreenKind::Register));
    assert!(has_label(&h, "Welcome: create your account"));
    assert!(h.query_by_label("Back to log in").is_none(), "nothing to go back to in a new vault");
    // A guessable password is refused, with the reason, before anything is sent.
    type_into(&mut h, Role::TextInput, "User name", "alice");
    type_into(&mut h, Role::TextInput, "Email", "alice@example.com");
    type_into(&mut h, Role::PasswordInput, "Password", "password");
    type_into(&mut h, Role::PasswordInput, "Repeat password", "password");
    assert!(h.query_by_label_contains("too easy to guess").is_some(), "the meter says why");
    assert!(h.get_by_label("Create account").accesskit_node().is_disabled());
    for field in ["Password", "Repeat password"] {
        h.get_by_role_and_label(Role::PasswordInput, field).focus();
        h.run_ok();
        h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        h.key_press(egui::Key::Backspace);
        h.run_ok();
    }
    h.get_by_role_and_label(Role::TextInput, "User name").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    h.get_by_role_and_label(Role::TextInput, "Email").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    h.run_ok();

    // Register.
    type_into(&mut h, Role::TextInput, "User name", "alice");
    type_into(&mut h, Role::TextInput, "Email", "alice@example.com");
    type_into(&mut h, Role::PasswordInput, "Password", PASSWORD);
    type_into(&mut h, Role::PasswordInput, "Repeat password", PASSWORD);
    // The eye beside a password field shows what was typed, and hides it again.
    h.get_all_by_label("Show password").next().unwrap().click();
    h.run_ok();
    assert!(h.query_by_role_and_label(Role::TextInput, "Password").is_some(), "shown");
    h.get_all_by_label("Show password").next().unwrap().click();
    h.run_ok();
    assert!(h.query_by_role_and_label(Role::TextInput, "Password").is_none(), "hidden again");
    snapshots.add(h.try_snapshot("register"));
    // Left shown here: no later screen shows its password field's text (the lock below).
    h.get_all_by_label("Show password").next().unwrap().click();
    h.run_ok();
    h.get_by_label("Create account").click();
    wait_for(&mut h, "the recovery key", |h| has_label(h, "I have saved my recovery key"));
    assert!(matches!(screen_kind(h.state()), ScreenKind::Recovery));
    let next = "Continue to my photos";
    assert!(h.get_by_label(next).accesskit_node().is_disabled(), "continue waits for the confirmation");
    h.get_by_label("📋 Copy the words").click();
    h.run_ok();
    assert!(has_label(&h, "✔ Copied"), "copying says so");
    // No desktop portal here, so no file dialog: the screen asks for the path itself.
    h.get_by_label("💾 Save as text file…").click();
    wait_for(&mut h, "the save fallback", |h| h.query_by_label_contains("No file dialog is available").is_some());
    let words_file = env.path("my recovery key.txt");
    let field = h.get_by_role_and_label(Role::TextInput, "Save to");
    field.focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Save to").type_text(&words_file.display().to_string());
    h.run_ok();
    h.get_by_label("Save").click();
    h.run_ok();
    assert!(h.query_by_label_contains("Saved to").is_some(), "saving says where");
    let saved = std::fs::read_to_string(&words_file).unwrap();
    assert_eq!(saved.lines().nth(2).map(|l| l.split(' ').count()), Some(24), "{saved}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&words_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    h.get_by_label("I have saved my recovery key").click();
    h.run_ok();
    assert!(!h.get_by_label(next).accesskit_node().is_disabled());
    // Straight into the new account: no second typing of the password.
    h.get_by_label(next).click();
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
    wait_for(&mut h, "the empty gallery", |h| has_label(h, "No photos yet"));
    // No SMTP server yet: the gallery says plainly where the password emails go.
    let notice =
        h.query_all_by_role(Role::Label).filter_map(|n| n.accesskit_node().value()).find(|t| t.contains("outbox"));
    assert!(notice.is_some_and(|t| t.contains("beside the vault")), "the outbox notice");
    assert!(has_label(&h, "Set up email…"));

    // Import the folder by path, through the in-app chooser.
    h.get_by_label("➕ Import").click();
    h.run_ok();
    h.get_by_label("From a path…").click();
    h.run_ok();
    let path_field = h.get_by_role_and_label(Role::TextInput, "Path");
    path_field.focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_role_and_label(Role::TextInput, "Path").type_text(photos.to_str().unwrap());
    h.run_ok();
    // Entered when the field is left; each photo shows a preview.
    h.key_press(egui::Key::Enter);
    h.run_ok();
    wait_for(&mut h, "the previews", |h| has_label(h, "Preview of beach.jpg") && has_label(h, "Preview of scan.jpg"));
    h.get_by_label("Import this folder").click();
    wait_for(&mut h, "the import to finish", |h| has_label(h, "Imported 4 photos"));
    wait_for(&mut h, "every thumbnail", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 4, thumbnails: 4, .. })
    });
    assert!(has_label(&h, "June 2024") && has_label(&h, "December 2023"), "month headings");
    assert!(has_label(&h, "No date"), "the scan's group");
    h.get_by_label("Close").click();
    h.run_ok();
    snapshots.add(h.try_snapshot("gallery"));

    // Open a locked photo: select it and press Enter; the unlock dialog asks for its password.
    h.get_by_label("beach.jpg (locked)").click();
    h.run_ok();
    h.key_press(egui::Key::Enter);
    h.run_ok();
    assert!(has_label(&h, "🔒 Unlock beach.jpg"));
    snapshots.add(h.try_snapshot("unlock"));
    // A wrong password is refused where it was typed.
    type_into(&mut h, Role::MultilineTextInput, "Photo password or email", "AAAAA-AAAAA-AAAAA-AAAAA");
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the refusal", |h| {
        has_label(h, "cannot open photo") || h.query_by_label_contains("that is not its password").is_some()
    });
    // Pasting the whole email unlocks every photo it lists, and opens this one.
    h.get_by_role_and_label(Role::MultilineTextInput, "Photo password or email").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    let email = String::from_utf8(std::fs::read(&env.emails()[0]).unwrap()).unwrap();
    h.event(egui::Event::Paste(email));
    h.run_ok();
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { unlocked: 4, .. }));
    assert!(has_label(&h, "Photo") && has_label(&h, "900 × 600"));
    snapshots.add(h.try_snapshot("viewer"));
    // Zoom: the 100% button, the keys (+, -, 0 back to fit), and a double-click (100%,
    // then fit again); the scale is shown beside the zoom buttons.
    assert!(zoom_shown(&h).starts_with("Fit · "), "{}", zoom_shown(&h));
    h.get_by_role_and_label(Role::Button, "100%").click();
    h.run_ok();
    assert_eq!(zoom_shown(&h), "100%");
    for (key, shown) in [(egui::Key::Plus, "125%"), (egui::Key::Minus, "100%"), (egui::Key::Minus, "80%")] {
        h.key_press(key);
        h.run_ok();
        assert_eq!(zoom_shown(&h), shown, "after {key:?}");
    }
    h.key_press(egui::Key::Num0);
    h.run_ok();
    assert!(zoom_shown(&h).starts_with("Fit · "), "{}", zoom_shown(&h));
    let at = h.get_by_label("Photo").rect().center();
    for shown in ["100%", "Fit · "] {
        // Both clicks in one frame: kittest gives each queued event a frame of its own,
        // 0.25 s apart, too slow for a double-click.
        h.input_mut().events.push(egui::Event::PointerMoved(at));
        for pressed in [true, false, true, false] {
            let button = egui::PointerButton::Primary;
            let modifiers = egui::Modifiers::NONE;
            h.input_mut().events.push(egui::Event::PointerButton { pos: at, button, pressed, modifiers });
        }
        h.run_ok();
        assert!(zoom_shown(&h).starts_with(shown), "a double-click: {}", zoom_shown(&h));
    }

    // Export the open photo to a folder: the exact original bytes.
    let out = env.path("exported");
    h.get_by_label("💾 Export photo…").click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Path").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_role_and_label(Role::TextInput, "Path").type_text(out.to_str().unwrap());
    h.run_ok();
    h.get_by_label("Export here").click();
    wait_for(&mut h, "the export", |h| h.query_by_label_contains("Exported 1 photo to").is_some());
    assert_eq!(std::fs::read(out.join("beach.jpg")).unwrap(), std::fs::read(&beach).unwrap());

    // Lock: back to the login screen, the session and its keys gone.
    h.key_press(egui::Key::Escape);
    h.run_ok();
    h.get_by_label("🔒 Lock").click();
    h.run_ok();
    assert!(matches!(screen_kind(h.state()), ScreenKind::Login));
    assert!(h.query_by_role_and_label(Role::TextInput, "Password").is_none(), "the password hidden again");
    snapshots.add(h.try_snapshot("login"));

    // Log in again: the user name is filled in, the cursor is in the password; a wrong
    // one keeps the cursor there to type again, and Enter logs in.
    h.get_by_role_and_label(Role::PasswordInput, "Password").type_text("not my password at all");
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the refusal", |h| h.query_by_label_contains("wrong user name or password").is_some());
    h.get_by_role_and_label(Role::PasswordInput, "Password").type_text(PASSWORD);
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 4, .. }));
    snapshots.unwrap();
}

#[test]
fn a_second_window_on_the_same_vault_says_it_is_in_use() {
    let env = Env::new();
    let _first = spg_core::vault::Vault::open(&env.vault).unwrap();
    let mut h = harness(&env.vault);
    h.run_ok();
    assert!(matches!(screen_kind(h.state()), ScreenKind::Fatal));
    assert!(h.query_by_label_contains("in use by another").is_some());
}

#[test]
fn a_vault_left_open_by_a_crash_is_checked_and_the_login_says_so() {
    use std::io::BufRead as _;
    let env = Env::new();
    env.register_fresh("alice");
    let photos = env.path("photos");
    // More than an import writes in one transaction (32), so that photos are still being
    // written when the first are said to be stored.
    for i in 0..160 {
        write(&photos, &format!("p{i}.jpg"), &jpeg(96, 64, 400 + i));
    }
    // An import killed just after it stored its first photos, before it ended: redb must
    // repair the vault when it is next opened.
    let mut child = env.spawn(&["import", "--user", "alice", photos.to_str().unwrap()]);
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let stored = lines.map_while(Result::ok).any(|line| line.starts_with("imported "));
    let _ = child.kill();
    child.wait().unwrap();
    assert!(stored, "the import stored nothing before it was killed");

    let h = harness(&env.vault);
    assert!(matches!(screen_kind(h.state()), ScreenKind::Login));
    assert!(h.query_by_label_contains("was not closed properly").is_some(), "the login says the vault was checked");
}

#[test]
fn a_password_manager_typing_user_tab_password_enter_in_one_go_logs_in() {
    let env = Env::new();
    env.register_fresh("carol");
    let mut h = harness(&env.vault);
    h.run_ok();
    // Auto-type sends every key at once: they arrive in one frame. egui moves the focus
    // on Tab only at the end of a frame; the app holds back what follows a Tab.
    let key = |key, pressed| egui::Event::Key {
        key,
        physical_key: None,
        pressed,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    };
    let events = vec![
        egui::Event::Text("carol".into()),
        key(egui::Key::Tab, true),
        key(egui::Key::Tab, false),
        egui::Event::Text(PASSWORD.into()),
        key(egui::Key::Enter, true),
        key(egui::Key::Enter, false),
    ];
    let auto_type = |h: &mut Harness<'_, GalleryApp>| {
        h.input_mut().events.extend(events.clone());
        for _ in 0..4 {
            // What eframe does with the window's input before each frame.
            let (ctx, mut input) = (h.ctx.clone(), std::mem::take(h.input_mut()));
            eframe::App::raw_input_hook(h.state_mut(), &ctx, &mut input);
            *h.input_mut() = input;
            h.step();
        }
        wait_for(h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
    };
    auto_type(&mut h);
    // Locked, the form remembers the user name and waits in the password field; the same
    // auto-type still logs in (the user name is typed over the remembered one).
    h.get_by_label("🔒 Lock").click();
    wait_for(&mut h, "the login", |h| has_label(h, "Log in"));
    auto_type(&mut h);
    // In a real window the keys come a few a frame: the same, frame after frame.
    h.get_by_label("🔒 Lock").click();
    wait_for(&mut h, "the login", |h| has_label(h, "Log in"));
    let mut keys: Vec<egui::Event> = "carol".chars().map(|c| egui::Event::Text(c.to_string())).collect();
    keys.extend([key(egui::Key::Tab, true), key(egui::Key::Tab, false), egui::Event::Text(PASSWORD.into())]);
    keys.extend([key(egui::Key::Enter, true), key(egui::Key::Enter, false)]);
    for event in keys.into_iter().chain(std::iter::repeat_n(egui::Event::WindowFocused(true), 3)) {
        let (ctx, mut input) = (h.ctx.clone(), std::mem::take(h.input_mut()));
        input.events.push(event);
        eframe::App::raw_input_hook(h.state_mut(), &ctx, &mut input);
        *h.input_mut() = input;
        h.step();
    }
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
    // A person typing the password, a key a frame, into the remembered user's form.
    h.get_by_label("🔒 Lock").click();
    wait_for(&mut h, "the login", |h| has_label(h, "Log in"));
    for c in PASSWORD.chars() {
        h.event(egui::Event::Text(c.to_string()));
        h.step();
    }
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
    // With the cursor put in the user name field and its text selected, the same keys
    // fill both fields as on a first run (they are not taken for a name typed into the
    // password field, which would send the password into the user name field).
    h.get_by_label("🔒 Lock").click();
    wait_for(&mut h, "the login", |h| has_label(h, "Log in"));
    h.get_by_role_and_label(Role::TextInput, "User name").focus();
    h.run_ok();
    let select_all = |pressed| egui::Event::Key {
        key: egui::Key::A,
        physical_key: None,
        pressed,
        repeat: false,
        modifiers: egui::Modifiers::COMMAND,
    };
    h.input_mut().events.extend([select_all(true), select_all(false)]);
    h.step();
    auto_type(&mut h);
    // A password typed at once and followed by a Tab is not a user name: it stays hidden
    // in its field, and the remembered name stays.
    h.get_by_label("🔒 Lock").click();
    wait_for(&mut h, "the login", |h| has_label(h, "Log in"));
    let (ctx, mut input) = (h.ctx.clone(), std::mem::take(h.input_mut()));
    input.events.extend([egui::Event::Text(PASSWORD.into()), key(egui::Key::Tab, true), key(egui::Key::Tab, false)]);
    eframe::App::raw_input_hook(h.state_mut(), &ctx, &mut input);
    *h.input_mut() = input;
    h.step();
    h.run_ok();
    let user = h.get_by_role_and_label(Role::TextInput, "User name").accesskit_node().value().unwrap_or_default();
    assert_eq!(user, "carol");
}

/// A dropped file as the window system hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// The app on `env`'s vault with an account "bob" (made through the library), logged in
/// through the window, in the empty gallery.
fn bob_in_an_empty_gallery(env: &Env) -> Harness<'static, GalleryApp> {
    let vault = spg_core::vault::Vault::open(&env.vault).unwrap();
    vault.register("bob", "bob@example.com", PASSWORD, spg_core::vault::Previews::Sharp).unwrap();
    drop(vault);
    let mut h = harness(&env.vault);
    h.run_ok();
    type_into(&mut h, Role::TextInput, "User name", "bob");
    type_into(&mut h, Role::PasswordInput, "Password", PASSWORD);
    h.get_by_label("Log in").click();
    wait_for(&mut h, "the gallery", |h| has_label(h, "No photos yet"));
    h
}

#[test]
fn a_dropped_folder_of_odd_and_broken_files_imports_what_opens_and_lists_the_rest() {
    use spg_core::fuzzing::fixtures::{TiffLayout, tiff};
    let env = Env::new();
    let folder = env.path("mixed");
    write(&folder, "good.jpg", &jpeg(320, 240, 70));
    // Made the tiff crate panic inside import; now decoded plane by plane.
    write(
        &folder,
        "planar.tif",
        &tiff(64, 40, TiffLayout { tiled: true, planar: true, sixteen_bit: true, alpha: true }),
    );
    // Junk before a marker: libjpeg only warns.
    let mut junk = jpeg(200, 150, 71);
    let app0_end = 4 + usize::from(u16::from_be_bytes([junk[4], junk[5]]));
    junk.splice(app0_end..app0_end, *b"\x00junk");
    write(&folder, "junk.jpg", &junk);
    write(&folder, "notes.jpg", b"not a photo at all");
    write(&folder, "cut.png", &png(64, 64, 72)[..80]);
    let mut h = bob_in_an_empty_gallery(&env);
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(folder.clone())));
    h.run_ok();
    wait_for(&mut h, "the import", |h| h.query_by_label_contains("Imported 3 photos, refused 2").is_some());
    // The refusals wait, folded, under the summary; opened, each says why in one sentence.
    h.get_by_label("2 files not imported").click();
    h.run_ok();
    let reasons: Vec<String> = h
        .query_all_by_role(Role::Label)
        .filter_map(|n| n.accesskit_node().value())
        .filter(|t| t.contains(": "))
        .collect();
    for name in ["notes.jpg", "cut.png"] {
        let line = reasons.iter().find(|r| r.contains(name)).unwrap_or_else(|| panic!("{name} in {reasons:?}"));
        assert!(!line.contains('{') && !line.contains("Error"), "{line}");
    }
    h.get_by_label("Close").click();
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));
}

#[test]
fn lock_during_an_import_asks_first_and_can_wait_for_its_end() {
    let env = Env::new();
    let folder = env.path("many");
    for n in 0..80 {
        write(&folder, &format!("p{n:03}.jpg"), &jpeg(640, 480, 300 + n));
    }
    let mut h = bob_in_an_empty_gallery(&env);
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(folder)));
    h.run_ok();
    h.get_by_label("🔒 Lock").click();
    h.run_ok();
    assert!(has_label(&h, "An import is running"), "Lock asks while the import runs");
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
    h.get_by_label("Lock when it ends").click();
    h.run_ok();
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }), "open until the import ends");
    wait_for(&mut h, "the lock", |h| screen_kind(h.state()) == ScreenKind::Login);
    assert_eq!(env.passwords().len(), 80, "every photo stored and mailed before the lock");
}

#[test]
fn a_password_typed_without_its_photo_finds_it_and_one_for_the_selected_photo_opens_it() {
    let env = Env::new();
    let mut h = bob_in_an_empty_gallery(&env);
    // Three imports, one photo each: the new password of each is its photo's.
    let mut password_of = std::collections::BTreeMap::new();
    for (n, name) in ["letter.jpg", "passport.jpg", "receipt.jpg"].into_iter().enumerate() {
        let folder = env.path(&format!("drop{n}"));
        write(&folder, name, &jpeg(320, 240, 80 + n as u32));
        let before = env.passwords();
        h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(folder)));
        h.run_ok();
        wait_for(&mut h, "the import", |h| has_label(h, "Imported 1 photo"));
        h.get_by_label("Close").click();
        wait_for(
            &mut h,
            "the list",
            |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos, .. } if photos == n + 1),
        );
        let new = env.passwords().into_iter().find(|p| !before.contains(p)).expect("its password email");
        password_of.insert(name, new.1);
    }
    // Nothing selected, and a password that opens none of the photos: said in the dialog.
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    type_into(&mut h, Role::MultilineTextInput, "Photo password or email", "AAAAA-AAAAA-AAAAA-AAAAA");
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the search", |h| h.query_by_label_contains("none of your locked photos opens").is_some());
    // New text takes the old error away.
    type_into(&mut h, Role::MultilineTextInput, "Photo password or email", "B");
    assert!(h.query_by_label_contains("none of your locked photos opens").is_none());
    h.get_by_label("Cancel").click();
    h.run_ok();
    // Nothing selected, the password of the photo imported first (the search goes newest
    // first): found among the locked photos, and only that one opens.
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    type_into(&mut h, Role::MultilineTextInput, "Photo password or email", &password_of["letter.jpg"]);
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the unlock", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { unlocked: 1, .. }));
    assert!(h.query_by_label("letter.jpg").is_some(), "letter.jpg unlocked");
    assert!(h.query_by_label("passport.jpg (locked)").is_some() && h.query_by_label("receipt.jpg (locked)").is_some());
    // A photo selected, as the email says: its password opens it.
    h.get_by_label("passport.jpg (locked)").click();
    h.run_ok();
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    type_into(&mut h, Role::MultilineTextInput, "Photo password or email", &password_of["passport.jpg"]);
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the unlock", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { unlocked: 2, .. }));
    wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
    // Arrowed onto the locked receipt (beside passport.jpg, before or after it as the
    // import times fall): said in the viewer, with no dialog at each step.
    h.key_press(egui::Key::ArrowRight);
    h.run_ok();
    if !has_label(&h, "🔒 This photo is locked") {
        h.key_press(egui::Key::ArrowLeft);
        h.run_ok();
        h.key_press(egui::Key::ArrowLeft);
        h.run_ok();
    }
    assert!(has_label(&h, "🔒 This photo is locked"));
    assert!(h.query_by_label("Photo password or email").is_none(), "no dialog at each step");
    h.get_by_label("🔑 Unlock this photo…").click();
    h.run_ok();
    assert!(h.query_by_label("Photo password or email").is_some(), "the viewer's Unlock… asks");
    // Its password from the email files (chosen in the app's chooser, on the way): the
    // viewer shows the photo at once.
    h.get_by_label("📂 Open email files…").click();
    wait_for(&mut h, "the chooser", |h| has_label(h, "Unlock from password emails"));
    for email in env.emails() {
        h.get_by_label(&format!("✉ {}", email.file_name().unwrap().to_string_lossy())).click();
        h.run_ok();
    }
    h.get_by_label("Unlock from 3 files").click();
    wait_for(&mut h, "the photo in the viewer", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { unlocked: 3, viewing: true, .. })
    });
    assert!(!has_label(&h, "🔒 This photo is locked"), "the viewer shows the photo it was on");
}

#[test]
fn drop_to_import_select_with_keys_delete_and_change_settings() {
    let env = Env::new();
    let photos = env.path("drop");
    for (i, name) in ["a.jpg", "b.jpg", "c.jpg"].iter().enumerate() {
        write(&photos, name, &jpeg_taken(320, 240, 10 + i as u32, &format!("2022:0{}:10 12:00:00", i + 1)));
    }
    let mut h = bob_in_an_empty_gallery(&env);

    // Drop the folder on the window.
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(photos.clone())));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 3 photos"));
    h.get_by_label("Close").click();
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));

    // Arrow keys move and Shift extends the selection; Delete asks first.
    h.key_press(egui::Key::ArrowRight);
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run_ok();
    assert!(h.query_by_label_contains("2 selected").is_some());
    h.key_press(egui::Key::Delete);
    h.run_ok();
    assert!(has_label(&h, "Delete 2 photos?"));
    // Keys belong to the dialog: Enter takes the safe choice, Cancel, and opens nothing
    // behind it; Esc closes the dialog alone.
    h.key_press(egui::Key::Enter);
    h.run_ok();
    assert!(!has_label(&h, "Delete 2 photos?"), "Enter cancelled");
    assert!(!has_label(&h, "🔒 Unlock b.jpg") && h.query_by_label_contains("Unlock a.jpg").is_none(), "nothing opened");
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));
    h.key_press(egui::Key::Delete);
    h.run_ok();
    assert!(has_label(&h, "Delete 2 photos?"));
    h.key_press(egui::Key::Escape);
    h.run_ok();
    assert!(!has_label(&h, "Delete 2 photos?"));
    assert!(h.query_by_label_contains("2 selected").is_some(), "Esc closed the dialog, not the selection");
    h.key_press(egui::Key::Delete);
    h.run_ok();
    h.get_by_label("Delete").click();
    wait_for(&mut h, "the deletion", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));
    assert!(h.query_by_label_contains("Deleted 2 photos").is_some());

    // Settings: light theme, and a new password that works after locking.
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    h.get_by_label("Light").click();
    h.run_ok();
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
    // File names on the tiles, when asked for.
    let names = |h: &Harness<'_, GalleryApp>| h.query_all_by_label_contains(".jpg").count();
    let before = names(&h);
    h.get_by_label("Show file names on the photos").click();
    h.run_ok();
    assert_eq!(names(&h), before + 1, "the one tile has its caption");
    // The window sits under the toolbar and the search bar, which stay usable.
    let settings_top = h.get_by_label("Appearance").rect().top();
    assert!(h.get_by_label("🔒 Lock").rect().bottom() < settings_top, "the toolbar is not covered");
    assert!(h.get_by_label("Details").rect().bottom() < settings_top, "the view switch is not covered");
    // A server that does not answer: the check runs with a spinner, and the refusal is
    // said in red inside the window.
    h.get_by_label("SMTP (STARTTLS)").click();
    h.run_ok();
    type_into(&mut h, Role::TextInput, "Host", "127.0.0.1");
    // Below the fold of the settings window: scrolled to, as a person does.
    h.get_by_label("Save mail settings").scroll_to_me();
    h.run_ok();
    h.get_by_label("Save mail settings").click();
    h.run_ok();
    assert!(
        has_label(&h, "Checking the server and sending a code…") || h.query_by_label_contains("⚠").is_some(),
        "the check is shown under way"
    );
    wait_for(&mut h, "the refusal", |h| h.query_by_label_contains("⚠").is_some());
    h.snapshot("settings");
    h.get_by_label("Outbox folder").click();
    h.run_ok();
    type_into(&mut h, Role::PasswordInput, "Current password", PASSWORD);
    type_into(&mut h, Role::PasswordInput, "New password", "a better passphrase");
    type_into(&mut h, Role::PasswordInput, "Repeat new password", "a better passphrase");
    h.get_by_label("Change password").click();
    wait_for(&mut h, "the password change", |h| h.query_all_by_label_contains("Password changed").next().is_some());
    // Locking tidies the vault (a compaction when worth it, tested in the vault); a login
    // typed meanwhile waits for it.
    h.get_by_label("🔒 Lock").click();
    h.run_ok();
    type_into(&mut h, Role::PasswordInput, "Password", "a better passphrase");
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the gallery again", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));

    // Auto-lock after one minute without input (typed over the default five). Time here
    // is egui's clock, which kittest moves 0.25 s a frame.
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    h.get_by_label("Lock after").scroll_to_me();
    h.run_ok();
    h.get_by_label("Lock after").click();
    h.run_ok();
    h.get_by_label("1 minute").click();
    h.run_ok();
    h.get_by_label("Close window").click();
    h.run_ok();
    let idle_frames = |h: &mut Harness<'_, GalleryApp>, seconds: u32| {
        for _ in 0..seconds * 4 {
            h.step();
        }
    };
    idle_frames(&mut h, 55);
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }), "locked before the minute was up");
    h.hover_at(egui::pos2(300.0, 300.0)); // input restarts the count
    h.run_ok();
    idle_frames(&mut h, 55);
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }), "input did not restart the count");
    idle_frames(&mut h, 10);
    assert!(matches!(screen_kind(h.state()), ScreenKind::Login), "not locked after a minute without input");
    assert!(has_label(&h, "🔒 Locked after 1 minute without use."), "the login says why");
}

#[test]
fn a_forgotten_password_is_replaced_with_the_recovery_words_and_every_photo_opens() {
    let env = Env::new();
    let words = env.register_fresh("dora");
    let photos = env.path("photos");
    write(&photos, "passport.jpg", &jpeg(300, 200, 7));
    env.import("dora", &[&photos]);
    let mut h = harness(&env.vault);
    h.run_ok();
    h.get_by_label("Forgot your password? Use your recovery key").click();
    h.run_ok();
    assert!(matches!(screen_kind(h.state()), ScreenKind::Recover));
    type_into(&mut h, Role::TextInput, "User name", "dora");
    // The words are checked as they come: a misspelt one is named at once.
    type_into(&mut h, Role::MultilineTextInput, "Recovery key", "abandon abandonn ");
    assert!(h.query_by_label_contains("Word 2, \"abandonn\", is not a recovery word").is_some());
    h.get_by_role_and_label(Role::MultilineTextInput, "Recovery key").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    // Pasted as written down from the screen: numbered, one per line.
    let numbered: String = words.split(' ').enumerate().map(|(i, w)| format!("{}. {w}\n", i + 1)).collect();
    h.event(egui::Event::Paste(numbered));
    h.run_ok();
    assert!(has_label(&h, "✔ 24 words: a valid recovery key"));
    type_into(&mut h, Role::PasswordInput, "New password", "a brand new password nobody knows");
    type_into(&mut h, Role::PasswordInput, "Repeat new password", "a brand new password nobody knows");
    h.get_by_label("Recover and log in").click();
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));
    assert!(h.query_by_label_contains("Opened with your recovery key").is_some());
    // No password email needed: the photo opens at once.
    h.get_by_label("passport.jpg").click();
    h.run_ok();
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
    // The new password is the login now, and the photo is locked again without the words.
    h.key_press(egui::Key::Escape);
    h.run_ok();
    h.get_by_label("🔒 Lock").click();
    h.run_ok();
    h.get_by_role_and_label(Role::PasswordInput, "Password").type_text("a brand new password nobody knows");
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));
    assert!(has_label(&h, "passport.jpg (locked)"));
}

#[test]
fn toolbars_fit_at_1280_800_and_640_points_wide() {
    let env = Env::new();
    env.register_fresh("erin");
    let photos = env.path("photos");
    for (i, (w, h)) in [(900, 600), (600, 800), (800, 500), (640, 640), (500, 700), (700, 450)].iter().enumerate() {
        let taken = format!("2024:0{}:1{} 10:00:00", 1 + i / 3, i);
        write(&photos, &format!("photo {i}.jpg"), &jpeg_taken(*w, *h, 20 + i as u32, &taken));
    }
    env.import("erin", &[&photos]);
    let email = String::from_utf8(std::fs::read(&env.emails()[0]).unwrap()).unwrap();
    let mut snapshots = SnapshotResults::new();
    for (width, height) in [(1280.0, 800.0), (800.0, 600.0), (640.0, 480.0)] {
        let mut h = harness_sized(&env.vault, [width, height]);
        h.run_ok();
        log_in(&mut h, "erin");
        wait_for(&mut h, "every thumbnail", |h| {
            matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 6, thumbnails: 6, .. })
        });
        // Every toolbar button is there, whole, and inside the window, at every width.
        h.key_press(egui::Key::ArrowRight);
        h.run_ok();
        for label in ["➕ Import", "💾 Export…", "🗑 Delete…", "🖼 Album…", "🔑 Unlock…", "🔒 Lock"]
        {
            let rect = h.get_by_label(label).rect();
            assert!(rect.max.x <= width && rect.min.x >= 0.0, "{label} at {width}: {rect:?}");
        }
        let buttons: Vec<egui::Rect> = ["➕ Import", "💾 Export…", "🗑 Delete…", "🖼 Album…", "🔑 Unlock…"]
            .iter()
            .map(|l| h.get_by_label(l).rect())
            .collect();
        assert!(buttons.windows(2).all(|w| w[0].max.x <= w[1].min.x), "no overlap at {width}: {buttons:?}");
        snapshots.add(h.try_snapshot(format!("gallery-{width}")));

        // The viewer's toolbar too: unlock by pasting the email, then Enter opens.
        h.get_by_label("🔑 Unlock…").click();
        h.run_ok();
        paste_and_unlock(&mut h, &email);
        wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
        for label in ["⬅ Back to photos", "◀ Previous", "▶ Next", "➖", "➕"] {
            let rect = h.get_by_label(label).rect();
            assert!(rect.max.x <= width && rect.min.x >= 0.0, "{label} at {width}: {rect:?}");
        }
        // The status line names the photo on screen.
        assert!(h.query_by_label_contains("of 6").is_some(), "the viewer's status line");
        snapshots.add(h.try_snapshot(format!("viewer-{width}")));
        // Lock and close the window; its worker threads let go of the vault soon after.
        h.key_press(egui::Key::Escape);
        h.run_ok();
        h.get_by_label("🔒 Lock").click();
        h.run_ok();
        drop(h);
        wait_until_free(&env.vault);
    }
    snapshots.unwrap();
}

#[test]
fn a_saved_password_email_file_unlocks_its_photos() {
    let env = Env::new();
    env.register_fresh("fred");
    let photos = env.path("photos");
    for i in 0..3 {
        write(&photos, &format!("scan {i}.jpg"), &jpeg(200, 150, 40 + i));
    }
    env.import("fred", &[&photos]);
    let email = env.emails().remove(0);
    let mut h = harness(&env.vault);
    h.run_ok();
    log_in(&mut h, "fred");
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));
    assert!(has_label(&h, "📂 Open outbox folder"), "the outbox can be shown in the file manager");
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    h.get_by_label("📂 Open email files…").click();
    // No file-dialog service here: the in-app chooser opens, in the outbox.
    wait_for(&mut h, "the chooser", |h| has_label(h, "Unlock from password emails"));
    assert!(has_label(&h, "✉ Outbox"));
    let shown = h.get_by_role_and_label(Role::TextInput, "Path").accesskit_node().value();
    assert_eq!(shown.map(PathBuf::from), Some(env.outbox_of("fred")), "it starts in the account's outbox");
    // The email's name in the list ticks it.
    let name = email.file_name().unwrap().to_string_lossy().into_owned();
    h.get_by_label(&format!("✉ {name}")).click();
    h.run_ok();
    h.get_by_label("Unlock").click();
    wait_for(&mut h, "the photos to unlock", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { unlocked: 3, .. })
    });
    assert!(h.query_by_label_contains("Unlocked 3 photos").is_some());
}

#[test]
fn the_viewer_shows_where_and_how_a_photo_was_taken_and_plays_an_animation() {
    use spg_core::fuzzing::fixtures::{exif_segment, jpeg_with_segments, shooting_exif};
    let env = Env::new();
    env.register_fresh("gina");
    let photos = env.path("photos");
    write(&photos, "eiffel.jpg", &jpeg_with_segments(&jpeg(400, 300, 90), &[exif_segment(&shooting_exif())]));
    write(&photos, "wave.gif", &gif(120, 90, 91));
    env.import("gina", &[&photos]);
    let email = String::from_utf8(std::fs::read(&env.emails()[0]).unwrap()).unwrap();
    let mut h = harness(&env.vault);
    h.run_ok();
    log_in(&mut h, "gina");
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 2, .. }));
    h.get_by_label("eiffel.jpg (locked)").click();
    h.run_ok();
    h.key_press(egui::Key::Enter);
    h.run_ok();
    paste_and_unlock(&mut h, &email);
    wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
    // The position, with a link that opens a map only when clicked, and the exposure.
    assert!(has_label(&h, "48.85822° N, 2.29450° E"));
    assert!(has_label(&h, "🗺 Open in map"));
    for shown in ["f/1.8", "1/250 s", "200", "4.2 mm"] {
        assert!(has_label(&h, shown), "{shown}");
    }
    // The GIF (two frames) plays.
    h.key_press(egui::Key::Escape);
    h.run_ok();
    h.get_by_label("wave.gif").click();
    h.run_ok();
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the animation", |h| has_label(h, "2 frames"));
}

#[test]
fn the_details_table_sorts_searches_filters_and_takes_the_grids_keys() {
    let env = Env::new();
    env.register_fresh("hana");
    let photos = env.path("photos");
    write(&photos, "beach.jpg", &jpeg_taken(900, 600, 1, "2024:06:15 10:30:00"));
    write(&photos, "garden.jpg", &jpeg_taken(600, 800, 2, "2022:06:02 09:00:00"));
    write(&photos, "harbour.jpg", &jpeg_taken(800, 500, 3, "2023:12:24 16:45:00"));
    env.import("hana", &[&photos]);
    let mut h = harness(&env.vault);
    h.run_ok();
    log_in(&mut h, "hana");
    wait_for(&mut h, "every thumbnail", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, thumbnails: 3, .. })
    });
    h.get_by_label("Details").click();
    h.run_ok();
    // Rows top to bottom, by the names' places on the screen.
    let rows = |h: &Harness<'_, GalleryApp>| {
        let mut names: Vec<(f32, String)> = ["beach.jpg", "garden.jpg", "harbour.jpg"]
            .iter()
            .filter_map(|n| h.query_by_label(n).map(|node| (node.rect().top(), n.to_string())))
            .collect();
        names.sort_by(|a, b| a.0.total_cmp(&b.0));
        names.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
    };
    assert_eq!(rows(&h), ["beach.jpg", "harbour.jpg", "garden.jpg"], "newest first, as the grid");
    wait_for(&mut h, "the small thumbnails", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { thumbnails: 3, .. })
    });
    h.snapshot("details");
    h.get_by_label("Name").click();
    h.run_ok();
    assert_eq!(rows(&h), ["beach.jpg", "garden.jpg", "harbour.jpg"], "by name");
    h.get_by_label("Name ⬆").click();
    h.run_ok();
    assert_eq!(rows(&h), ["harbour.jpg", "garden.jpg", "beach.jpg"], "by name, reversed");
    h.get_by_label("Size").click();
    h.run_ok();
    assert!(has_label(&h, "Size ⬇"), "largest first");
    // The grid's keys: Home, Down, Enter opens the photo on the second row.
    h.get_by_label("Name").click();
    h.run_ok();
    h.key_press(egui::Key::Home);
    h.run_ok();
    h.key_press(egui::Key::ArrowDown);
    h.run_ok();
    assert!(h.query_by_label_contains("1 selected").is_some());
    h.key_press(egui::Key::Enter);
    h.run_ok();
    assert!(has_label(&h, "🔒 Unlock garden.jpg"), "Enter opened the selected row's photo");
    h.get_by_label("Cancel").click();
    h.run_ok();
    // Search: by name and by year; the count says how many of all are shown.
    type_into(&mut h, Role::SearchInput, "Search", "harb");
    assert_eq!(rows(&h), ["harbour.jpg"]);
    assert!(has_label(&h, "1 of 3 photos"));
    h.get_by_label("× Clear").click();
    h.run_ok();
    type_into(&mut h, Role::SearchInput, "Search", "2024");
    assert_eq!(rows(&h), ["beach.jpg"]);
    h.key_press(egui::Key::Escape);
    h.run_ok();
    assert_eq!(rows(&h).len(), 3, "Esc in the search clears it");
    // The filter: nothing is unlocked yet.
    h.get_by_label("Show").click();
    h.run_ok();
    h.get_by_label("Unlocked").click();
    h.run_ok();
    assert!(has_label(&h, "No photos match"));
    // The grid shows the same result.
    h.get_by_label("Grid").click();
    h.run_ok();
    assert!(has_label(&h, "No photos match") && has_label(&h, "0 of 3 photos"));
}

#[test]
fn the_grid_keeps_the_cursor_in_view_and_follows_the_viewer() {
    let env = Env::new();
    env.register_fresh("ivan");
    let photos = env.path("photos");
    for i in 0..48u32 {
        let taken = format!("2020:01:{:02} {:02}:00:00", 1 + i / 24, i % 24);
        write(&photos, &format!("p{i:02}.jpg"), &jpeg_taken(64, 48, 100 + i, &taken));
    }
    env.import("ivan", &[&photos]);
    let email = String::from_utf8(std::fs::read(&env.emails()[0]).unwrap()).unwrap();
    let mut h = harness_sized(&env.vault, [800.0, 600.0]);
    h.run_ok();
    log_in(&mut h, "ivan");
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 48, .. }));
    let on_screen = |h: &Harness<'_, GalleryApp>, name: &str| {
        h.query_by_label(&format!("{name} (locked)"))
            .or_else(|| h.query_by_label(name))
            .is_some_and(|n| n.rect().top() >= 0.0 && n.rect().bottom() <= 600.0)
    };
    let selected = |h: &Harness<'_, GalleryApp>, name: &str| {
        h.query_by_label(&format!("{name} (locked)")).or_else(|| h.query_by_label(name)).is_some_and(|n| {
            // egui says "selected" to screen readers as toggled.
            n.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
        })
    };
    // Newest first: p47 is the first tile, p00 the last.
    assert!(on_screen(&h, "p47.jpg") && !on_screen(&h, "p00.jpg"));
    // With nothing selected yet, Page Down goes a page down (not to the first photo).
    h.key_press(egui::Key::PageDown);
    h.run_ok();
    assert!(!selected(&h, "p47.jpg") && h.query_by_label_contains("1 selected").is_some(), "a page down at once");
    // A long jump shows the month beside the scroll bar for a moment, frame by frame.
    h.key_press(egui::Key::End);
    let mut bubble = false;
    for _ in 0..4 {
        h.step();
        bubble |= has_label(&h, "Scrolled to January 2020");
    }
    assert!(bubble, "the month bubble");
    for _ in 0..3 {
        h.run_ok();
    }
    assert!(!has_label(&h, "Scrolled to January 2020"), "the bubble goes");
    assert!(on_screen(&h, "p00.jpg") && selected(&h, "p00.jpg"), "End went to the last photo, and the grid followed");
    h.key_press(egui::Key::Home);
    for _ in 0..3 {
        h.run_ok();
    }
    assert!(on_screen(&h, "p47.jpg") && selected(&h, "p47.jpg"));
    h.key_press(egui::Key::PageDown);
    for _ in 0..3 {
        h.run_ok();
    }
    assert!(!selected(&h, "p47.jpg") && h.query_by_label_contains("1 selected").is_some(), "a page down");
    // Unlock all, open the first photo, step three photos on in the viewer, and go back:
    // the grid's selection is the photo last seen, in view.
    h.key_press(egui::Key::Home);
    h.run_ok();
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    paste_and_unlock(&mut h, &email);
    wait_for(&mut h, "the viewer", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { viewing: true, .. }));
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.run_ok();
    }
    h.key_press(egui::Key::Escape);
    for _ in 0..3 {
        h.run_ok();
    }
    assert!(selected(&h, "p44.jpg") && on_screen(&h, "p44.jpg"), "the grid follows the viewer");
    assert!(!selected(&h, "p47.jpg"));
}

/// Fills the storage fields of the backup section or the restore screen.
fn type_storage(h: &mut Harness<'_, GalleryApp>, s3: &common::s3::S3) {
    type_into(h, Role::TextInput, "Bucket and folder", "s3://photos/p1");
    type_into(h, Role::TextInput, "Endpoint", &s3.endpoint());
    type_into(h, Role::TextInput, "Access key ID", "test-access-key");
    type_into(h, Role::PasswordInput, "Secret key", common::s3::SECRET.1);
}

/// Runs frames for `seconds`, asserting `never` of each.
fn for_a_while(
    h: &mut Harness<'_, GalleryApp>,
    seconds: f64,
    what: &str,
    never: impl Fn(&Harness<'_, GalleryApp>) -> bool,
) {
    let started = std::time::Instant::now();
    while started.elapsed().as_secs_f64() < seconds {
        h.step();
        assert!(!never(h), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Alice (two photos) starts a backup to a server that answers each upload 1.5 s late, and
/// locks at once; the vault then is Bob's to log in to.
fn alice_locks_during_a_slow_backup() -> (Env, common::s3::S3, Harness<'static, GalleryApp>) {
    let s3 = common::s3::S3::start_with(&["--slow", "1.5"]);
    let env = Env::new();
    env.register_fresh("alice");
    env.register_fresh("bob");
    let photos = env.path("photos");
    for i in 0..2 {
        write(&photos, &format!("alice-{i}.jpg"), &jpeg(320, 240, 60 + i));
    }
    env.import("alice", &[&photos]);
    let mut h = harness_sized(&env.vault, [1100.0, 1500.0]);
    log_in(&mut h, "alice");
    wait_for(&mut h, "alice's gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 2, .. }));
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    type_storage(&mut h, &s3);
    h.get_by_label("Back up now").click();
    h.run_ok();
    h.get_by_label("Close window").click();
    h.run_ok();
    h.get_by_label("🔒 Lock").click();
    h.run_ok();
    (env, s3, h)
}

#[test]
fn an_account_locked_while_its_work_runs_shows_nothing_of_it_to_the_next_account() {
    let (_env, _s3, mut h) = alice_locks_during_a_slow_backup();
    assert_eq!(screen_kind(h.state()), ScreenKind::Login);
    bob_logs_in(&mut h);
    // Alice's backup would have ended by now (five uploads, 7.5 s): nothing of it, nor of
    // her photos, reaches Bob's gallery.
    for_a_while(&mut h, 9.0, "alice's backup reached bob's gallery", |h| {
        h.query_all_by_label_contains("Backed up").next().is_some()
            || !matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 0, .. })
    });
}

#[test]
fn a_lock_stops_the_backup_under_way_and_the_vault_comes_back_when_it_has() {
    let (_env, s3, mut h) = alice_locks_during_a_slow_backup();
    assert!(h.query_by_label_contains("Stopping the backup").is_some(), "the login says what is stopping");
    wait_for(&mut h, "the backup to stop", |h| h.query_by_label_contains("Stopping the backup").is_none());
    // At most the upload under way when the lock came went on: the backup did not go on to
    // its end (two photos' four objects and the snapshot).
    for_a_while(&mut h, 4.0, "the backup went on after the lock", |_| false);
    let (objects, _) = s3.inspect(&[]);
    assert!(objects.len() < 5, "{objects:?}");
    assert!(!objects.iter().any(|(key, _)| key.ends_with("/account")), "no snapshot was written: {objects:?}");
    bob_logs_in(&mut h);
}

/// Bob logs in where the form offers the last user (alice), and his gallery opens.
fn bob_logs_in(h: &mut Harness<'_, GalleryApp>) {
    h.get_by_role_and_label(Role::TextInput, "User name").focus();
    h.run_ok();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_role_and_label(Role::TextInput, "User name").type_text("bob");
    h.run_ok();
    type_into(h, Role::PasswordInput, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
    wait_for(h, "bob's gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { .. }));
}

#[test]
fn a_backup_made_in_the_settings_is_restored_on_a_new_computer_from_its_first_screen() {
    let s3 = common::s3::S3::start();
    let env = Env::new();
    let photos = env.path("drop");
    let original = jpeg(320, 240, 21);
    write(&photos, "holiday.jpg", &original);
    let mut h = bob_in_an_empty_gallery(&env);
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(photos.clone())));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 1 photo"));
    h.get_by_label("Close").click();
    h.run_ok();

    // Settings → Backup: where to, then Back up now; the answer, and the status line.
    h.set_size(egui::vec2(1100.0, 1500.0));
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    type_storage(&mut h, &s3);
    h.get_by_label("Back up now").click();
    h.run_ok();
    wait_for(&mut h, "the backup", |h| h.query_all_by_label_contains("Backed up 1 photo: 1 sent").next().is_some());
    // Each import from now on is backed up when it ends.
    h.get_by_label("Back up after each import").click();
    h.run_ok();
    h.get_by_label("Close window").click();
    h.run_ok();
    assert!(h.query_by_label_contains("Last backup today").is_some(), "the status line says when");
    assert_eq!(s3.inspect(&[]).0.len(), 3, "the photo's data and previews, and the account");
    let more = env.path("more");
    write(&more, "beach.jpg", &jpeg(320, 240, 22));
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(more)));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 1 photo"));
    h.get_by_label("Close").click();
    h.run_ok();
    wait_for(&mut h, "the backup after the import", |h| {
        h.query_all_by_label_contains("Backed up 2 photos: 1 sent").next().is_some()
    });
    assert_eq!(s3.inspect(&[]).0.len(), 5, "the new photo's two objects went up too");

    // A new computer: the app starts on registration, which offers the restore.
    let other = Env::new();
    let mut h = harness_sized(&other.vault, [1100.0, 1000.0]);
    assert_eq!(screen_kind(h.state()), ScreenKind::Register);
    h.get_by_label("Restore from a backup").click();
    h.run_ok();
    assert_eq!(screen_kind(h.state()), ScreenKind::Restore);
    type_into(&mut h, Role::TextInput, "User name", "bob");
    type_into(&mut h, Role::PasswordInput, "Password", PASSWORD);
    h.snapshot("restore");
    type_storage(&mut h, &s3);
    h.get_by_label("Restore").click();
    h.run_ok();
    wait_for(&mut h, "the restore", |h| screen_kind(h.state()) == ScreenKind::Login);
    assert!(h.query_by_label_contains("Restored bob with 2 photos").is_some());
    // The restored account's name is filled in already.
    let user = h.get_by_role_and_label(Role::TextInput, "User name").accesskit_node().value();
    assert_eq!(user.as_deref(), Some("bob"));
    type_into(&mut h, Role::PasswordInput, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the restored gallery", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 2, thumbnails: 1.., .. })
    });
}

#[test]
fn a_restore_with_the_recovery_key_sets_the_new_password_it_asks_for() {
    let s3 = common::s3::S3::start();
    let env = Env::new();
    let words = env.register_fresh("bob");
    env.import("bob", &[&write(&env.path("in"), "letter.jpg", &jpeg(160, 120, 23))]);
    let args = s3.args("backup", "bob", "s3://photos/p1");
    env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[common::s3::SECRET]);

    let other = Env::new();
    let mut h = harness_sized(&other.vault, [1100.0, 1200.0]);
    h.get_by_label("Restore from a backup").click();
    h.run_ok();
    type_into(&mut h, Role::TextInput, "User name", "bob");
    h.get_by_label("Use my recovery key (and set a new password)").click();
    h.run_ok();
    type_into(&mut h, Role::PasswordInput, "Recovery key (24 words)", &words);
    let new = "the password bob chose at the restore";
    type_into(&mut h, Role::PasswordInput, "New password", new);
    assert!(h.get_by_label("Restore").accesskit_node().is_disabled(), "not before the password is repeated");
    type_into(&mut h, Role::PasswordInput, "Repeat new password", new);
    h.snapshot("restore with the recovery key");
    type_storage(&mut h, &s3);
    h.get_by_label("Restore").click();
    h.run_ok();
    wait_for(&mut h, "the restore", |h| screen_kind(h.state()) == ScreenKind::Login);
    assert!(h.query_by_label_contains("Log in with your new password").is_some());
    // The restored account's name is filled in already.
    let user = h.get_by_role_and_label(Role::TextInput, "User name").accesskit_node().value();
    assert_eq!(user.as_deref(), Some("bob"));
    type_into(&mut h, Role::PasswordInput, "Password", new);
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the restored gallery", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. })
    });
    assert_eq!(other.run(&["list", "--user", "bob"], &[]).status.code(), Some(1), "the old password opens nothing");
}

#[test]
fn a_record_changed_in_the_file_is_said_and_the_check_of_every_photo_names_the_damage() {
    use redb::{ReadableTable as _, TableDefinition};
    const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");
    const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
    const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
    let env = Env::new();
    env.register_fresh("bob");
    let files: Vec<_> = (0..3).map(|i| write(&env.path("in"), &format!("{i}.jpg"), &jpeg(160, 120, 40 + i))).collect();
    let (_, imported) = env.import("bob", &files.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let id = |name: &str| {
        let text = &imported.iter().find(|(_, path)| path.ends_with(name)).unwrap().0;
        text.parse::<spg_core::vault::PhotoId>().unwrap().as_u64()
    };
    let (record, data, preview) = (id("0.jpg"), id("1.jpg"), id("2.jpg"));
    // Someone who can write the file changes a byte of one photo's record, one of another
    // photo's data, and one of the third's preview.
    {
        let db = redb::Database::create(&env.vault).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut photos = txn.open_table(PHOTOS).unwrap();
            let key = photos.iter().unwrap().map(|r| r.unwrap().0.value()).find(|k| k.1 == record).unwrap();
            let mut value = photos.get(key).unwrap().unwrap().value().to_vec();
            *value.last_mut().unwrap() ^= 1;
            photos.insert(key, value.as_slice()).unwrap();
            let mut chunks = txn.open_table(CHUNKS).unwrap();
            let mut value = chunks.get((data, 0)).unwrap().unwrap().value().to_vec();
            value[40] ^= 1;
            chunks.insert((data, 0), value.as_slice()).unwrap();
            let mut thumbnails = txn.open_table(THUMBNAILS).unwrap();
            let mut value = thumbnails.get(preview).unwrap().unwrap().value().to_vec();
            value[40] ^= 1;
            thumbnails.insert(preview, value.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let mut h = harness(&env.vault);
    log_in(&mut h, "bob");
    // The list comes from the index (three photos); the check of every record after it
    // finds the record that does not open.
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));
    wait_for(&mut h, "the notice", |h| h.query_by_label_contains("1 photo cannot be opened").is_some());
    // The damaged preview's tile says so instead of waiting for it.
    wait_for(&mut h, "the unreadable preview", |h| has_label(h, "2.jpg (locked) (preview unreadable)"));
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    h.get_by_label("Check every photo").click();
    wait_for(&mut h, "the check", |h| h.query_by_label_contains("3 of 3 photos are damaged").is_some());
    let said = h.query_by_label_contains("3 of 3 photos are damaged").unwrap().accesskit_node().value().unwrap();
    // The record's own name is unreadable: the gallery's list (from the index) names it.
    assert!(said.contains("0.jpg (its record was changed or replaced)"), "{said}");
    assert!(said.contains("1.jpg (its data was changed)"), "{said}");
    assert!(said.contains("2.jpg (its thumbnail was changed or is damaged)"), "{said}");
    assert!(said.contains("can come back from a backup"), "{said}");
}

#[test]
fn a_password_changed_on_another_computer_is_taken_from_the_backup_in_the_app() {
    let s3 = common::s3::S3::start();
    let run = |env: &Env, args: Vec<String>, envs: &[(&str, &str)]| {
        env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), envs)
    };
    // The laptop (the command line) backs bob up; the desktop restores him.
    let laptop = Env::new();
    laptop.register("bob");
    let first = write(&laptop.path("in"), "first.jpg", &jpeg(160, 120, 31));
    laptop.import("bob", &[&first]);
    run(&laptop, s3.args("backup", "bob", "s3://photos/p1"), &[common::s3::SECRET]);
    let desktop = Env::new();
    run(&desktop, s3.args("restore", "bob", "s3://photos/p1"), &[common::s3::SECRET]);
    // The laptop changes the password, imports, backs up.
    let new = "a brand new password nobody knows";
    laptop.ok(&["passwd", "--user", "bob"], &[("SPG_NEW_PASSWORD", new)]);
    let later = write(&laptop.path("later"), "later.jpg", &jpeg(160, 120, 32));
    laptop.ok(&["import", "--user", "bob", later.to_str().unwrap()], &[("SPG_PASSWORD", new)]);
    laptop.ok(&["backup", "--user", "bob"], &[("SPG_PASSWORD", new)]);
    // The desktop's app, still on the old password: its backup asks for the new one.
    let mut h = harness_sized(&desktop.vault, [1100.0, 1500.0]);
    type_into(&mut h, Role::TextInput, "User name", "bob");
    type_into(&mut h, Role::PasswordInput, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    type_storage(&mut h, &s3);
    h.get_by_label("Back up now").click();
    h.run_ok();
    wait_for(&mut h, "the refusal", |h| {
        h.query_all_by_label_contains("was changed on another computer").next().is_some()
    });
    type_into(&mut h, Role::PasswordInput, "Password set on the other computer", new);
    h.get_by_label("Use it here too, and back up").click();
    h.run_ok();
    wait_for(&mut h, "the backup", |h| {
        h.query_all_by_label_contains("1 photo from your other computers").next().is_some()
    });
    wait_for(&mut h, "the pulled photo", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 2, .. }));
    drop(h);
    // The new password opens the account on the desktop; the old one does not.
    wait_until_free(&desktop.vault);
    assert_eq!(desktop.run(&["list", "--user", "bob"], &[]).status.code(), Some(1));
    assert!(desktop.ok(&["verify", "--user", "bob"], &[("SPG_PASSWORD", new)]).contains("all intact"));
}

/// Opens the settings and fills the mail form: `security` (a radio label), the host, and the
/// port typed over the one shown.
fn smtp_form(h: &mut Harness<'_, GalleryApp>, security: &str, host: &str, port: u16) {
    h.set_size(egui::vec2(1100.0, 1500.0));
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    h.get_by_label(security).click();
    h.run_ok();
    type_into(h, Role::TextInput, "Host", host);
    type_over(h, "Port", &port.to_string());
}

/// Types `text` into the field labelled `label` as a person replaces what is there: all of
/// it selected, the new text typed over it.
fn type_over(h: &mut Harness<'_, GalleryApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    h.run_ok();
}

#[test]
fn mail_settings_are_saved_in_the_app_once_the_code_sent_to_the_address_is_typed_back() {
    let server = common::smtp::Server::start("plain", None);
    let env = Env::new();
    let mut h = bob_in_an_empty_gallery(&env);
    smtp_form(&mut h, "SMTP on this computer", "127.0.0.1", server.port);
    h.get_by_label("Save mail settings").click();
    h.run_ok();
    wait_for(&mut h, "the code", |h| {
        h.query_all_by_label_contains("type it in the Code field to save these settings").next().is_some()
    });
    let received = server.received();
    assert_eq!(received.len(), 1, "one email: the code");
    assert_eq!(received[0].1["rcpt_tos"], serde_json::json!(["bob@example.com"]));
    // Not saved yet: an import now would still go to the outbox.
    assert!(has_label(&h, "Outbox folder"));
    let code = common::smtp::code_in(&received[0].0);
    type_into(&mut h, Role::TextInput, "Code", &code.to_lowercase());
    h.get_by_label("Confirm").click();
    h.run_ok();
    wait_for(&mut h, "the saved settings", |h| {
        h.query_all_by_label_contains("Saved. Password emails now go through SMTP 127.0.0.1").next().is_some()
    });
    h.get_by_label("Close window").click();
    h.run_ok();
    // The next import's passwords go to the server, not the outbox.
    let photos = env.path("drop");
    write(&photos, "sent.jpg", &jpeg(160, 120, 41));
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(photos)));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 1 photo"));
    assert_eq!(server.received().len(), 2, "the password email went to the server");
    assert!(env.emails().is_empty(), "nothing in the outbox");
}

#[test]
fn without_file_dialogs_import_offers_one_entry_for_the_apps_own_chooser() {
    let env = Env::new();
    let mut h = bob_in_an_empty_gallery(&env);
    h.get_by_label("➕ Import").click();
    h.run_ok();
    h.get_by_label("Photos…").click();
    // No desktop portal here: the dialog answers at once, and the app's chooser opens.
    wait_for(&mut h, "the app's chooser", |h| has_label(h, "Import photos"));
    h.get_by_label("Cancel").click();
    h.run_ok();
    h.get_by_label("➕ Import").click();
    h.run_ok();
    assert!(has_label(&h, "Photos or a folder…"), "one entry now");
    assert!(!has_label(&h, "A folder…") && !has_label(&h, "From a path…"), "not three that open the same");
    h.get_by_label("Photos or a folder…").click();
    h.run_ok();
    assert!(has_label(&h, "Import photos"));
    // A double-click on a folder enters that folder, not the one under it too.
    let nest = env.path("nest");
    std::fs::create_dir_all(nest.join("outer/inner")).unwrap();
    type_over(&mut h, "Path", nest.to_str().unwrap());
    h.key_press(egui::Key::Enter);
    h.run_ok();
    // A person's two clicks come a fifth of a second apart, sooner than the harness's
    // frames: the clock is set by hand for these frames.
    let start = h.ctx.input(|i| i.time);
    h.get_by_label("📁 outer").click();
    h.input_mut().time = Some(start + 0.1);
    h.step();
    h.input_mut().time = Some(start + 0.15);
    h.step();
    h.get_by_label("📁 inner").click();
    h.input_mut().time = Some(start + 0.3);
    h.step();
    h.run_ok();
    let shown = h.get_by_role_and_label(Role::TextInput, "Path").accesskit_node().value();
    assert_eq!(shown.map(PathBuf::from), Some(nest.join("outer")));
}

#[test]
fn a_mail_server_with_a_certificate_of_its_own_is_trusted_by_its_fingerprint() {
    let server = common::smtp::Server::start("starttls", None);
    let env = Env::new();
    let mut h = bob_in_an_empty_gallery(&env);
    smtp_form(&mut h, "SMTP (STARTTLS)", "localhost", server.port);
    h.get_by_label("Ask the server").click();
    h.run_ok();
    wait_for(&mut h, "the certificate", |h| {
        h.query_all_by_label_contains("presents its certificate. Its SHA-256 fingerprint").next().is_some()
    });
    // The fingerprint shown is the certificate's (computed apart, by Python), and looking
    // sent nothing.
    let shown = server.fingerprint();
    assert!(has_label(&h, &shown), "the fingerprint {shown} is shown");
    assert!(server.received().is_empty());
    // Turned down: nothing is trusted; trusted: a test email goes through.
    h.get_by_label("Do not trust it").click();
    h.run_ok();
    assert!(!has_label(&h, &shown));
    h.get_by_label("Ask the server").click();
    h.run_ok();
    wait_for(&mut h, "the certificate again", |h| has_label(h, &shown));
    h.get_by_label("Trust this certificate").click();
    h.run_ok();
    let kept = format!("Its own, from the certificate localhost:{} presented (SHA-256 {}…)", server.port, &shown[..23]);
    assert!(has_label(&h, &kept), "{kept}");
    h.get_by_label("Send test email").click();
    h.run_ok();
    wait_for(&mut h, "the test email", |h| h.query_all_by_label_contains("Test email").next().is_some());
    assert_eq!(server.received().len(), 1, "the test email went through");
}

#[test]
fn a_mail_server_with_a_certificate_of_its_own_is_trusted_by_choosing_its_authority_s_file() {
    let server = common::smtp::Server::start("starttls", None);
    let env = Env::new();
    let mut h = bob_in_an_empty_gallery(&env);
    smtp_form(&mut h, "SMTP (STARTTLS)", "localhost", server.port);
    // The system does not trust it: the answer says what to give.
    h.get_by_label("Send test email").click();
    h.run_ok();
    wait_for(&mut h, "the refusal", |h| {
        h.query_all_by_label_contains("choose its authority's file (PEM), or ask the server").next().is_some()
    });
    // A file that holds no certificate is refused at once.
    let notes = env.path("notes.txt");
    std::fs::write(&notes, "not a certificate").unwrap();
    type_into(&mut h, Role::TextInput, "Authority", notes.to_str().unwrap());
    h.get_by_label("Use this file").click();
    h.run_ok();
    assert!(h.query_all_by_label_contains("notes.txt holds no certificate").next().is_some());
    // Its authority's file: trusted from now on.
    type_over(&mut h, "Authority", &server.ca());
    h.get_by_label("Use this file").click();
    h.run_ok();
    assert!(has_label(&h, "Its own, from cert.pem"));
    h.get_by_label("Save mail settings").click();
    h.run_ok();
    wait_for(&mut h, "the code", |h| {
        h.query_all_by_label_contains("type it in the Code field to save these settings").next().is_some()
    });
    let code = common::smtp::code_in(&server.received()[0].0);
    type_into(&mut h, Role::TextInput, "Code", &code);
    h.get_by_label("Confirm").click();
    h.run_ok();
    wait_for(&mut h, "the saved settings", |h| {
        h.query_all_by_label_contains("Saved. Password emails now go through SMTP localhost").next().is_some()
    });
    h.get_by_label("Close window").click();
    h.run_ok();
    // Kept, sealed, with the account: the next import's email goes to that server, and the
    // settings say the authority is kept.
    let photos = env.path("drop");
    write(&photos, "sent.jpg", &jpeg(160, 120, 43));
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(photos)));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 1 photo"));
    assert_eq!(server.received().len(), 2, "the password email went to the server");
    h.get_by_label("⚙ Settings").click();
    h.run_ok();
    assert!(has_label(&h, "Its own, from the file kept with these settings"));
}

/// Drags with the mouse from `from` onto the widget labelled `target`, which appears once
/// the drag has begun; a snapshot named `shot` is taken on the way.
fn drag_onto(h: &mut Harness<'_, GalleryApp>, from: egui::Pos2, target: &str, shot: Option<&str>) {
    let button = egui::PointerButton::Primary;
    let modifiers = egui::Modifiers::NONE;
    h.input_mut().events.push(egui::Event::PointerMoved(from));
    h.step();
    h.input_mut().events.push(egui::Event::PointerButton { pos: from, button, pressed: true, modifiers });
    h.step();
    for step in 1..=3 {
        h.input_mut().events.push(egui::Event::PointerMoved(from + egui::vec2(0.0, -12.0 * step as f32)));
        h.step();
    }
    let to = h.get_by_label(target).rect().center();
    if let Some(shot) = shot {
        h.snapshot(shot);
    }
    h.input_mut().events.push(egui::Event::PointerMoved(to));
    h.step();
    h.input_mut().events.push(egui::Event::PointerButton { pos: to, button, pressed: false, modifiers });
}

#[test]
#[allow(clippy::too_many_lines, reason = "one user's albums, told in order")]
fn albums_are_made_filled_from_the_selection_opened_exported_and_emptied() {
    let env = Env::new();
    let photos = env.path("drop");
    for (i, name) in ["beach.jpg", "id card.jpg", "passport.jpg"].iter().enumerate() {
        write(&photos, name, &jpeg_taken(320, 240, 30 + i as u32, &format!("2022:0{}:10 12:00:00", i + 1)));
    }
    let mut h = bob_in_an_empty_gallery(&env);
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(photos)));
    h.run_ok();
    wait_for(&mut h, "the import", |h| has_label(h, "Imported 3 photos"));
    h.get_by_label("Close").click();
    wait_for(&mut h, "the list", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));

    // A new album, from the albums view.
    h.get_by_label("Albums").click();
    h.run_ok();
    assert!(h.query_by_label_contains("No albums yet").is_some());
    type_into(&mut h, Role::TextInput, "New album", "Passport");
    h.get_by_label("Create").click();
    wait_for(&mut h, "the new album", |h| has_label(h, "Album Passport, 0 photos"));

    // The two newest photos selected in the grid, put in it from the toolbar.
    h.get_by_label("Grid").click();
    h.run_ok();
    h.key_press(egui::Key::ArrowRight);
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run_ok();
    assert!(h.query_by_label_contains("2 selected").is_some());
    h.get_by_label("🖼 Album…").click();
    h.run_ok();
    h.get_by_label("🖼 Passport").click();
    wait_for(&mut h, "the photos put in", |h| h.query_by_label_contains("Put 2 photos in “Passport”").is_some());
    // And the third one in a new album made from the same menu.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    h.get_by_label("🖼 Album…").click();
    h.run_ok();
    // A click in the menu's field keeps the menu open for typing.
    h.get_by_role_and_label(Role::TextInput, "New album").click();
    h.run_ok();
    type_into(&mut h, Role::TextInput, "New album", "Everything");
    h.get_by_label("Add").click();
    wait_for(&mut h, "the second album", |h| h.query_by_label_contains("Put 3 photos in “Everything”").is_some());

    // A photo dragged from the grid onto an album: beach, the oldest, is the last tile.
    h.key_press(egui::Key::Escape);
    h.run_ok();
    let tile = h.get_by_label_contains("beach.jpg").rect().center();
    drag_onto(&mut h, tile, "Drop on Passport", Some("album drop"));
    wait_for(&mut h, "the photo dropped", |h| h.query_by_label_contains("Put 1 photo in “Passport”").is_some());
    assert!(h.query_by_label("Drop on Passport").is_none(), "the targets go with the drag");

    // Opened from its card: the grid shows its photos only, with search and keys.
    h.get_by_label("Albums").click();
    wait_for(&mut h, "the covers", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { thumbnails: 2.., .. }));
    assert!(has_label(&h, "Album Everything, 3 photos") && has_label(&h, "Album Passport, 3 photos"));
    h.snapshot("albums");
    // The search narrows the albums by name here.
    type_into(&mut h, Role::SearchInput, "Search", "pass");
    assert!(!has_label(&h, "Album Everything, 3 photos") && has_label(&h, "Album Passport, 3 photos"));
    h.key_press(egui::Key::Escape);
    h.run_ok();
    h.get_by_label("Album Passport, 3 photos").click();
    wait_for(&mut h, "the album", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 3, .. }));
    assert!(has_label(&h, "🖼 Passport") && has_label(&h, "× All photos"));
    type_into(&mut h, Role::SearchInput, "Search", "card");
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }), "search inside the album");
    assert!(h.query_by_label("1 of 3 photos").is_some(), "counted within the album");
    // The one found made the album's cover.
    h.get_by_label("id card.jpg (locked)").click();
    h.run_ok();
    h.get_by_label("🖼 Album…").click();
    h.run_ok();
    h.get_by_label("Make it the cover of “Passport”").click();
    wait_for(&mut h, "the cover", |h| h.query_by_label_contains("“Passport” is now shown by that photo").is_some());
    h.get_by_role_and_label(Role::SearchInput, "Search").focus();
    h.run_ok();
    h.key_press(egui::Key::Escape);
    h.run_ok();

    // Exported as it is, once unlocked with the password email.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    let email = String::from_utf8(std::fs::read(&env.emails()[0]).unwrap()).unwrap();
    h.get_by_label("🔑 Unlock…").click();
    h.run_ok();
    paste_and_unlock(&mut h, &email);
    wait_for(&mut h, "the unlock", |h| h.query_by_label_contains("Unlocked 3 photos").is_some());
    h.key_press(egui::Key::Escape);
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    let out = env.path("passport out");
    h.get_by_label("💾 Export…").click();
    h.run_ok();
    type_over(&mut h, "Path", out.to_str().unwrap());
    h.get_by_label("Export here").click();
    wait_for(&mut h, "the export", |h| h.query_by_label_contains("Exported 3 photos to").is_some());
    let mut written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["beach.jpg", "id card.jpg", "passport.jpg"]);

    // Taken out of the album, they stay in the vault; the album closes back to every photo.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    h.get_by_label("🖼 Album…").click();
    h.run_ok();
    h.get_by_label("Remove from “Passport” (they stay in the vault)").click();
    wait_for(&mut h, "the album emptied", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 0, .. }));
    // Photos dropped while the album is open go into it.
    let more = env.path("more");
    write(&more, "visa.jpg", &jpeg_taken(320, 240, 40, "2022:05:10 12:00:00"));
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(more)));
    h.run_ok();
    wait_for(&mut h, "the import into the album", |h| h.query_by_label_contains("Put 1 photo in “Passport”").is_some());
    assert!(has_label(&h, "Imported 1 photo into the album “Passport”"), "the panel says where they went");
    wait_for(&mut h, "the album's new photo", |h| {
        matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. })
    });
    // The import panel puts what it stored in another album too.
    h.get_by_label("🖼 Put in an album…").click();
    h.run_ok();
    type_into(&mut h, Role::TextInput, "New album", "Visas");
    h.get_by_label("Add").click();
    wait_for(&mut h, "the photo put in", |h| h.query_by_label_contains("Put 1 photo in “Visas”").is_some());
    h.get_by_label("Close").click();
    h.get_by_label("× All photos").click();
    h.run_ok();
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 4, .. }));

    // An album is deleted only once asked; its photos stay.
    h.get_by_label("Albums").click();
    h.run_ok();
    h.get_by_label("Album Everything, 3 photos").click_secondary();
    h.run_ok();
    h.get_by_label("Delete album…").click();
    h.run_ok();
    assert!(has_label(&h, "Album Everything, 3 photos"), "not yet");
    h.get_by_label("Delete album").click();
    wait_for(&mut h, "the album deleted", |h| h.query_by_label("Album Everything, 3 photos").is_none());
    assert!(h.query_by_label_contains("Deleted the album “Everything”; its photos stay").is_some());
    assert!(matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 4, .. }));
}

#[test]
fn an_album_with_a_long_name_leaves_the_view_switch_in_reach_at_640_points() {
    let env = Env::new();
    env.register_fresh("erin");
    let photos = env.path("photos");
    write(&photos, "a.jpg", &jpeg(320, 240, 60));
    let (_, imported) = env.import("erin", &[&photos]);
    let long = "A very long album name that keeps going well past what any narrow window shows in one line";
    env.ok(&["album", "create", "--user", "erin", long], &[]);
    env.ok(&["album", "add", "--user", "erin", long, "--id", &imported[0].0], &[]);
    let mut h = harness_sized(&env.vault, [640.0, 480.0]);
    h.run_ok();
    log_in(&mut h, "erin");
    wait_for(&mut h, "the gallery", |h| matches!(screen_kind(h.state()), ScreenKind::Gallery { photos: 1, .. }));
    h.get_by_label("Albums").click();
    let card = format!("Album {long}, 1 photo");
    wait_for(&mut h, "the album's card", |h| has_label(h, &card));
    h.get_by_label(&card).click();
    h.run_ok();
    assert!(has_label(&h, "× All photos"), "the album is open");
    let rects: Vec<egui::Rect> =
        ["× All photos", "Albums", "Grid", "Details"].iter().map(|l| h.get_by_label(l).rect()).collect();
    assert!(rects.iter().all(|r| r.min.x >= 0.0 && r.max.x <= 640.0), "all in the window: {rects:?}");
    assert!(rects.windows(2).all(|w| w[0].max.x <= w[1].min.x), "side by side, none over another: {rects:?}");
    h.snapshot("album open-640");
    h.get_by_label("× All photos").click();
    h.run_ok();
    assert!(!has_label(&h, "× All photos"), "closed");
}
