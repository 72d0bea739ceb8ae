//! Second readings of files the first decoder calls damaged but the reference decoders
//! (libjpeg, libpng: what Pillow and most viewers use) still show, as far as they decode:
//! a JPEG whose restart markers are out of order or whose quantisation table holds a zero,
//! read by `zune-jpeg` (already in the tree under `tiff`) in its lenient mode; a PNG whose
//! chunk checksums do not match, read by `png` with its checksums ignored; an OS/2 2.x
//! bitmap, given to `image`'s BMP decoder as the Windows bitmap of the same pixels. A file
//! no reading accepts stays refused (or stored without a preview) for the first decoder's
//! reason.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};

use super::error::{MAX_SIDE, check_size};

/// The picture of `bytes` (a JPEG or a PNG) by the lenient reading, and the raw EXIF block
/// it found; `None` when this reading fails too, or for another format.
pub(super) fn decode(bytes: &[u8], format: ImageFormat, max_alloc: u64) -> Option<(DynamicImage, Option<Vec<u8>>)> {
    match format {
        ImageFormat::Jpeg => jpeg(bytes, max_alloc),
        ImageFormat::Png => png(bytes, max_alloc).map(|image| (image, None)),
        ImageFormat::Bmp => os2_bitmap(bytes, max_alloc).map(|image| (image, None)),
        _ => None,
    }
}

fn jpeg(bytes: &[u8], max_alloc: u64) -> Option<(DynamicImage, Option<Vec<u8>>)> {
    use zune_jpeg::zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize)
        .set_strict_mode(false);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().ok()?;
    let info = decoder.info()?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height).ok()?;
    if u64::from(width) * u64::from(height) * 3 > max_alloc {
        return None;
    }
    let exif = decoder.exif().cloned();
    let pixels = decoder.decode().ok()?;
    Some((DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, pixels)?), exif))
}

fn png(bytes: &[u8], max_alloc: u64) -> Option<DynamicImage> {
    // Pillow forgives a wrong checksum on the picture data (IDAT) only: one on the header
    // or the palette is a damaged file (PngSuite's xcsn0g01), refused as before.
    if !only_picture_checksums_wrong(bytes) {
        return None;
    }
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: usize::try_from(max_alloc).ok()? });
    decoder.ignore_checksums(true);
    // Everything as 8-bit RGBA: palettes and low bit depths expanded, 16 bits cut to 8.
    decoder.set_transformations(png::Transformations::normalize_to_color8() | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_size(width, height).ok()?;
    let size = reader.output_buffer_size()?;
    if size as u64 > max_alloc {
        return None;
    }
    let mut pixels = vec![0; size];
    let frame = reader.next_frame(&mut pixels).ok()?;
    pixels.truncate(frame.buffer_size());
    match frame.color_type {
        png::ColorType::Rgba => RgbaImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8),
        png::ColorType::GrayscaleAlpha => {
            image::GrayAlphaImage::from_raw(width, height, pixels).map(DynamicImage::ImageLumaA8)
        }
        _ => None,
    }
}

/// An OS/2 2.x bitmap: a header of 16 to 64 bytes (not one of Windows' sizes) whose first
/// fields are those of Windows' 40-byte header, the fields it leaves out meaning zero, as
/// in Windows'. It is rewritten with a 40-byte header, its colour table and pixels moved
/// up to follow. OS/2's own compressions (3: Huffman, 4: RLE24) are not Windows' and are
/// left alone.
fn os2_bitmap(bytes: &[u8], max_alloc: u64) -> Option<DynamicImage> {
    let le32 = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    const FILE_HEADER: usize = 14;
    let size = le32(FILE_HEADER)? as usize;
    if !(16..=64).contains(&size) || matches!(size, 40 | 52 | 56) {
        return None;
    }
    let header_end = FILE_HEADER + size;
    let mut header = bytes.get(FILE_HEADER..header_end)?.to_vec();
    header.resize(40, 0);
    header[..4].copy_from_slice(&40u32.to_le_bytes());
    // The compression as the rewritten header says it (a short header leaves part of it out).
    if u32::from_le_bytes(header[16..20].try_into().expect("four bytes")) > 2 {
        return None;
    }
    let pixels_at = (le32(10)? as usize).checked_sub(size)?.checked_add(40)?;
    let mut windows = Vec::with_capacity(bytes.len());
    windows.extend_from_slice(&bytes[..FILE_HEADER]);
    windows[10..14].copy_from_slice(&u32::try_from(pixels_at).ok()?.to_le_bytes());
    windows.extend_from_slice(&header);
    windows.extend_from_slice(&bytes[header_end..]);
    let mut reader = image::ImageReader::with_format(Cursor::new(&windows[..]), ImageFormat::Bmp);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    reader.decode().ok()
}

/// Whether every chunk but the picture data (IDAT) has its right CRC.
fn only_picture_checksums_wrong(bytes: &[u8]) -> bool {
    let mut at = 8; // the signature
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes(header[..4].try_into().expect("four bytes")) as usize;
        let Some(crc) = at.checked_add(8 + len).and_then(|end| bytes.get(end..end + 4)) else { return false };
        let kind = &header[4..8];
        let body = &bytes[at + 4..at + 8 + len];
        if kind != b"IDAT" && crc32fast::hash(body).to_be_bytes() != crc {
            return false;
        }
        if kind == b"IEND" {
            return true;
        }
        at += 12 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    fn picture() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]))
    }

    #[test]
    fn a_png_with_a_bad_checksum_is_read_as_libpng_would() {
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes)
            .write_image(picture().as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
            .unwrap();
        let at = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
        let len = u32::from_be_bytes(bytes[at - 4..at].try_into().unwrap()) as usize;
        bytes[at + 4 + len] ^= 0xFF; // the IDAT chunk's CRC
        assert!(image::load_from_memory(&bytes).is_err(), "the first decoder refuses it");
        let image = decode(&bytes, ImageFormat::Png, 1 << 24).expect("read").0.into_rgb8();
        assert_eq!(image.as_raw(), picture().as_raw());
        // A wrong checksum on the header is damage, as Pillow and libpng say.
        bytes[at + 4 + len] ^= 0xFF;
        let ihdr = bytes.windows(4).position(|w| w == b"IHDR").unwrap();
        bytes[ihdr + 4 + 13] ^= 0xFF;
        assert!(decode(&bytes, ImageFormat::Png, 1 << 24).is_none());
    }

    #[test]
    fn an_os2_bitmap_with_a_64_byte_header_is_read() {
        let picture = picture();
        // The Windows bitmap of the picture, its 40-byte header made OS/2 2.x's 64 bytes.
        let mut windows = Vec::new();
        picture.write_to(&mut Cursor::new(&mut windows), ImageFormat::Bmp).unwrap();
        let size = u32::from_le_bytes(windows[14..18].try_into().unwrap()) as usize;
        assert_eq!(size, 40, "the encoder writes Windows' 40-byte header");
        let mut os2 = windows[..14].to_vec();
        let pixels_at = u32::from_le_bytes(windows[10..14].try_into().unwrap()) + 24;
        os2[10..14].copy_from_slice(&pixels_at.to_le_bytes());
        os2.extend_from_slice(&64u32.to_le_bytes());
        os2.extend_from_slice(&windows[18..54]);
        os2.extend_from_slice(&[0; 24]); // OS/2's own fields: units, recording, rendering…
        os2.extend_from_slice(&windows[54..]);
        assert!(image::load_from_memory(&os2).is_err(), "the first decoder refuses it");
        let (image, _) = decode(&os2, ImageFormat::Bmp, 1 << 24).expect("read");
        assert_eq!(image.into_rgb8().as_raw(), picture.as_raw());
        // A header whose size says Windows is not rewritten.
        assert!(decode(&windows[..60], ImageFormat::Bmp, 1 << 24).is_none());
    }

    #[test]
    fn a_jpeg_with_a_zero_in_its_quantisation_table_is_read() {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
            .write_image(picture().as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
            .unwrap();
        let dqt = bytes.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
        bytes[dqt + 5 + 10] = 0; // one entry of the first table
        assert!(jpeg_decoder::Decoder::new(&bytes[..]).decode().is_err(), "the first decoder refuses it");
        let (image, _) = decode(&bytes, ImageFormat::Jpeg, 1 << 24).expect("read");
        assert_eq!((image.width(), image.height()), (64, 48));
        // Not a picture of something else: close to the original, colour for colour.
        let (a, b) = (image.into_rgb8(), picture());
        let mean = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y) as u64).sum::<u64>() / 9216;
        assert!(mean < 24, "mean difference {mean}");
        // Garbage is refused by this reading too.
        assert!(decode(&bytes[..40], ImageFormat::Jpeg, 1 << 24).is_none());
    }
}
