//! What the viewer shows of a photo beyond the stored metadata, read from the decrypted
//! original when it is opened (nothing of it is stored): where it was taken and how
//! (exposure), and, for an animated GIF or WebP, its frames.

use std::io::Cursor;
use std::time::Duration;

use exif::{In, Tag, Value};
use image::{AnimationDecoder, ImageDecoder, ImageFormat};

/// The photo's shooting details, each when the file records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoDetails {
    /// Latitude and longitude in degrees (north and east positive).
    pub position: Option<(f64, f64)>,
    /// ISO speed.
    pub iso: Option<u32>,
    /// The f-number (aperture), e.g. 1.8.
    pub f_number: Option<f64>,
    /// The exposure time in seconds.
    pub exposure: Option<f64>,
    /// The focal length in millimetres.
    pub focal_length: Option<f64>,
    /// The lens, as the camera names it.
    pub lens: Option<String>,
    /// The pages of a multi-page TIFF (a scanned document): the first is the one shown.
    pub pages: Option<usize>,
}

impl PhotoDetails {
    /// `1/250 s`, `2 s`.
    pub fn exposure_text(&self) -> Option<String> {
        self.exposure.map(|t| if t < 1.0 { format!("1/{:.0} s", 1.0 / t) } else { format!("{t:.1} s") })
    }
}

/// Reads the details from a photo's bytes; a file without EXIF, or with EXIF that does
/// not parse, gives none (never an error: the picture is what matters).
pub fn photo_details(bytes: &[u8]) -> PhotoDetails {
    super::error::catching_panics(bytes, || Ok(details_unguarded(bytes))).unwrap_or_default()
}

fn details_unguarded(bytes: &[u8]) -> PhotoDetails {
    let pages = tiff_pages(bytes).filter(|&n| n > 1);
    let Some(exif) = super::analyze::exif_of(bytes).and_then(super::exif::parse) else {
        return PhotoDetails { pages, ..PhotoDetails::default() };
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let rational = |tag| match field(tag)? {
        Value::Rational(r) => r.first().map(exif::Rational::to_f64).filter(|v| v.is_finite() && *v > 0.0),
        _ => None,
    };
    let degrees = |tag, reference, negative: u8| {
        let Value::Rational(parts) = field(tag)? else { return None };
        let [d, m, s] = [parts.first()?, parts.get(1)?, parts.get(2)?].map(exif::Rational::to_f64);
        let value = d + m / 60.0 + s / 3600.0;
        let sign = match field(reference) {
            Some(Value::Ascii(r)) if r.first().and_then(|r| r.first()) == Some(&negative) => -1.0,
            _ => 1.0,
        };
        value.is_finite().then_some(sign * value)
    };
    let position = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')
        .zip(degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W'))
        .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0);
    let iso = exif.get_field(Tag::PhotographicSensitivity, In::PRIMARY).and_then(|f| f.value.get_uint(0));
    let lens = exif.get_field(Tag::LensModel, In::PRIMARY).and_then(|f| match &f.value {
        Value::Ascii(parts) => {
            let text = String::from_utf8_lossy(parts.first()?).trim_matches(['\0', ' ']).to_string();
            (!text.is_empty()).then_some(text)
        }
        _ => None,
    });
    PhotoDetails {
        position,
        iso,
        f_number: rational(Tag::FNumber),
        exposure: rational(Tag::ExposureTime),
        focal_length: rational(Tag::FocalLength),
        lens,
        pages,
    }
}

/// Counting stops here: a loop of directories, or a forged chain, costs no more.
const MAX_PAGES: usize = 1_000;

/// The number of pages (image directories) of a TIFF; `None` for another file.
fn tiff_pages(bytes: &[u8]) -> Option<usize> {
    if super::kind::Kind::of(bytes)? != super::kind::Kind::Image(ImageFormat::Tiff) {
        return None;
    }
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).ok()?;
    let mut pages = 1;
    while pages < MAX_PAGES && decoder.more_images() && decoder.next_image().is_ok() {
        pages += 1;
    }
    Some(pages)
}

/// At most this many frames of an animation are shown (it loops over them).
const MAX_FRAMES: usize = 500;
/// The largest canvas of an animation played (64 MiB: 4096 x 4096 pixels).
const MAX_CANVAS_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many bytes of decoded frames are kept for one animation (the textures
/// made of them cost as much again).
const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// The frames of an animated GIF or WebP, each at most `max_side` pixels on its longest
/// side, with how long it shows; `None` for a still picture (or an animation that does not
/// decode: the viewer shows its first frame as a still then). Long animations are cut at
/// [`MAX_FRAMES`] frames or [`MAX_FRAME_BYTES`] of pictures.
pub fn animation_frames(bytes: &[u8], max_side: u32) -> Option<Vec<(image::RgbaImage, Duration)>> {
    super::error::catching_panics(bytes, || Ok(frames_unguarded(bytes, max_side))).ok().flatten()
}

fn frames_unguarded(bytes: &[u8], max_side: u32) -> Option<Vec<(image::RgbaImage, Duration)>> {
    // Each frame is decoded at the full canvas size: a hostile file's canvas is refused
    // before any of it is allocated.
    let fits = |(w, h): (u32, u32)| u64::from(w) * u64::from(h) * 4 <= MAX_CANVAS_BYTES;
    let frames = match image::guess_format(bytes).ok()? {
        ImageFormat::Gif => {
            let mut decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).ok()?;
            if !fits(decoder.dimensions()) {
                return None;
            }
            // A frame's own header may claim far more than the canvas (65535 x 65535):
            // the limit makes the frame reader refuse it instead of allocating it.
            let mut limits = image::Limits::default();
            limits.max_alloc = Some(3 * MAX_CANVAS_BYTES);
            decoder.set_limits(limits).ok()?;
            decoder.into_frames()
        }
        ImageFormat::WebP => {
            let decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes)).ok()?;
            if !decoder.has_animation() || !fits(decoder.dimensions()) {
                return None;
            }
            decoder.into_frames()
        }
        _ => return None,
    };
    let mut out = Vec::new();
    let mut kept = 0;
    for frame in frames.take(MAX_FRAMES) {
        let Ok(frame) = frame else { break };
        let (numerator, denominator) = frame.delay().numer_denom_ms();
        // Browsers show frames of under 20 ms at 100 ms; so does this viewer.
        let ms = numerator.checked_div(denominator).unwrap_or(100);
        let delay = Duration::from_millis(u64::from(if ms < 20 { 100 } else { ms }));
        let mut picture = frame.into_buffer();
        if picture.width().max(picture.height()) > max_side {
            picture = image::DynamicImage::ImageRgba8(picture)
                .resize(max_side, max_side, image::imageops::FilterType::Triangle)
                .into_rgba8();
        }
        kept += picture.len();
        if kept > MAX_FRAME_BYTES {
            break;
        }
        out.push((picture, delay));
    }
    (out.len() > 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::fixtures::{exif_segment, jpeg_with_segments, shooting_exif};

    #[test]
    fn a_multi_page_tiff_says_how_many_pages_it_has() {
        use tiff::encoder::{TiffEncoder, colortype::Gray8};
        let mut out = Cursor::new(Vec::new());
        let mut encoder = TiffEncoder::new(&mut out).unwrap();
        for page in 0..3u8 {
            encoder.write_image::<Gray8>(8, 4, &[page * 80; 32]).unwrap();
        }
        assert_eq!(photo_details(out.get_ref()).pages, Some(3));
        let mut one = Cursor::new(Vec::new());
        TiffEncoder::new(&mut one).unwrap().write_image::<Gray8>(8, 4, &[0; 32]).unwrap();
        assert_eq!(photo_details(one.get_ref()).pages, None, "one page says nothing");
        // The first page is the one shown.
        let shown = super::super::decode_for_display(out.get_ref(), 64).unwrap();
        assert_eq!(shown.get_pixel(0, 0)[0], 0);
    }

    #[test]
    fn position_and_exposure_are_read_from_the_exif() {
        let t = shooting_exif();
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut plain).encode_image(&image::RgbImage::new(8, 8)).unwrap();
        let details = photo_details(&jpeg_with_segments(&plain, &[exif_segment(&t)]));
        let (lat, lon) = details.position.unwrap();
        assert!((lat - 48.858_222).abs() < 1e-5 && (lon - 2.294_5).abs() < 1e-5, "{lat} {lon}");
        assert_eq!(details.iso, Some(200));
        assert_eq!(details.f_number, Some(1.8));
        assert_eq!(details.exposure_text().as_deref(), Some("1/250 s"));
        assert_eq!(details.focal_length, Some(4.2));
        assert_eq!(photo_details(&plain), PhotoDetails::default());
        assert_eq!(photo_details(b"not a photo"), PhotoDetails::default());
    }

    #[test]
    fn an_animated_gif_gives_its_frames_and_a_still_gives_none() {
        let frame = |v: u8, ms: u32| {
            image::Frame::from_parts(
                image::RgbaImage::from_pixel(40, 30, image::Rgba([v, 0, 0, 255])),
                0,
                0,
                image::Delay::from_numer_denom_ms(ms, 1),
            )
        };
        let mut gif = Vec::new();
        {
            let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
            enc.encode_frames([frame(10, 200), frame(200, 0), frame(90, 50)]).unwrap();
        }
        let frames = animation_frames(&gif, 20).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].0.dimensions(), (20, 15), "scaled to the side asked");
        assert_eq!(frames[0].1, Duration::from_millis(200));
        assert_eq!(frames[1].1, Duration::from_millis(100), "a 0 ms frame shows as browsers show it");
        let mut still = Vec::new();
        image::codecs::gif::GifEncoder::new(&mut still).encode_frame(frame(1, 100)).unwrap();
        assert!(animation_frames(&still, 100).is_none());
        assert!(animation_frames(b"GIF89a and nothing", 100).is_none());
    }

    #[test]
    fn a_frame_claiming_more_than_the_canvas_is_refused_not_allocated() {
        let frame = |v: u8| image::Frame::new(image::RgbaImage::from_pixel(2, 2, image::Rgba([v, 0, 0, 255])));
        let mut gif = Vec::new();
        image::codecs::gif::GifEncoder::new(&mut gif).encode_frames([frame(1), frame(2)]).unwrap();
        // The second frame's image descriptor (after its graphic control extension) now
        // claims 65535 x 65535 pixels: 17 GB to decode.
        let at = gif
            .windows(9)
            .enumerate()
            .filter(|(_, w)| w[0] == 0x21 && w[1] == 0xF9 && w[2] == 4 && w[8] == 0x2C)
            .map(|(i, _)| i + 8)
            .nth(1)
            .expect("two frames");
        gif[at + 5..at + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        let frames = animation_frames(&gif, 100);
        assert!(frames.is_none_or(|f| f.len() <= 1), "the huge frame is not decoded");
    }
}
