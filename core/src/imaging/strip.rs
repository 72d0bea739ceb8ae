//! Removing metadata from an image file without touching its pixels: EXIF (GPS, camera,
//! dates, maker notes), XMP, IPTC and comments go; the orientation stays, so the photo
//! still shows upright. The compressed image data is copied byte for byte, so the
//! decoded pixels are exactly the original's.
//!
//! Each format is rewritten from an allow-list: only the parts needed to show the
//! picture (and its colour profile) are kept, so metadata in a part we do not know is
//! dropped rather than leaked.

use super::jpeg::{EOI, Markers, SOS, is_standalone};
use super::kind::Kind;

/// The formats whose metadata can be removed, in words: the app says it beside the choice.
pub const STRIPPABLE_FORMATS: &str = "JPEG, PNG, WebP, GIF and BMP";

/// Why a file could not be stripped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StripError {
    /// The format has no stripping support.
    #[error(
        "removing metadata from {0} files is not supported (only from {STRIPPABLE_FORMATS}); export the original instead"
    )]
    Unsupported(String),
    /// The file's structure could not be followed.
    #[error("the {0} file's structure is damaged, so its metadata cannot be removed safely")]
    Malformed(&'static str),
}

/// Returns `bytes` without metadata, keeping the EXIF `orientation` (1-8).
/// A panic in the parsers is caught: that file is refused, and an export goes on.
pub(crate) fn strip_metadata(bytes: &[u8], orientation: u8) -> Result<Vec<u8>, StripError> {
    crate::platform::panic_guard::catch_panic(|| strip_unguarded(bytes, orientation))
        .unwrap_or(Err(StripError::Malformed("image")))
}

fn strip_unguarded(bytes: &[u8], orientation: u8) -> Result<Vec<u8>, StripError> {
    let keep_orientation = (2..=8).contains(&orientation).then_some(orientation);
    use image::ImageFormat;
    match Kind::of(bytes) {
        Some(Kind::Image(ImageFormat::Jpeg)) => strip_jpeg(bytes, keep_orientation),
        Some(Kind::Image(ImageFormat::Png)) => strip_png(bytes, keep_orientation),
        Some(Kind::Image(ImageFormat::WebP)) => strip_webp(bytes, keep_orientation),
        Some(Kind::Image(ImageFormat::Gif)) => strip_gif(bytes),
        Some(Kind::Image(ImageFormat::Bmp)) => Ok(bytes.to_vec()), // BMP carries no metadata
        Some(other) => Err(StripError::Unsupported(other.name().to_string())),
        None => Err(StripError::Unsupported("unknown".into())),
    }
}

/// A minimal EXIF block (TIFF, little-endian) holding only the orientation tag.
fn orientation_exif(orientation: u8) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"II*\0");
    t.extend_from_slice(&8u32.to_le_bytes()); // IFD0 offset
    t.extend_from_slice(&1u16.to_le_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    t.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_le_bytes()); // count
    t.extend_from_slice(&u16::from(orientation).to_le_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    t
}

fn strip_jpeg(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>, StripError> {
    const BAD: StripError = StripError::Malformed("JPEG");
    if b.len() < 4 || b[0..2] != [0xFF, 0xD8] {
        return Err(BAD);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    // The orientation's EXIF segment goes after JFIF's APP0, which must come first.
    let mut pending_exif = orientation.map(|o| {
        let payload = [b"Exif\0\0".as_slice(), &orientation_exif(o)].concat();
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(&payload);
        segment
    });
    let mut markers = Markers::new(b).ok_or(BAD)?;
    loop {
        // Junk between segments is dropped, as libjpeg skips it (see `jpeg`).
        let segment = markers.next_segment().ok_or(BAD)?;
        let marker = segment.marker;
        if marker == EOI {
            out.extend_from_slice(segment.bytes);
            return Ok(out); // anything after EOI (maker previews, depth maps) is dropped
        }
        if !is_standalone(marker) {
            if marker != 0xE0
                && let Some(exif) = pending_exif.take()
            {
                out.extend_from_slice(&exif);
            }
            if !keep_jpeg_segment(marker, segment.payload) {
                continue;
            }
        }
        out.extend_from_slice(segment.bytes);
        if marker == SOS || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(markers.entropy_coded_data().ok_or(BAD)?);
        }
    }
}

/// Frames, tables, scans, JFIF, the ICC profile and Adobe's colour-transform flag stay;
/// every other application segment (EXIF, XMP, IPTC, maker data, MPF) and comments go.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0") || payload.starts_with(b"JFXX\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true, // SOFn, DHT, DAC, DQT, DRI, DNL, SOS, EXP…: the picture itself
    }
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn strip_png(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>, StripError> {
    const BAD: StripError = StripError::Malformed("PNG");
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const KEEP: [&[u8; 4]; 17] = [
        b"PLTE", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"hIST", b"sPLT", b"cICP",
        b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
    ];
    if !b.starts_with(SIG) {
        return Err(BAD);
    }
    let mut out = SIG.to_vec();
    let mut i = SIG.len();
    let mut wrote_exif = false;
    while i + 12 <= b.len() {
        let len = u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = b[i + 4..i + 8].try_into().expect("4 bytes");
        let end = i.checked_add(12 + len).filter(|&e| e <= b.len()).ok_or(BAD)?;
        let critical = kind[0].is_ascii_uppercase();
        if let Some(o) = orientation.filter(|_| !wrote_exif && (&kind == b"IDAT" || &kind == b"IEND")) {
            png_chunk(&mut out, b"eXIf", &orientation_exif(o));
            wrote_exif = true;
        }
        // Critical chunks (IHDR, IDAT, IEND, and any we do not know) are the picture.
        if critical || KEEP.contains(&&kind) {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
    Err(BAD)
}

fn strip_webp(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>, StripError> {
    const BAD: StripError = StripError::Malformed("WebP");
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err(BAD);
    }
    let riff_end = (u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")) as usize + 8).min(b.len());
    let mut chunks = Vec::new();
    let mut i = 12;
    while i + 8 <= riff_end {
        let id: [u8; 4] = b[i..i + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(b[i + 4..i + 8].try_into().expect("4 bytes")) as usize;
        let end = (i + 8).checked_add(len).filter(|&e| e <= b.len()).ok_or(BAD)?;
        let padded = (end + (len & 1)).min(b.len());
        if matches!(&id, b"VP8 " | b"VP8L" | b"VP8X" | b"ALPH" | b"ANIM" | b"ANMF" | b"ICCP") {
            chunks.push((id, b[i + 8..end].to_vec()));
        }
        i = padded;
    }
    let has_vp8x = chunks.first().is_some_and(|(id, data)| id == b"VP8X" && data.len() >= 10);
    if let Some((_, vp8x)) = chunks.first_mut().filter(|_| has_vp8x) {
        vp8x[0] &= !(0x08 | 0x04); // EXIF and XMP flags
        if orientation.is_some() {
            vp8x[0] |= 0x08;
        }
    }
    if let Some(o) = orientation.filter(|_| has_vp8x) {
        chunks.push((*b"EXIF", orientation_exif(o)));
    }
    let mut body = Vec::with_capacity(b.len());
    body.extend_from_slice(b"WEBP");
    for (id, data) in &chunks {
        body.extend_from_slice(id);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// GIF keeps no EXIF; its comment extensions and application extensions other than the
/// looping ones (XMP lives in one) are removed.
fn strip_gif(b: &[u8]) -> Result<Vec<u8>, StripError> {
    const BAD: StripError = StripError::Malformed("GIF");
    if b.len() < 13 {
        return Err(BAD);
    }
    let table = |flags: u8| if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
    let mut i = 13 + table(b[10]);
    let mut out = b.get(..i).ok_or(BAD)?.to_vec();
    // The end of a run of data sub-blocks that starts at `j`.
    let sub_blocks = |mut j: usize| -> Result<usize, StripError> {
        loop {
            let n = usize::from(*b.get(j).ok_or(BAD)?);
            j += 1 + n;
            if n == 0 {
                return Ok(j);
            }
        }
    };
    loop {
        match b.get(i) {
            Some(0x3B) => {
                out.push(0x3B);
                return Ok(out);
            }
            Some(0x21) => {
                let label = *b.get(i + 1).ok_or(BAD)?;
                let end = sub_blocks(i + 2)?;
                let app_id = b.get(i + 3..i + 14).unwrap_or_default();
                let keep = match label {
                    0xFE => false,
                    0xFF => app_id == b"NETSCAPE2.0" || app_id == b"ANIMEXTS1.0",
                    _ => true, // graphic control, plain text
                };
                if keep {
                    out.extend_from_slice(b.get(i..end).ok_or(BAD)?);
                }
                i = end;
            }
            Some(0x2C) => {
                let flags = *b.get(i + 9).ok_or(BAD)?;
                let data = i + 10 + table(flags) + 1; // after the LZW minimum code size
                let end = sub_blocks(data)?;
                out.extend_from_slice(b.get(i..end).ok_or(BAD)?);
                i = end;
            }
            _ => return Err(BAD),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::fixtures::{exif_segment, ifd_entry, jpeg_segment, jpeg_with_segments};
    use crate::imaging::ExifSummary;
    use image::ImageDecoder;

    /// An EXIF block with Make, Model and a GPS IFD, as a camera writes them.
    fn camera_exif(orientation: u16) -> Vec<u8> {
        // Little-endian TIFF: IFD0 with Make, Model, Orientation, GPS pointer; GPS IFD with
        // latitude ref and latitude.
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        let ifd0_entries = 4u16;
        let ifd0_size = 2 + 12 * ifd0_entries as usize + 4;
        let data_at = 8 + ifd0_size; // where out-of-line values start
        let make = b"SnoopCam\0";
        let model = b"SnoopCam X100\0";
        let gps_at = data_at + make.len() + model.len();
        t.extend_from_slice(&ifd0_entries.to_le_bytes());
        ifd_entry(&mut t, 0x010F, 2, make.len() as u32, data_at as u32);
        ifd_entry(&mut t, 0x0110, 2, model.len() as u32, (data_at + make.len()) as u32);
        ifd_entry(&mut t, 0x0112, 3, 1, u32::from(orientation));
        ifd_entry(&mut t, 0x8825, 4, 1, gps_at as u32);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(make);
        t.extend_from_slice(model);
        let rational_at = gps_at + 2 + 12 * 2 + 4;
        t.extend_from_slice(&2u16.to_le_bytes());
        ifd_entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
        ifd_entry(&mut t, 0x0002, 5, 3, rational_at as u32);
        t.extend_from_slice(&0u32.to_le_bytes());
        for (n, d) in [(40u32, 1u32), (26, 1), (4600, 100)] {
            t.extend_from_slice(&n.to_le_bytes());
            t.extend_from_slice(&d.to_le_bytes());
        }
        t
    }

    fn sample_rgb() -> image::RgbImage {
        image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x * y) % 256) as u8]))
    }

    /// A JPEG with EXIF (camera + GPS), XMP, IPTC, a comment, and a trailing preview.
    fn loaded_jpeg(orientation: u16) -> Vec<u8> {
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&sample_rgb()).unwrap();
        let mut out = jpeg_with_segments(
            &plain,
            &[
                exif_segment(&camera_exif(orientation)),
                jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-XMP</x:xmpmeta>"),
                jpeg_segment(0xED, b"Photoshop 3.0\08BIM SECRET-IPTC"),
                jpeg_segment(0xFE, b"SECRET-COMMENT"),
            ],
        );
        out.extend_from_slice(b"\xFF\xD8 SECRET-TRAILING-PREVIEW \xFF\xD9");
        out
    }

    fn pixels(bytes: &[u8]) -> Vec<u8> {
        image::load_from_memory(bytes).unwrap().into_rgba8().into_raw()
    }

    fn orientation_of(bytes: &[u8]) -> u8 {
        let mut d =
            image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().unwrap().into_decoder().unwrap();
        d.orientation().unwrap().to_exif()
    }

    fn exif_of(bytes: &[u8]) -> ExifSummary {
        let mut d =
            image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().unwrap().into_decoder().unwrap();
        d.exif_metadata().unwrap().map(ExifSummary::from_raw).unwrap_or_default()
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn jpeg_loses_gps_camera_xmp_iptc_comments_and_trailers_but_keeps_pixels_and_orientation() {
        let original = loaded_jpeg(6);
        let before = exif_of(&original);
        assert!(before.has_gps && before.camera.is_some(), "fixture carries metadata: {before:?}");
        let stripped = strip_metadata(&original, 6).unwrap();
        assert_eq!(pixels(&stripped), pixels(&original));
        assert_eq!(orientation_of(&stripped), 6);
        assert_eq!(exif_of(&stripped), ExifSummary::default());
        for secret in [b"SnoopCam".as_slice(), b"SECRET"] {
            assert!(!contains(&stripped, secret));
        }
        assert!(stripped.ends_with(&[0xFF, 0xD9]));
        // Orientation 1 needs no EXIF at all.
        let upright = strip_metadata(&loaded_jpeg(1), 1).unwrap();
        assert!(!contains(&upright, b"Exif\0\0"));
        assert_eq!(pixels(&upright), pixels(&loaded_jpeg(1)));
    }

    #[test]
    fn png_loses_text_time_and_exif_chunks_but_keeps_pixels_and_orientation() {
        let mut plain = Vec::new();
        image::codecs::png::PngEncoder::new(&mut plain)
            .write_image(sample_rgb().as_raw(), 48, 32, image::ExtendedColorType::Rgb8)
            .unwrap();
        use image::ImageEncoder;
        // Insert tEXt, tIME and eXIf chunks after IHDR (8 + 25 bytes).
        let mut loaded = plain[..33].to_vec();
        png_chunk(&mut loaded, b"tEXt", b"Comment\0SECRET-TEXT");
        png_chunk(&mut loaded, b"tIME", &[7, 0xE6, 1, 2, 3, 4, 5]);
        png_chunk(&mut loaded, b"eXIf", &camera_exif(3));
        loaded.extend_from_slice(&plain[33..]);
        assert!(exif_of(&loaded).has_gps);
        let stripped = strip_metadata(&loaded, 3).unwrap();
        assert_eq!(pixels(&stripped), pixels(&loaded));
        assert_eq!(orientation_of(&stripped), 3);
        assert!(!contains(&stripped, b"SECRET") && !contains(&stripped, b"SnoopCam") && !contains(&stripped, b"tIME"));
    }

    #[test]
    fn webp_loses_exif_and_xmp_and_fixes_its_header() {
        let mut plain = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut plain)
            .encode(sample_rgb().as_raw(), 48, 32, image::ExtendedColorType::Rgb8)
            .unwrap();
        // Rebuild as extended WebP: VP8X (EXIF + XMP flags), the bitstream, EXIF, XMP.
        let bitstream = &plain[12..];
        let mut vp8x = vec![0x08 | 0x04, 0, 0, 0];
        vp8x.extend_from_slice(&47u32.to_le_bytes()[..3]);
        vp8x.extend_from_slice(&31u32.to_le_bytes()[..3]);
        let exif = camera_exif(1);
        let mut body = b"WEBP".to_vec();
        for (id, data) in [(b"VP8X", vp8x.as_slice()), (b"EXIF", exif.as_slice()), (b"XMP ", b"SECRET-XMP".as_slice())]
        {
            body.extend_from_slice(id);
            body.extend_from_slice(&(data.len() as u32).to_le_bytes());
            body.extend_from_slice(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
            if id == b"VP8X" {
                body.extend_from_slice(bitstream);
            }
        }
        let mut loaded = b"RIFF".to_vec();
        loaded.extend_from_slice(&(body.len() as u32).to_le_bytes());
        loaded.extend_from_slice(&body);
        assert_eq!(pixels(&loaded), pixels(&plain));
        let stripped = strip_metadata(&loaded, 1).unwrap();
        assert_eq!(pixels(&stripped), pixels(&plain));
        assert!(!contains(&stripped, b"SECRET") && !contains(&stripped, b"SnoopCam"));
        assert_eq!(stripped[20] & 0x0C, 0, "EXIF and XMP flags cleared");
        assert_eq!(u32::from_le_bytes(stripped[4..8].try_into().unwrap()) as usize, stripped.len() - 8);
    }

    #[test]
    fn gif_loses_comments_and_xmp_but_keeps_frames_and_looping() {
        let frame = image::Frame::new(image::DynamicImage::ImageRgb8(sample_rgb()).into_rgba8());
        let mut plain = Vec::new();
        {
            let mut enc = image::codecs::gif::GifEncoder::new(&mut plain);
            enc.set_repeat(image::codecs::gif::Repeat::Infinite).unwrap();
            enc.encode_frames([frame.clone(), frame]).unwrap();
        }
        let trailer = plain.len() - 1;
        let mut loaded = plain[..trailer].to_vec();
        loaded.extend_from_slice(b"\x21\xFE\x0ESECRET-COMMENT\x00");
        loaded.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x0ASECRET-XMP\x00");
        loaded.push(0x3B);
        let stripped = strip_metadata(&loaded, 1).unwrap();
        assert!(!contains(&stripped, b"SECRET"));
        assert!(contains(&stripped, b"NETSCAPE2.0"));
        assert_eq!(stripped, plain, "exactly the file without the two extensions");
    }

    #[test]
    fn damaged_or_unsupported_files_say_so() {
        let mut cut = loaded_jpeg(1);
        cut.truncate(cut.len() / 2);
        assert!(matches!(strip_metadata(&cut[..cut.len() - 40], 1), Err(StripError::Malformed("JPEG"))));
        let mut tiff = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::tiff::TiffEncoder::new(std::io::Cursor::new(&mut tiff)),
            sample_rgb().as_raw(),
            48,
            32,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        let err = strip_metadata(&tiff, 1).unwrap_err();
        assert!(err.to_string().contains("export the original instead"), "{err}");
    }
}
