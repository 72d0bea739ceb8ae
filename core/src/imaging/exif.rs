//! The few EXIF facts the gallery shows, read with `kamadak-exif`.

use exif::{DateTime, Field, In, Reader, Tag, Value};

/// What the gallery keeps from a photo's EXIF block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExifSummary {
    /// When the photo was taken, ISO 8601 local time (`2015-04-10T18:23:01`), with the
    /// offset when the file records one.
    pub taken_at: Option<String>,
    /// Camera make and model, e.g. `Apple iPhone 6`.
    pub camera: Option<String>,
    /// Whether the file carries a GPS position.
    pub has_gps: bool,
}

impl ExifSummary {
    /// Reads the summary from a raw EXIF (TIFF-structured) block. A field that does not
    /// parse is skipped and the rest kept (cameras write odd fields); unreadable EXIF
    /// yields an empty summary, never an error: the pixels are what matter.
    pub fn from_raw(raw: Vec<u8>) -> Self {
        let Some(exif) = parse(raw) else { return Self::default() };
        let text = |tag| exif.get_field(tag, In::PRIMARY).and_then(ascii);
        let taken_at = [
            (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
            (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
            (Tag::DateTime, Tag::OffsetTime),
        ]
        .into_iter()
        .find_map(|(date, offset)| iso_date(&text(date)?, text(offset).as_deref()));
        let camera = camera_name(text(Tag::Make), text(Tag::Model));
        let has_gps = exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some()
            || exif.get_field(Tag::GPSLongitude, In::PRIMARY).is_some();
        Self { taken_at, camera, has_gps }
    }
}

/// Parses a raw EXIF (TIFF-structured) block, keeping every field that parses when others
/// do not; `None` when nothing does.
pub(super) fn parse(raw: Vec<u8>) -> Option<exif::Exif> {
    let read = Reader::new().continue_on_error(true).read_raw(raw);
    read.or_else(|e| e.distill_partial_result(|_skipped_fields| {})).ok()
}

fn ascii(field: &Field) -> Option<String> {
    let Value::Ascii(parts) = &field.value else { return None };
    let s = String::from_utf8_lossy(parts.first()?).trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
    (!s.is_empty()).then_some(s)
}

/// `2015:04:10 18:23:01` (+ `+02:00`) to `2015-04-10T18:23:01+02:00`; `None` for the
/// blank, zero or impossible dates some cameras write.
fn iso_date(exif_date: &str, offset: Option<&str>) -> Option<String> {
    let mut parsed = DateTime::from_ascii(exif_date.as_bytes()).ok()?;
    let month = time::Month::try_from(parsed.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(parsed.year), month, parsed.day).ok()?;
    let at = time::Time::from_hms(parsed.hour, parsed.minute, parsed.second).ok()?;
    let mut iso = format!("{date}T{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
    if offset.is_some_and(|o| parsed.parse_offset(o.as_bytes()).is_ok())
        && let Some(minutes) = parsed.offset
    {
        let sign = if minutes < 0 { '-' } else { '+' };
        iso.push_str(&format!("{sign}{:02}:{:02}", minutes.unsigned_abs() / 60, minutes.unsigned_abs() % 60));
    }
    Some(iso)
}

/// Joins make and model, dropping the make when the model already starts with it
/// (`Canon` + `Canon PowerShot SX60 HS`).
fn camera_name(make: Option<String>, model: Option<String>) -> Option<String> {
    match (make, model) {
        (Some(make), Some(model)) => {
            let first = make.split_whitespace().next().unwrap_or(&make).to_lowercase();
            if model.to_lowercase().starts_with(&first) { Some(model) } else { Some(format!("{make} {model}")) }
        }
        (make, model) => make.or(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_dates_become_iso() {
        assert_eq!(iso_date("2015:04:10 18:23:01", None).unwrap(), "2015-04-10T18:23:01");
        assert_eq!(iso_date("2015:04:10 18:23:01", Some("+02:00")).unwrap(), "2015-04-10T18:23:01+02:00");
        assert_eq!(iso_date("0000:00:00 00:00:00", None), None);
        assert_eq!(iso_date("    :  :     :  :  ", None), None);
        assert_eq!(iso_date("2015:04", None), None);
        assert_eq!(iso_date("2015:13:10 18:23:01", None), None, "no thirteenth month");
        assert_eq!(iso_date("2015:04:10 18:23:01", Some("-05:30")).unwrap(), "2015-04-10T18:23:01-05:30");
    }

    #[test]
    fn camera_names_do_not_repeat_the_make() {
        assert_eq!(
            camera_name(Some("Canon".into()), Some("Canon PowerShot SX60 HS".into())).unwrap(),
            "Canon PowerShot SX60 HS"
        );
        assert_eq!(camera_name(Some("Apple".into()), Some("iPhone 6".into())).unwrap(), "Apple iPhone 6");
        assert_eq!(camera_name(None, Some("X".into())).unwrap(), "X");
        assert_eq!(camera_name(None, None), None);
    }

    #[test]
    fn garbage_exif_gives_an_empty_summary() {
        assert_eq!(ExifSummary::from_raw(b"not exif at all".to_vec()), ExifSummary::default());
    }
}
