//! Full decode of one file under memory and size limits, EXIF orientation applied,
//! and the thumbnail encoded as JPEG.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, RgbImage};

use super::error::{MAX_SIDE, catching_panics, check_size};
use super::kind::Kind;
use super::{ExifSummary, ImageError};

/// Longest side of a thumbnail in pixels: sharp for a 256-point tile on a 2x display.
pub const THUMBNAIL_MAX_SIDE: u32 = 512;
/// A JPEG is decoded at the smallest DCT scale whose longest side reaches this (15/16 of
/// the maximum), and that picture is the thumbnail when it is not larger than the maximum:
/// a 12 MP photo (4000 or 4032 pixels wide) then decodes at 1/8 straight to a 500-pixel
/// thumbnail, which saves the resize and most of the inverse DCT (a third of the import's
/// CPU time), and looks the same in a 512-pixel tile.
const THUMBNAIL_DECODE_SIDE: u32 = THUMBNAIL_MAX_SIDE / 16 * 15;
const THUMBNAIL_QUALITY: u8 = 85;
/// Largest decoder allocation: well under 1 GiB even for a hostile file.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Everything the vault keeps about a photo besides its bytes.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Width as displayed (after EXIF orientation).
    pub width: u32,
    /// Height as displayed (after EXIF orientation).
    pub height: u32,
    /// MIME type of the original file, e.g. `image/jpeg`.
    pub mime: &'static str,
    /// EXIF orientation (1-8; 1 when absent).
    pub orientation: u8,
    /// Date taken, camera and GPS presence.
    pub exif: ExifSummary,
    /// The thumbnail, a JPEG whose longest side is at most [`THUMBNAIL_MAX_SIDE`].
    pub thumbnail_jpeg: Vec<u8>,
    /// A blurred placeholder of at most [`PLACEHOLDER_MAX_SIDE`] pixels, as a JPEG: what an
    /// account with blurred previews shows of a locked photo.
    pub placeholder_jpeg: Vec<u8>,
    /// For a file whose pixels this build cannot render, what it is
    /// (`TIFF with LZMA compression`): the thumbnail is then the plain "No preview" tile.
    pub no_preview: Option<String>,
}

/// Longest side of a blurred placeholder: enough to tell a beach from a document, too
/// little to read a word or recognise a face.
pub(crate) const PLACEHOLDER_MAX_SIDE: u32 = 24;

/// Decodes `bytes` completely and builds the thumbnail and metadata. A panic in a decoder
/// is caught and reported as [`ImageError::DecoderFailed`]. A file of a kind we know whose
/// pixels this build cannot render (see [`picture`]) gets the plain "No preview" tile.
pub(crate) fn analyze(bytes: &[u8]) -> Result<Analysis, ImageError> {
    catching_panics(bytes, || analyze_unguarded(bytes))
}

fn analyze_unguarded(bytes: &[u8]) -> Result<Analysis, ImageError> {
    let (picture, no_preview) = picture(bytes, THUMBNAIL_DECODE_SIDE)?;
    let Decoded { kind, image, width: w, height: h, orientation, exif } = picture;
    if kind == Kind::Image(ImageFormat::Jpeg) && !super::jpeg::is_complete(bytes) {
        return Err(truncated());
    }
    let mut thumb = if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        flatten(image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE))
    } else {
        flatten(image)
    };
    thumb.apply_orientation(orientation);
    let quarter_turn = matches!(orientation.to_exif(), 5..=8);
    let (width, height) = if quarter_turn { (h, w) } else { (w, h) };
    let thumb = thumb.into_rgb8();
    let placeholder_jpeg = placeholder_of(&thumb);
    Ok(Analysis {
        width,
        height,
        mime: kind.mime(),
        orientation: orientation.to_exif(),
        exif,
        thumbnail_jpeg: encode_jpeg(&thumb, THUMBNAIL_QUALITY),
        placeholder_jpeg,
        no_preview,
    })
}

/// `jpeg-encoder` (AVX2 chosen at run time) takes 2.2 ms for a 500x375 thumbnail here, the
/// `image` crate's encoder 7.3 ms: a tenth of an import's CPU time.
fn encode_jpeg(picture: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(picture.as_raw(), picture.width() as u16, picture.height() as u16, jpeg_encoder::ColorType::Rgb)
        .expect("a picture of at most 512 pixels encodes into a Vec");
    out
}

/// The blurred placeholder of an upright thumbnail.
fn placeholder_of(thumb: &RgbImage) -> Vec<u8> {
    let small = DynamicImage::ImageRgb8(thumb.clone()).resize(
        PLACEHOLDER_MAX_SIDE,
        PLACEHOLDER_MAX_SIDE,
        image::imageops::FilterType::Triangle,
    );
    let blurred = image::imageops::blur(&small.into_rgb8(), 1.5);
    encode_jpeg(&blurred, 60)
}

/// The blurred placeholder of a thumbnail JPEG (made by [`analyze`]): for photos whose
/// previews change from sharp to blurred after import.
pub(crate) fn placeholder_jpeg(thumbnail_jpeg: &[u8]) -> Result<Vec<u8>, ImageError> {
    let thumb = decode_for_display(thumbnail_jpeg, THUMBNAIL_MAX_SIDE)?;
    Ok(placeholder_of(&DynamicImage::ImageRgba8(thumb).into_rgb8()))
}

/// Decodes a photo for the screen: upright (EXIF orientation applied), its longest side
/// at most `max_side` pixels (a JPEG is decoded at a reduced DCT scale when it can be).
pub fn decode_for_display(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, ImageError> {
    catching_panics(bytes, || decode_for_display_unguarded(bytes, max_side))
}

fn decode_for_display_unguarded(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, ImageError> {
    let (decoded, _) = picture(bytes, max_side)?;
    let mut image = decoded.image;
    if image.width().max(image.height()) > max_side {
        image = image.resize(max_side, max_side, image::imageops::FilterType::Triangle);
    }
    image.apply_orientation(decoded.orientation);
    Ok(image.into_rgba8())
}

/// A decoded picture (possibly at a reduced scale) and what its header says.
struct Decoded {
    kind: Kind,
    image: DynamicImage,
    /// Stored width, before orientation and scaling.
    width: u32,
    /// Stored height.
    height: u32,
    orientation: Orientation,
    exif: ExifSummary,
}

impl Decoded {
    /// A picture decoded whole (not scaled), by a reader that gave its orientation: its
    /// EXIF is read from the file.
    fn whole(bytes: &[u8], kind: Kind, image: DynamicImage, orientation: Orientation) -> Decoded {
        let exif = file_exif(bytes, kind);
        let (width, height) = (image.width(), image.height());
        Decoded { kind, image, width, height, orientation, exif }
    }
}

/// The one rule of what a file shows: its own pixels, decoded at about `target` pixels a
/// side or more (a JPEG at a reduced DCT scale); or, for a file of a kind we know whose
/// pixels this build cannot render (a format it does not decode, a feature of a format it
/// lacks), the plain "No preview" tile and what the file is (`TIFF with LZMA compression`),
/// so that such a photo is stored, listed and exported like any other, never refused.
/// Only a file that is no image, or that is damaged, is an error.
fn picture(bytes: &[u8], target: u32) -> Result<(Decoded, Option<String>), ImageError> {
    let kind = Kind::of(bytes).ok_or(ImageError::NotAnImage)?;
    match decode(bytes, kind, target) {
        Ok(decoded) => Ok((decoded, None)),
        Err(ImageError::UnsupportedFeature { .. }) => {
            let what = describe(bytes, kind);
            let (width, height) = displayed_size(bytes, kind).unwrap_or((0, 0));
            let image = DynamicImage::ImageRgb8(super::tile::no_preview(&what));
            let exif = file_exif(bytes, kind);
            let orientation = Orientation::NoTransforms;
            Ok((Decoded { kind, image, width, height, orientation, exif }, Some(what)))
        }
        Err(e) => Err(e),
    }
}

fn decode(bytes: &[u8], kind: Kind, target: u32) -> Result<Decoded, ImageError> {
    match kind {
        Kind::Image(ImageFormat::Jpeg) => decode_jpeg_scaled(bytes, target)
            .and_then(|scaled| scaled.map_or_else(|| decode_full(bytes, ImageFormat::Jpeg), Ok))
            .or_else(|e| read_leniently(bytes, kind, e)),
        // The forms `image` refuses or misreads first (see `tiff_extra`), separate colour
        // planes (see `planar_tiff`), then `image`.
        Kind::Image(ImageFormat::Tiff) => {
            if let Some((image, orientation)) = super::tiff_extra::decode(bytes, MAX_ALLOC)? {
                return Ok(Decoded::whole(bytes, kind, image, orientation));
            }
            if super::planar_tiff::is_planar(bytes) {
                let (image, orientation) = super::planar_tiff::decode(bytes, MAX_ALLOC)?;
                return Ok(Decoded::whole(bytes, kind, image, orientation));
            }
            decode_full(bytes, ImageFormat::Tiff)
        }
        Kind::Image(format) if format.reading_enabled() => {
            decode_full(bytes, format).or_else(|e| read_leniently(bytes, kind, e))
        }
        // The container's turn is applied by the decoder; HEIF's EXIF orientation is not to
        // be applied again (ISO/IEC 23008-12).
        Kind::Heic => Ok(Decoded::whole(bytes, kind, super::heif::decode_heic(bytes)?, Orientation::NoTransforms)),
        // Their magic numbers are short enough that a text file can start with one: taken
        // for images only when they decode, which this build does not do.
        Kind::Image(ImageFormat::Pnm | ImageFormat::Ico) => Err(ImageError::NotAnImage),
        // An AVIF is decoded in a decoder process (it turns it as its container says), and
        // stored with a tile, where none can be started, only when its container reads as one.
        Kind::Avif => {
            let Some((width, height)) = super::heif::container_size(bytes) else {
                return Err(ImageError::Damaged { format: "AVIF", detail: "no picture size in its container".into() });
            };
            let image = DynamicImage::ImageRgb8(super::decoder_process::decode_avif(bytes, target)?);
            let exif = file_exif(bytes, kind);
            Ok(Decoded { kind, image, width, height, orientation: Orientation::NoTransforms, exif })
        }
        Kind::Image(_) => {
            Err(ImageError::UnsupportedFeature { format: kind.name(), detail: "this build does not decode it".into() })
        }
    }
}

/// A file the first decoder calls damaged, or in a form it lacks, read again as the
/// reference decoders would (see `lenient`); the first decoder's error when that reading
/// fails too.
fn read_leniently(bytes: &[u8], kind: Kind, error: ImageError) -> Result<Decoded, ImageError> {
    let (Kind::Image(format), ImageError::Damaged { .. } | ImageError::UnsupportedFeature { .. }) = (kind, &error)
    else {
        return Err(error);
    };
    let Some((image, found)) = super::lenient::decode(bytes, format, MAX_ALLOC) else { return Err(error) };
    let block = raw_exif(bytes, kind, found);
    let orientation = block.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let exif = block.map(ExifSummary::from_raw).unwrap_or_default();
    let (width, height) = (image.width(), image.height());
    Ok(Decoded { kind, image, width, height, orientation, exif })
}

/// What a file without a preview is: its format, and for a TIFF what of it this build
/// lacks (`TIFF with LZMA compression`).
fn describe(bytes: &[u8], kind: Kind) -> String {
    match (kind, super::tiff_extra::lacking(bytes)) {
        (Kind::Image(ImageFormat::Tiff), Some(lacking)) => format!("TIFF with {lacking}"),
        _ => kind.name().to_string(),
    }
}

/// The size of a file's picture as shown, from its header alone.
fn displayed_size(bytes: &[u8], kind: Kind) -> Option<(u32, u32)> {
    match kind {
        Kind::Heic => super::heif::heic_size(bytes),
        Kind::Avif => super::heif::container_size(bytes),
        Kind::Image(ImageFormat::Tiff) => {
            let (w, h) = tiff::decoder::Decoder::new(Cursor::new(bytes)).ok()?.dimensions().ok()?;
            let orientation = raw_exif(bytes, kind, None).as_deref().and_then(Orientation::from_exif_chunk);
            let quarter_turn = orientation.is_some_and(|o| matches!(o.to_exif(), 5..=8));
            Some(if quarter_turn { (h, w) } else { (w, h) })
        }
        Kind::Image(format) => ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().ok(),
    }
}

fn truncated() -> ImageError {
    ImageError::Truncated { format: "JPEG" }
}

/// A TIFF larger than this is not copied whole to read its tags.
const TIFF_TAGS_MAX: usize = 128 * 1024 * 1024;

/// The EXIF block to read: for a HEIF file, its `Exif` item; else the one a decoder found,
/// without the `Exif\0\0` that some WebP writers put before it; for a TIFF without one, the
/// file itself, whose first directory holds the same tags (date, camera, orientation).
fn raw_exif(bytes: &[u8], kind: Kind, found: Option<Vec<u8>>) -> Option<Vec<u8>> {
    match (kind, found) {
        (Kind::Heic | Kind::Avif, _) => super::heif::exif_block(bytes),
        (_, Some(mut block)) => {
            if block.starts_with(b"Exif\0\0") {
                block.drain(..6);
            }
            Some(block)
        }
        (Kind::Image(ImageFormat::Tiff), None) if bytes.len() <= TIFF_TAGS_MAX => Some(bytes.to_vec()),
        (Kind::Image(_), None) => None,
    }
}

/// The date, camera and place of a file whose decoder gave no EXIF block: from the file.
fn file_exif(bytes: &[u8], kind: Kind) -> ExifSummary {
    raw_exif(bytes, kind, None).map(ExifSummary::from_raw).unwrap_or_default()
}

/// The EXIF block of any file, as [`raw_exif`] reads it: for the viewer's details.
pub(super) fn exif_of(bytes: &[u8]) -> Option<Vec<u8>> {
    let kind = Kind::of(bytes)?;
    let found = match kind {
        Kind::Image(format) if format.reading_enabled() => ImageReader::with_format(Cursor::new(bytes), format)
            .into_decoder()
            .ok()
            .and_then(|mut d| d.exif_metadata().ok().flatten()),
        _ => None,
    };
    raw_exif(bytes, kind, found)
}

/// Any format, at full size, through the `image` crate's decoders.
fn decode_full(bytes: &[u8], format: ImageFormat) -> Result<Decoded, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let name = Kind::Image(format).name();
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => ImageError::NeedsTooMuchMemory,
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated { format: name }
        }
        image::ImageError::Unsupported(e) => ImageError::UnsupportedFeature { format: name, detail: e.to_string() },
        e => ImageError::Damaged { format: name, detail: e.to_string() },
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    // Not every decoder applies `max_alloc` to the picture it returns (the GIF decoder does
    // not: fuzzing found a 576-byte GIF of 28527x28527 that asked for 3.2 GB).
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(ImageError::TooLarge { width, height });
    }
    let block = raw_exif(bytes, Kind::Image(format), decoder.exif_metadata().ok().flatten());
    let orientation = match decoder.orientation() {
        Ok(found) if found != Orientation::NoTransforms => found,
        _ => block.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms),
    };
    let exif = block.map(ExifSummary::from_raw).unwrap_or_default();
    // A memory limit met by a picture whose size is within ours is the decoder's own
    // (a TIFF strip larger than it takes, say): not the picture's size.
    // (The picture's own size was checked above, against MAX_SIDE and MAX_ALLOC.)
    let image = DynamicImage::from_decoder(decoder).map_err(|e| match corrupt(e) {
        ImageError::NeedsTooMuchMemory => {
            ImageError::UnsupportedFeature { format: name, detail: "the decoder's own memory limit".into() }
        }
        e => e,
    })?;
    Ok(Decoded { kind: Kind::Image(format), image, width, height, orientation, exif })
}

/// A JPEG decoded at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still gives a
/// thumbnail-sized picture. Every coefficient is still entropy-decoded, so a damaged
/// file fails as it would at full size, but the inverse DCT and colour conversion run
/// on up to 64 times fewer pixels. `None` for the rare pixel formats (CMYK, 16-bit)
/// left to the full decoder.
fn decode_jpeg_scaled(bytes: &[u8], target: u32) -> Result<Option<Decoded>, ImageError> {
    let corrupt = |e: jpeg_decoder::Error| match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => truncated(),
        e => ImageError::Damaged { format: "JPEG", detail: e.to_string() },
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_ALLOC as usize);
    decoder.read_info().map_err(corrupt)?;
    let info =
        decoder.info().ok_or_else(|| ImageError::Damaged { format: "JPEG", detail: "no frame header".into() })?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    let longest = width.max(height);
    let request = |side: u32| (side * target).div_ceil(longest).max(1).min(side) as u16;
    let (sw, sh) = if longest > target {
        decoder.scale(request(width), request(height)).map_err(corrupt)?
    } else {
        (info.width, info.height)
    };
    let raw_exif = decoder.exif_data().map(<[u8]>::to_vec);
    let pixels = decoder.decode().map_err(corrupt)?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8),
        jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageLuma8),
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return Ok(None),
    }
    .ok_or_else(|| ImageError::Damaged { format: "JPEG", detail: "the decoder returned a short picture".into() })?;
    let orientation = raw_exif.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let exif = raw_exif.map(ExifSummary::from_raw).unwrap_or_default();
    Ok(Some(Decoded { kind: Kind::Image(ImageFormat::Jpeg), image, width, height, orientation, exif }))
}

/// JPEG has no alpha: composite transparent pixels onto white, as viewers show them.
fn flatten(image: DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.into_rgb8());
    }
    let rgba = image.into_rgba8();
    let out = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    });
    DynamicImage::ImageRgb8(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageEncoder, RgbaImage};

    #[test]
    fn a_tiff_in_a_compression_the_decoder_lacks_is_stored_with_a_plain_tile_not_refused() {
        use tiff::encoder::{TiffEncoder, colortype::Gray8};
        let mut out = Cursor::new(Vec::new());
        TiffEncoder::new(&mut out).unwrap().write_image::<Gray8>(16, 8, &[128; 16 * 8]).unwrap();
        let mut bytes = out.into_inner();
        // Compression (259), SHORT, 1 value: 1 (none) becomes 34712 (JPEG 2000).
        let none = [0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00];
        let at = bytes.windows(none.len()).position(|w| w == none).expect("the compression tag");
        bytes[at + 8..at + 10].copy_from_slice(&34712u16.to_le_bytes());
        let a = analyze(&bytes).expect("stored, not refused");
        assert_eq!(a.no_preview.as_deref(), Some("TIFF with JPEG 2000 compression"));
        assert_eq!((a.width, a.height, a.mime), (16, 8, "image/tiff"), "the header's size");
        let tile = decode_for_display(&a.thumbnail_jpeg, 512).unwrap();
        assert_eq!(tile.dimensions(), (super::super::tile::TILE_WIDTH, super::super::tile::TILE_HEIGHT));
        // The viewer shows the same tile.
        assert_eq!(decode_for_display(&bytes, 4096).unwrap().dimensions(), tile.dimensions());
    }

    /// The fixtures made by scripts/fixtures.sh: 96x64, blue, a red block at the top left, a
    /// green one at the bottom right; the HEIF ones with the EXIF of an iPhone, a date and a
    /// position.
    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn is_red(p: image::Rgba<u8>) -> bool {
        p[0] > 180 && p[1] < 90 && p[2] < 90
    }

    #[test]
    fn tiffs_as_scanners_and_fax_software_write_them_are_shown() {
        // JPEG-compressed YCbCr, and BigTIFF: the picture itself.
        for name in ["tiff/jpeg.tif", "tiff/bigtiff.tif"] {
            let a = analyze(&fixture(name)).unwrap();
            assert_eq!((a.width, a.height, a.mime, a.no_preview), (96, 64, "image/tiff", None), "{name}");
            let thumb = decode_for_display(&a.thumbnail_jpeg, 512).unwrap();
            assert!(is_red(*thumb.get_pixel(10, 10)) && !is_red(*thumb.get_pixel(85, 10)), "{name}");
        }
        // A G4 fax page turned by its orientation tag (8): the top-left block (dark in one
        // bit) goes to the bottom left.
        let fax = fixture("tiff/fax-g4-turned.tif");
        let a = analyze(&fax).unwrap();
        assert_eq!((a.width, a.height, a.orientation), (64, 96, 8));
        let shown = decode_for_display(&fax, 512).unwrap();
        let dark = |p: image::Rgba<u8>| p[0] < 80;
        assert!(dark(*shown.get_pixel(10, 85)) && !dark(*shown.get_pixel(10, 10)));
        // A G3 fax page in strips: the top-left block black, the rest white, as libtiff
        // shows it; two-dimensional G3 gets the tile.
        let shown = decode_for_display(&fixture("tiff/fax-g3.tif"), 512).unwrap();
        assert_eq!(shown.dimensions(), (96, 64));
        for (x, y, black) in [(10, 10, true), (47, 31, true), (48, 31, false), (47, 32, false), (80, 50, false)] {
            assert_eq!(dark(*shown.get_pixel(x, y)), black, "({x}, {y})");
        }
        let a = analyze(&fixture("tiff/fax-g3-2d.tif")).unwrap();
        assert_eq!(a.no_preview.as_deref(), Some("TIFF with two-dimensional CCITT G3 fax compression"));
        // LZMA: stored with the tile that says so.
        let a = analyze(&fixture("tiff/lzma.tif")).unwrap();
        assert_eq!((a.width, a.height), (96, 64));
        assert_eq!(a.no_preview.as_deref(), Some("TIFF with LZMA compression"));
    }

    #[test]
    fn text_that_starts_like_a_weak_signature_or_an_empty_avif_box_is_not_stored() {
        for text in [&b"P3 is a note, not a picture"[..], b"\0\0\x01\0four bytes of ICO, then text"] {
            assert!(matches!(analyze(text), Err(ImageError::NotAnImage)), "{:?}", String::from_utf8_lossy(text));
        }
        let avif_box_only = b"\0\0\0\x14ftypavif\0\0\0\0avif";
        assert!(matches!(analyze(avif_box_only), Err(ImageError::Damaged { format: "AVIF", .. })));
    }

    #[test]
    fn a_heic_imports_with_its_picture_date_camera_and_position() {
        let a = analyze(&fixture("heif/camera.heic")).unwrap();
        assert_eq!((a.width, a.height, a.mime, a.orientation), (96, 64, "image/heic", 1));
        assert_eq!(a.no_preview, None);
        assert_eq!(a.exif.camera.as_deref(), Some("Apple iPhone 15 Pro"));
        assert_eq!(a.exif.taken_at.as_deref(), Some("2024-07-14T10:11:12+02:00"));
        assert!(a.exif.has_gps);
        let thumb = decode_for_display(&a.thumbnail_jpeg, 512).unwrap();
        assert_eq!(thumb.dimensions(), (96, 64));
        assert!(is_red(*thumb.get_pixel(10, 10)) && !is_red(*thumb.get_pixel(85, 10)), "the picture itself");
    }

    #[test]
    fn a_heic_turned_by_its_container_shows_upright() {
        // `irot` 1: a quarter turn anticlockwise, so the top-left red block goes to the bottom left.
        let bytes = fixture("heif/turned.heic");
        let a = analyze(&bytes).unwrap();
        assert_eq!((a.width, a.height, a.orientation), (64, 96, 1), "turned by the container, not by EXIF");
        let shown = decode_for_display(&bytes, 4096).unwrap();
        assert_eq!(shown.dimensions(), (64, 96));
        assert!(is_red(*shown.get_pixel(10, 85)) && !is_red(*shown.get_pixel(10, 10)));
    }

    #[test]
    fn a_transparent_heic_is_flattened_onto_white() {
        let a = analyze(&fixture("heif/alpha.heic")).unwrap();
        let thumb = decode_for_display(&a.thumbnail_jpeg, 512).unwrap();
        // The right half is a quarter opaque: blue lightened by the white behind it.
        let p = thumb.get_pixel(70, 10);
        assert!(p[0] > 150 && p[1] > 150, "{p:?}");
    }

    #[test]
    fn an_avif_is_stored_with_a_plain_tile_its_size_and_exif() {
        let a = analyze(&fixture("heif/camera.avif")).unwrap();
        assert_eq!(a.no_preview.as_deref(), Some("AVIF"));
        assert_eq!((a.width, a.height, a.mime), (96, 64, "image/avif"));
        assert_eq!(a.exif.camera.as_deref(), Some("Apple iPhone 15 Pro"));
    }

    #[test]
    fn a_damaged_or_cut_heic_is_refused_with_its_reason() {
        let whole = fixture("heif/camera.heic");
        // The decoder's configuration (the `hvcC` box with the parameter sets) overwritten.
        let mut damaged = whole.clone();
        let at = damaged.windows(4).position(|w| w == b"hvcC").unwrap();
        damaged[at + 4..at + 40].fill(0x55);
        let err = analyze(&damaged).map(|a| a.no_preview).unwrap_err();
        assert!(
            matches!(err, ImageError::Damaged { format: "HEIC", .. } | ImageError::Truncated { format: "HEIC" }),
            "{err:?}"
        );
        // Cut before the end of its picture.
        let err = analyze(&whole[..whole.len() / 2]).map(|a| a.no_preview).unwrap_err();
        assert!(matches!(err, ImageError::Truncated { format: "HEIC" }), "{err:?}");
    }

    #[test]
    fn a_tiff_s_own_tags_give_its_date_camera_and_orientation() {
        use tiff::encoder::{TiffEncoder, colortype::RGB8};
        use tiff::tags::Tag;
        let (w, h) = (60u32, 20u32);
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let mut out = Cursor::new(Vec::new());
        let mut encoder = TiffEncoder::new(&mut out).unwrap();
        let mut picture = encoder.new_image::<RGB8>(w, h).unwrap();
        picture.encoder().write_tag(Tag::Make, "Fujitsu").unwrap();
        picture.encoder().write_tag(Tag::Model, "fi-7160").unwrap();
        picture.encoder().write_tag(Tag::DateTime, "2021:03:04 05:06:07").unwrap();
        picture.encoder().write_tag(Tag::Orientation, 6u16).unwrap();
        picture.write_data(&pixels).unwrap();
        let a = analyze(out.get_ref()).unwrap();
        assert_eq!((a.width, a.height, a.orientation), (20, 60, 6), "turned upright by its orientation tag");
        assert_eq!(a.exif.camera.as_deref(), Some("Fujitsu fi-7160"));
        assert_eq!(a.exif.taken_at.as_deref(), Some("2021-03-04T05:06:07"));
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 128, (x % 256) as u8]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    #[test]
    fn a_png_gets_dimensions_and_a_bounded_jpeg_thumbnail() {
        let a = analyze(&png(1200, 300)).unwrap();
        assert_eq!((a.width, a.height, a.mime, a.orientation), (1200, 300, "image/png", 1));
        let thumb = image::load_from_memory(&a.thumbnail_jpeg).unwrap();
        assert_eq!(image::guess_format(&a.thumbnail_jpeg).unwrap(), ImageFormat::Jpeg);
        assert_eq!((thumb.width(), thumb.height()), (512, 128));
    }

    #[test]
    fn the_placeholder_is_tiny_and_blurred() {
        let a = analyze(&png(1200, 300)).unwrap();
        let placeholder = image::load_from_memory(&a.placeholder_jpeg).unwrap();
        assert_eq!((placeholder.width(), placeholder.height()), (24, 6));
        let again = image::load_from_memory(&placeholder_jpeg(&a.thumbnail_jpeg).unwrap()).unwrap();
        assert_eq!((again.width(), again.height()), (24, 6));
    }

    #[test]
    fn a_jpeg_thumbnail_comes_from_the_smallest_dct_scale_near_512_pixels() {
        let jpeg = |w: u32, h: u32| {
            let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x / 4) as u8, (y / 4) as u8, 90]));
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
            out
        };
        // (source, thumbnail): 1/8 and 1/2 land within 15/16 of 512 and are kept as they
        // are; a scale that overshoots is resized down; a small photo is never enlarged.
        for ((w, h), expected) in [
            ((4000, 2000), (500, 250)),
            ((1000, 600), (500, 300)),
            ((1100, 600), (512, 279)),
            ((900, 600), (512, 341)),
            ((300, 200), (300, 200)),
        ] {
            let a = analyze(&jpeg(w, h)).unwrap();
            assert_eq!((a.width, a.height), (w, h));
            let thumb = image::load_from_memory(&a.thumbnail_jpeg).unwrap();
            assert_eq!((thumb.width(), thumb.height()), expected, "{w}x{h}");
        }
    }

    #[test]
    fn non_images_and_truncated_files_are_refused_with_a_reason() {
        assert!(matches!(analyze(b"hello, I am text"), Err(ImageError::NotAnImage)));
        assert!(matches!(analyze(&[]), Err(ImageError::NotAnImage)));
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        let err = analyze(&cut).unwrap_err();
        assert!(
            matches!(err, ImageError::Damaged { format: "PNG", .. } | ImageError::Truncated { format: "PNG" }),
            "{err}"
        );
    }

    #[test]
    fn a_png_that_declares_huge_dimensions_is_refused_quickly() {
        // A valid 1x1 PNG whose IHDR is rewritten to claim 40000x40000 (CRC fixed up).
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&40000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&40000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = analyze(&bytes).unwrap_err();
        assert!(
            matches!(err, ImageError::TooLarge { width: 40000, height: 40000 } | ImageError::NeedsTooMuchMemory),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_jpeg_is_refused_and_a_whole_one_with_trailing_bytes_is_not() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        assert!(analyze(&jpeg).is_ok());
        let mut trailing = jpeg.clone();
        trailing.extend_from_slice(b"trailing bytes some cameras add");
        assert!(analyze(&trailing).is_ok());
        let cut = &jpeg[..jpeg.len() - 40];
        let err = analyze(cut).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn a_tiny_gif_that_declares_a_huge_canvas_is_refused_before_decoding() {
        // The case fuzzing found (tests/fuzz/corpus/image_import/gif-28527-squared).
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x6f; 570]);
        assert!(matches!(analyze(&gif), Err(ImageError::TooLarge { width: 28527, height: 28527 })));
    }

    #[test]
    fn a_jpeg_whose_header_claims_60000_pixels_is_refused_before_decoding() {
        let img = image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 7].copy_from_slice(&60000u16.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&60000u16.to_be_bytes());
        // Refused from the header, before any pixel buffer is allocated.
        let err = analyze(&jpeg).unwrap_err();
        assert!(matches!(err, ImageError::TooLarge { width: 60000, height: 60000 }), "{err}");
    }

    fn jpeg_64x48() -> Vec<u8> {
        let img = RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        jpeg
    }

    /// `jpeg` with `insert` put in just after its first segment (JFIF's APP0).
    fn after_app0(jpeg: &[u8], insert: &[u8]) -> Vec<u8> {
        assert_eq!(jpeg[2..4], [0xFF, 0xE0]);
        let end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
        [&jpeg[..end], insert, &jpeg[end..]].concat()
    }

    /// Each case was checked with libjpeg-turbo's `djpeg` (which decodes it, with at most a
    /// "extraneous bytes before marker" warning) and Pillow 13 (which opens it).
    #[test]
    fn jpegs_that_libjpeg_opens_with_a_warning_import() {
        let jpeg = jpeg_64x48();
        // Photoshop's APP13 whose declared length ends inside its resource block: the rest
        // of the block is junk before the next marker.
        let mut app13 = vec![0xFF, 0xED, 0x00, 0x12];
        app13.extend_from_slice(b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x12\x34\x56\x1c\x02");
        let cases = [
            ("junk before a marker", after_app0(&jpeg, b"\x00\x11junk\x22")),
            ("an APP14 segment cut short of Adobe's 12 bytes", after_app0(&jpeg, b"\xFF\xEE\x00\x09Adobe\x00\x64")),
            ("a damaged Photoshop resource block", after_app0(&jpeg, &app13)),
            ("fill bytes before a marker", after_app0(&jpeg, b"\xFF\xFF\xFF")),
            ("bytes after the end-of-image marker", [&jpeg[..], b"\0\0\xFF\xD8 a preview"].concat()),
        ];
        for (what, bytes) in cases {
            let a = analyze(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!((a.width, a.height), (64, 48), "{what}");
        }
    }

    #[test]
    fn every_refusal_is_one_plain_sentence() {
        let jpeg = jpeg_64x48();
        let mut png_bad_chunk = png(8, 8);
        png_bad_chunk[12..16].copy_from_slice(&[0xF4, 0xA8, 0x81, 0xE1]); // IHDR's type mangled
        let mut bad_huffman = jpeg.clone();
        let sos = bad_huffman.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
        for b in &mut bad_huffman[sos + 20..sos + 60] {
            *b = 0xFF;
        }
        let inputs: Vec<Vec<u8>> = vec![
            b"hello".to_vec(),
            png_bad_chunk,
            png(8, 8)[..60].to_vec(),
            jpeg[..jpeg.len() / 2].to_vec(),
            bad_huffman,
            b"GIF89a\x01\x00\x01\x00broken".to_vec(),
            b"RIFF\x10\x00\x00\x00WEBPVP8 broken".to_vec(),
            b"BM\x10\x00\x00\x00broken bitmap".to_vec(),
            b"II*\x00\x08\x00\x00\x00\x01\x00\x00\x01".to_vec(),
            b"\x00\x00\x00\x0cjP  \r\n\x87\n".to_vec(),
        ];
        for input in inputs {
            let Err(err) = analyze(&input) else { continue };
            let text = err.to_string();
            for bad in ["{", "\\u{", "::", "Error", "ChunkType", "Some(", "\"", "\n"] {
                assert!(!text.contains(bad), "{text:?} contains {bad:?}");
            }
            assert!(text.ends_with(|c: char| c.is_ascii_alphanumeric() || c == ')'), "{text:?}");
        }
    }

    #[test]
    fn every_tiff_layout_imports_or_is_refused_without_a_panic() {
        for layout in crate::fuzzing::fixtures::TiffLayout::all() {
            let tiff = crate::fuzzing::fixtures::tiff(40, 24, layout);
            match analyze(&tiff) {
                Ok(a) => assert_eq!((a.width, a.height, a.mime), (40, 24, "image/tiff"), "{layout:?}"),
                Err(e) => panic!("{layout:?}: {e} ({:?})", e.detail()),
            }
            // Separate planes give the very pixels of the same picture stored interleaved.
            let chunky = crate::fuzzing::fixtures::tiff(
                40,
                24,
                crate::fuzzing::fixtures::TiffLayout { planar: false, ..layout },
            );
            assert_eq!(decode_for_display(&tiff, 64).unwrap(), decode_for_display(&chunky, 64).unwrap(), "{layout:?}");
        }
    }

    #[test]
    fn a_panic_inside_a_decoder_is_this_file_s_refusal() {
        let err = catching_panics(b"II*\0rest of a tiff", || -> Result<(), ImageError> { panic!("assertion failed") })
            .unwrap_err();
        assert!(matches!(err, ImageError::DecoderFailed { format: "TIFF", .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "the image decoder failed on this TIFF file; convert it to JPEG or PNG and import that"
        );
        assert!(err.detail().is_some_and(|d| d.contains("assertion failed")));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
