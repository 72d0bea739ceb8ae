//! The app's place on the desktop, carried inside the binary: its icon (for the window,
//! and in the sizes of the freedesktop icon theme) and its desktop entry, so that
//! `cargo install` users get a menu entry too (`--install-desktop-entry`; the `.deb` of
//! `scripts/package.sh` installs the same files system-wide). The files are the ones in
//! `assets/`.

use std::path::{Path, PathBuf};

/// The icon for the window and the task bar: 256 pixels.
pub const WINDOW_ICON_PNG: &[u8] = include_bytes!("../assets/icons/hicolor/256x256/apps/secure-photo-gallery.png");

/// The name of the icon and of the desktop entry (the app id of the window).
pub const APP_ID: &str = "secure-photo-gallery";

const DESKTOP_ENTRY: &str = include_str!("../assets/secure-photo-gallery.desktop");
const ICON_SVG: &[u8] = include_bytes!("../assets/icon.svg");
const ICONS: [(u32, &[u8]); 8] = [
    (16, include_bytes!("../assets/icons/hicolor/16x16/apps/secure-photo-gallery.png")),
    (24, include_bytes!("../assets/icons/hicolor/24x24/apps/secure-photo-gallery.png")),
    (32, include_bytes!("../assets/icons/hicolor/32x32/apps/secure-photo-gallery.png")),
    (48, include_bytes!("../assets/icons/hicolor/48x48/apps/secure-photo-gallery.png")),
    (64, include_bytes!("../assets/icons/hicolor/64x64/apps/secure-photo-gallery.png")),
    (128, include_bytes!("../assets/icons/hicolor/128x128/apps/secure-photo-gallery.png")),
    (256, include_bytes!("../assets/icons/hicolor/256x256/apps/secure-photo-gallery.png")),
    (512, include_bytes!("../assets/icons/hicolor/512x512/apps/secure-photo-gallery.png")),
];

/// Writes the desktop entry and the icons under `data_home` (`$XDG_DATA_HOME`, usually
/// `~/.local/share`) for the binary at `exe`, replacing earlier copies; then asks the
/// desktop to look again (best effort: `update-desktop-database`,
/// `gtk-update-icon-cache`, where they exist). Returns the files written.
pub fn install_desktop_entry(data_home: &Path, exe: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut put = |path: PathBuf, bytes: &[u8]| -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().expect("a file under a folder"))?;
        std::fs::write(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    let applications = data_home.join("applications");
    put(applications.join(format!("{APP_ID}.desktop")), desktop_entry(exe)?.as_bytes())?;
    let icons = data_home.join("icons/hicolor");
    for (size, png) in ICONS {
        put(icons.join(format!("{size}x{size}/apps/{APP_ID}.png")), png)?;
    }
    put(icons.join(format!("scalable/apps/{APP_ID}.svg")), ICON_SVG)?;
    // The desktop notices new entries by itself too; these only make it sooner.
    let quiet = |program: &str, args: &[&std::ffi::OsStr]| {
        let _ = std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    };
    quiet("update-desktop-database", &[applications.as_os_str()]);
    quiet("gtk-update-icon-cache", &["-f".as_ref(), "-t".as_ref(), icons.as_os_str()]);
    Ok(written)
}

/// The desktop entry of `assets/`, starting the binary at `exe` by its full path (the
/// folder `cargo install` puts it in is often not on the desktop's search path). A path
/// that an entry cannot hold (not UTF-8, a control character such as a newline, an `=`)
/// is refused.
fn desktop_entry(exe: &Path) -> std::io::Result<String> {
    let refuse = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} cannot be written into a desktop entry; install the program under a plainer path",
                exe.display()
            ),
        )
    };
    let path = exe.to_str().ok_or_else(refuse)?;
    if path.chars().any(|c| c.is_control() || c == '=') {
        return Err(refuse());
    }
    // The desktop entry spec: inside the quotes, `"`, `` ` ``, `$` and `\` are escaped with a
    // backslash; then the string rule escapes every backslash again (a literal `$` is
    // `\\$`), and `%` is doubled.
    let quoted: String =
        path.chars().flat_map(|c| if matches!(c, '"' | '`' | '$' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    let exec = format!("Exec=\"{}\"", quoted.replace('\\', "\\\\").replace('%', "%%"));
    Ok(DESKTOP_ENTRY
        .lines()
        .map(|line| if line.starts_with("Exec=") { exec.clone() } else { line.to_string() } + "\n")
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_this_binary_by_its_full_path_quoted() {
        let entry = desktop_entry(Path::new("/home/a b/.cargo/bin/secure-photo-gallery")).unwrap();
        assert!(entry.contains("\nExec=\"/home/a b/.cargo/bin/secure-photo-gallery\"\n"), "{entry}");
        assert!(entry.contains("Icon=secure-photo-gallery"));
        assert_eq!(entry.matches("Exec=").count(), 1);
        // `$` is `\\$` and a backslash four of them in the file (the spec's own examples).
        let odd = desktop_entry(Path::new("/opt/$x/100%/a\\b")).unwrap();
        assert!(odd.contains(r#"Exec="/opt/\\$x/100%%/a\\\\b""#), "{odd}");
        for bad in ["/opt/a\nExec=evil", "/opt/a=b"] {
            assert!(desktop_entry(Path::new(bad)).is_err(), "{bad:?}");
        }
    }
}
