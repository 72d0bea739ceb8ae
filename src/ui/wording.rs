//! How the app says what happened: counts with real plurals, and the typed results of
//! the workers in the app's words (buttons, not command-line flags).

use crate::jobs::ExportReport;
use spg_core::service::export::ExportKind;
use spg_core::service::settings::SettingsDone;
use spg_core::vault::{PhotoId, Previews, VerifyReport};

/// `1 photo`, `3 photos`.
pub(super) fn photos(n: usize) -> String {
    count(n, "photo", "photos")
}

/// `n` and the noun in its singular or plural.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", number(n), if n == 1 { one } else { many })
}

/// `n` with its thousands grouped: `1,021,998`.
pub(super) fn number(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// `2024-06-15T10:30:00` as `15 June 2024, 10:30` (the offset, if any, is left out).
pub(super) fn readable_date(iso: &str) -> String {
    let part = |r: std::ops::Range<usize>| iso.get(r).and_then(|s| s.parse::<u8>().ok());
    let month = part(5..7).and_then(|m| time::Month::try_from(m).ok());
    let year = iso.get(0..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
    match (year, month, part(8..10), iso.get(11..16)) {
        (Some(year), Some(month), Some(day), Some(time)) => format!("{day} {month} {year}, {time}"),
        _ => iso.to_string(),
    }
}

/// What an import stopped by a lock had stored.
pub(super) fn import_stopped_by_lock(imported: usize) -> String {
    format!(
        "The lock stopped an import: {} stored before it stopped, their passwords emailed; import the rest again.",
        photos(imported)
    )
}

/// What a settings change did.
pub(super) fn settings_done(done: &SettingsDone) -> String {
    match done {
        SettingsDone::UsingOutbox => "Password emails are now saved in the outbox folder.".into(),
        SettingsDone::UsingSmtp(server) => format!("Saved. Password emails now go through {server}."),
        SettingsDone::CodeSent { to, server } => {
            format!("A code went to {to} through {server}: type it in the Code field to save these settings.")
        }
        SettingsDone::TestEmailSent(whither) => format!("Test email {whither}."),
        SettingsDone::Certificate(certificate) => {
            format!(
                "{} answered with its certificate: compare its fingerprint before you trust it.",
                certificate.server
            )
        }
        SettingsDone::OutboxSent(n) => {
            let them = if *n == 1 { "it" } else { "them" };
            format!("Sent {} and deleted {them} from this computer.", count(*n, "queued email", "queued emails"))
        }
        SettingsDone::Previews(Previews::Sharp) => {
            "Saved. A blurred or hidden preview becomes sharp when its photo is next unlocked.".into()
        }
        SettingsDone::Previews(Previews::Blurred) => {
            "Saved. Sharp previews are blurred now; a hidden one comes back blurred when its photo is next unlocked."
                .into()
        }
        SettingsDone::Previews(Previews::Hidden) => {
            "Saved. Every preview is hidden now; a photo shows again once it is unlocked.".into()
        }
        SettingsDone::AcceptedThisCopy => "This copy of the vault is now the one this computer knows.".into(),
        SettingsDone::PasswordChanged => "Password changed. Your photos did not need to be encrypted again.".into(),
    }
}

/// Photos whose records do not open.
pub(super) fn unreadable(n: usize) -> String {
    let what = if n == 1 { "its record in the vault file was" } else { "their records in the vault file were" };
    format!(
        "{} cannot be opened: {what} changed or damaged. Open Settings and choose Check every photo to see which.",
        photos(n)
    )
}

/// What a check of every photo found, and whether it is bad news: at most a few photos
/// named (by `name_of` when their own records no longer say), the rest counted.
pub(super) fn verified(report: &VerifyReport, name_of: impl Fn(PhotoId) -> Option<String>) -> (String, bool) {
    const NAMED: usize = 5;
    let VerifyReport { checked, problems, albums } = report;
    if problems.is_empty() && albums.is_empty() {
        return (format!("Checked {}: every stored byte is intact.", photos(*checked)), false);
    }
    if problems.is_empty() {
        let said: Vec<String> = albums.iter().map(ToString::to_string).collect();
        return (
            format!(
                "Every stored byte of {} is intact, but not the albums: {}. The albums can come back from a backup.",
                photos(*checked),
                said.join("; ")
            ),
            true,
        );
    }
    let mut damaged: Vec<PhotoId> = problems.iter().map(|p| p.id).collect();
    damaged.sort_unstable();
    damaged.dedup();
    let named: Vec<String> = problems
        .iter()
        .take(NAMED)
        .map(|p| match p.name.clone().or_else(|| name_of(p.id)) {
            Some(name) => format!("{name} ({})", p.problem),
            None => format!("photo {} ({})", p.id, p.problem),
        })
        .collect();
    let more = problems.len().saturating_sub(NAMED);
    let more = if more > 0 { format!("; and {}", count(more, "more problem", "more problems")) } else { String::new() };
    let message = format!(
        "{} of {} {} damaged: {}{more}. Export the photos that are intact; the others can come back from a backup.",
        number(damaged.len()),
        photos(*checked),
        if damaged.len() == 1 { "is" } else { "are" },
        named.join("; "),
    );
    (message, true)
}

/// What an album change did, for the status line.
pub(super) fn album_done(change: &crate::jobs::AlbumChange, count: usize) -> String {
    use crate::jobs::AlbumChange;
    match change {
        AlbumChange::Create(name) => format!("Made the album “{}”.", name.trim()),
        AlbumChange::Rename(name, new_name) => format!("Renamed “{}” to “{}”.", name.trim(), new_name.trim()),
        AlbumChange::Delete(name) => format!("Deleted the album “{}”; its photos stay.", name.trim()),
        AlbumChange::Add { album, ids, .. } => match ids.len() - count {
            0 => format!("Put {} in “{}”.", photos(count), album.trim()),
            already => format!("Put {} in “{}” ({} already there).", photos(count), album.trim(), number(already)),
        },
        AlbumChange::Cover { album, .. } => format!("“{}” is now shown by that photo.", album.trim()),
        AlbumChange::Remove { album, .. } => {
            let they = if count == 1 { "it stays" } else { "they stay" };
            format!("Took {} out of “{}”; {they} in the vault.", photos(count), album.trim())
        }
    }
}

/// How an export went: the line for the status bar, and whether it is an error.
pub(super) fn export_done(report: &ExportReport) -> (String, bool) {
    if let Some(e) = &report.no_folder {
        return (format!("Nothing was exported: the folder {} cannot be made ({e}).", report.folder.display()), true);
    }
    let what = match report.kind {
        ExportKind::Original => photos(report.written),
        ExportKind::Stripped => format!("{} without location and camera data", photos(report.written)),
        ExportKind::Thumbnail => count(report.written, "thumbnail", "thumbnails"),
    };
    let done = format!("Exported {what} to {}", report.folder.display());
    match report.failed.first() {
        None => (format!("{done}."), false),
        Some((name, e)) => (format!("{done}; {} not exported: {name}: {e}", photos(report.failed.len())), true),
    }
}

/// What is left to wait, said roughly, once `done` of `total` took `elapsed` seconds;
/// `None` while too little is known to say.
pub(super) fn time_left(elapsed: f64, done: usize, total: usize) -> Option<String> {
    if done == 0 || total == 0 || elapsed < 2.0 || (done as f64) < total as f64 / 10.0 {
        return None;
    }
    let secs = elapsed / done as f64 * (total - done) as f64;
    Some(match secs {
        s if s < 10.0 => "a few seconds left".into(),
        s if s < 60.0 => format!("about {} s left", (s / 5.0).ceil() * 5.0),
        s => format!("about {} min left", (s / 60.0).ceil()),
    })
}

/// What the login screen says while the jobs of a locked session stop (`busy`: their
/// names); `None` when none of them is one a person started and waits for.
pub(super) fn stopping(busy: &[&str]) -> Option<String> {
    let what: Vec<&str> = busy
        .iter()
        .filter_map(|job| match *job {
            "backup" => Some("the backup"),
            "export" => Some("the export"),
            "import" => Some("the import"),
            "verify" => Some("the check of every photo"),
            _ => None,
        })
        .collect();
    let said = match what.as_slice() {
        [] => return None,
        [one] => (*one).to_string(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    };
    Some(format!("Stopping {said} (what was done stays)…"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stripped_export_says_what_was_removed() {
        let report = |kind, written| ExportReport {
            folder: "/tmp/out".into(),
            kind,
            written,
            failed: Vec::new(),
            no_folder: None,
        };
        assert_eq!(
            export_done(&report(ExportKind::Stripped, 2)),
            ("Exported 2 photos without location and camera data to /tmp/out.".to_string(), false)
        );
        assert_eq!(export_done(&report(ExportKind::Original, 1)).0, "Exported 1 photo to /tmp/out.");
        let none =
            ExportReport { no_folder: Some(std::io::Error::other("read-only")), ..report(ExportKind::Original, 0) };
        assert!(export_done(&none).1, "no folder is an error");
    }

    #[test]
    fn counts_say_one_and_many() {
        assert_eq!(photos(1), "1 photo");
        assert_eq!(photos(0), "0 photos");
        assert_eq!(photos(31), "31 photos");
        assert_eq!(photos(999), "999 photos");
        assert_eq!(photos(1000), "1,000 photos");
        assert_eq!(photos(1_021_998), "1,021,998 photos");
    }

    #[test]
    fn time_left_is_said_only_when_it_can_be_told_and_never_as_zero() {
        assert_eq!(time_left(1.0, 5, 10), None, "too early");
        assert_eq!(time_left(30.0, 1, 100), None, "too little done");
        assert_eq!(time_left(10.0, 43, 100).as_deref(), Some("about 15 s left"));
        assert_eq!(time_left(10.0, 99, 100).as_deref(), Some("a few seconds left"));
        assert_eq!(time_left(60.0, 20, 100).as_deref(), Some("about 4 min left"));
    }
}
