//! The HEIF family. A HEIC (HEVC pictures: what iPhones save) is decoded by `heic-decoder`,
//! a pure-Rust decoder without `unsafe` (the choice is measured in docs/BENCHMARKS.md);
//! the container's turn and mirror (`irot`, `imir`) and crop are applied by it. Of an AVIF
//! (AV1 pictures), which this build does not decode, the container gives the size and turn.
//! The EXIF of both is read by `kamadak-exif`, which follows the container to its `Exif` item.

use std::io::Cursor;

use image::{DynamicImage, RgbImage, RgbaImage};

use super::ImageError;
use super::error::check_size;

/// What decoding a HEIC holds at its peak, per pixel: the planes as 32-bit samples (one luma
/// and two chroma, a quarter each at 4:2:0 but whole at 4:4:4) and the RGBA picture.
const HEIC_BYTES_PER_PIXEL: u64 = 16;
/// The most a HEIC may take to decode: a 48-megapixel iPhone photo fits (about 780 MB).
const HEIC_MAX_BYTES: u64 = 1 << 30;

/// Decodes a HEIC's primary picture, upright (its own turn and mirror applied).
pub(super) fn decode_heic(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let info = heic_decoder::probe(bytes).map_err(heic_error)?;
    let side = |s: usize| u32::try_from(s).unwrap_or(u32::MAX);
    let (width, height) = (side(info.width), side(info.height));
    check_size(width, height)?;
    // The decoder allocates at the coded size, which a crop (`clap`, the conformance window)
    // can make far larger than the size shown: both are checked.
    let (coded_width, coded_height) = (side(info.coded_width), side(info.coded_height));
    check_size(coded_width, coded_height)?;
    let pixels = (u64::from(width) * u64::from(height)).max(u64::from(coded_width) * u64::from(coded_height));
    if pixels * HEIC_BYTES_PER_PIXEL > HEIC_MAX_BYTES {
        return Err(ImageError::NeedsTooMuchMemory);
    }
    let decoded = heic_decoder::decode(bytes).map_err(heic_error)?;
    let short = || ImageError::Damaged { format: "HEIC", detail: "the decoder returned a short picture".into() };
    Ok(if decoded.alpha.is_some() {
        let rgba = decoded.to_rgba8().map_err(heic_error)?;
        DynamicImage::ImageRgba8(RgbaImage::from_raw(side(rgba.width), side(rgba.height), rgba.data).ok_or_else(short)?)
    } else {
        let rgb = decoded.to_rgb8().map_err(heic_error)?;
        DynamicImage::ImageRgb8(RgbImage::from_raw(side(rgb.width), side(rgb.height), rgb.data).ok_or_else(short)?)
    })
}

/// The size of a HEIC as shown, from its container and parameter sets alone.
pub(super) fn heic_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let info = heic_decoder::probe(bytes).ok()?;
    Some((u32::try_from(info.width).ok()?, u32::try_from(info.height).ok()?))
}

fn heic_error(e: heic_decoder::HeifError) -> ImageError {
    use heic_decoder::HeifError as E;
    let detail = e.to_string();
    match e {
        E::Truncated { .. } => ImageError::Truncated { format: "HEIC" },
        E::Unsupported(_) => ImageError::UnsupportedFeature { format: "HEIC", detail },
        E::LimitExceeded(_) => ImageError::NeedsTooMuchMemory,
        _ => ImageError::Damaged { format: "HEIC", detail },
    }
}

/// The EXIF block (TIFF-structured) of a HEIF file, when it has one that reads.
pub(super) fn exif_block(bytes: &[u8]) -> Option<Vec<u8>> {
    let read = exif::Reader::new().continue_on_error(true).read_from_container(&mut Cursor::new(bytes));
    let exif = read.or_else(|e| e.distill_partial_result(|_skipped_fields| {})).ok()?;
    Some(exif.buf().to_vec())
}

/// The size of a HEIF picture as shown, from its item properties (ISO/IEC 23008-12): the
/// largest `ispe` (a grid's own is larger than its tiles'), its sides swapped when an
/// `irot` turns it a quarter. `None` when the boxes do not say.
pub(super) fn container_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let (_, meta) = boxes(bytes).find(|(kind, _)| *kind == b"meta")?;
    // `meta` is a full box: a version and flags come before its children.
    let (_, iprp) = boxes(meta.get(4..)?).find(|(kind, _)| *kind == b"iprp")?;
    let (_, ipco) = boxes(iprp).find(|(kind, _)| *kind == b"ipco")?;
    let mut size: Option<(u32, u32)> = None;
    let mut quarter_turn = false;
    for (kind, body) in boxes(ipco) {
        let be32 = |at: usize| Some(u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?));
        match kind {
            b"ispe" => {
                let (Some(w), Some(h)) = (be32(4), be32(8)) else { continue };
                if size.is_none_or(|(sw, sh)| u64::from(w) * u64::from(h) > u64::from(sw) * u64::from(sh)) {
                    size = Some((w, h));
                }
            }
            b"irot" => quarter_turn = body.first().is_some_and(|angle| angle & 1 == 1),
            _ => {}
        }
    }
    let (w, h) = size?;
    Some(if quarter_turn { (h, w) } else { (w, h) })
}

/// The boxes one after another in `data`: each one's type and body. Stops at the first
/// box whose size does not fit.
pub(super) fn boxes(mut data: &[u8]) -> impl Iterator<Item = (&[u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?) as u64;
        let kind: &[u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len() as u64),
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            size => (8, size),
        };
        let size = usize::try_from(size).ok().filter(|&s| s >= header && s <= data.len())?;
        let body = &data[header..size];
        data = &data[size..];
        Some((kind, body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        [&((body.len() + 8) as u32).to_be_bytes()[..], kind, body].concat()
    }

    fn ispe(w: u32, h: u32) -> Vec<u8> {
        boxed(b"ispe", &[&[0u8; 4][..], &w.to_be_bytes(), &h.to_be_bytes()].concat())
    }

    #[test]
    fn the_container_gives_the_largest_picture_s_size_turned_as_shown() {
        let ftyp = boxed(b"ftyp", b"avif\0\0\0\0avifmif1");
        let properties = [ispe(512, 512), ispe(2048, 1536), boxed(b"irot", &[1])].concat();
        let meta = boxed(b"meta", &[&[0u8; 4][..], &boxed(b"iprp", &boxed(b"ipco", &properties))].concat());
        let file = [ftyp.clone(), meta].concat();
        assert_eq!(container_size(&file), Some((1536, 2048)));
        // A box that claims more than there is ends the walk, without a panic.
        let mut cut = file.clone();
        cut.truncate(file.len() - 3);
        assert_eq!(container_size(&cut), None);
        assert_eq!(container_size(&ftyp), None);
    }
}
