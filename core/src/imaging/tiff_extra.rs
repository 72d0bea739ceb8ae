//! TIFF forms that the `image` crate's TIFF decoder refuses, read here with the `tiff`
//! crate's sample reader: grey of 2 or 4 bits a sample, palette colour of 1 to 8 bits
//! (what scanners and fax software write), and JPEG-compressed YCbCr (what most scanners
//! write for colour). The `tiff` crate decompresses the samples of any of its
//! compressions; for a palette file, which it does not read as such, it is given a copy
//! whose colour tag says grey, so that it returns the palette indices, and the colour map
//! is applied here; JPEG's YCbCr is turned into RGB here, as libjpeg does for libtiff.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::ImageError;
use super::error::check_size;

/// PhotometricInterpretation values (TIFF 6.0, section 3 and 5).
const WHITE_IS_ZERO: u16 = 0;
const BLACK_IS_ZERO: u16 = 1;
const PALETTE: u16 = 3;
const YCBCR: u16 = 6;
/// Compression 7: JPEG (TIFF Technical Note 2).
const JPEG: u16 = 7;

/// Decodes `bytes` when it is one of the forms above: the picture and the TIFF
/// orientation; `Ok(None)` for any other TIFF.
pub(super) fn decode(bytes: &[u8], max_alloc: u64) -> Result<Option<(DynamicImage, Orientation)>, ImageError> {
    let damaged = |e: tiff::TiffError| match e {
        tiff::TiffError::LimitsExceeded => ImageError::NeedsTooMuchMemory,
        e => ImageError::Damaged { format: "TIFF", detail: e.to_string() },
    };
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(damaged)?;
    let tag = |decoder: &mut Decoder<_>, tag, default: u16| {
        decoder.find_tag_unsigned::<u16>(tag).ok().flatten().unwrap_or(default)
    };
    let photometric = tag(&mut decoder, Tag::PhotometricInterpretation, u16::MAX);
    // One value a sample (8, 8, 8 for YCbCr): the first says.
    let bits = decoder
        .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
        .ok()
        .flatten()
        .and_then(|v| v.first().copied())
        .unwrap_or(1);
    let samples = tag(&mut decoder, Tag::SamplesPerPixel, 1);
    let compression = tag(&mut decoder, Tag::Compression, 1);
    let handled = match (photometric, samples) {
        (WHITE_IS_ZERO | BLACK_IS_ZERO, 1) => matches!(bits, 2 | 4),
        (PALETTE, 1) => matches!(bits, 1 | 2 | 4 | 8),
        (YCBCR, 3) => bits == 8 && compression == JPEG,
        _ => false,
    };
    if !handled {
        return Ok(None);
    }
    let (width, height) = decoder.dimensions().map_err(damaged)?;
    check_size(width, height)?;
    if u64::from(width) * u64::from(height) * 3 > max_alloc {
        return Err(ImageError::TooLarge { width, height });
    }
    let orientation = decoder
        .find_tag_unsigned::<u8>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    let colour_map = match photometric {
        PALETTE => Some(decoder.get_tag_u16_vec(Tag::ColorMap).map_err(damaged)?),
        _ => None,
    };
    // The samples, read as grey (the palette's indices, for a palette file).
    let as_grey;
    let mut decoder = match photometric {
        PALETTE => {
            as_grey =
                with_short_tag(bytes, Tag::PhotometricInterpretation.to_u16(), BLACK_IS_ZERO).ok_or_else(|| {
                    ImageError::Damaged { format: "TIFF", detail: "no colour tag to read the palette by".into() }
                })?;
            Decoder::new(Cursor::new(&as_grey[..])).map_err(damaged)?
        }
        _ => decoder,
    };
    let mut limits = Limits::default();
    limits.decoding_buffer_size = max_alloc as usize;
    decoder = decoder.with_limits(limits);
    let DecodingResult::U8(packed) = decoder.read_image().map_err(damaged)? else {
        return Err(ImageError::Damaged { format: "TIFF", detail: "unexpected sample type".into() });
    };
    if photometric == YCBCR {
        return Ok(Some((DynamicImage::ImageRgb8(rgb_of_ycbcr(width, height, &packed)?), orientation)));
    }
    let (w, h, bits) = (width as usize, height as usize, usize::from(bits));
    let row_bytes = (w * bits).div_ceil(8);
    if packed.len() < row_bytes * h {
        return Err(ImageError::Truncated { format: "TIFF" });
    }
    let max = (1u16 << bits) - 1;
    let index = |x: usize, y: usize| {
        let bit = x * bits;
        let byte = packed[y * row_bytes + bit / 8];
        u16::from(byte >> (8 - bits - bit % 8)) & max
    };
    let image = match colour_map {
        None => DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, y| {
            image::Luma([(u32::from(index(x as usize, y as usize)) * 255 / u32::from(max)) as u8])
        })),
        Some(map) => {
            let colours = usize::from(max) + 1;
            if map.len() < 3 * colours {
                return Err(ImageError::Damaged { format: "TIFF", detail: "the colour map is too short".into() });
            }
            DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
                let i = usize::from(index(x as usize, y as usize));
                image::Rgb([0, 1, 2].map(|channel| (map[channel * colours + i] >> 8) as u8))
            }))
        }
    };
    Ok(Some((image, orientation)))
}

/// JPEG's full-range YCbCr (ITU-T T.871) as RGB.
fn rgb_of_ycbcr(width: u32, height: u32, samples: &[u8]) -> Result<RgbImage, ImageError> {
    let pixels = width as usize * height as usize;
    let Some(samples) = samples.get(..pixels * 3) else { return Err(ImageError::Truncated { format: "TIFF" }) };
    let rgb = samples
        .chunks_exact(3)
        .flat_map(|p| {
            let (y, cb, cr) = (f32::from(p[0]), f32::from(p[1]) - 128.0, f32::from(p[2]) - 128.0);
            [y + 1.402 * cr, y - 0.344_136 * cb - 0.714_136 * cr, y + 1.772 * cb]
                .map(|v| v.round().clamp(0.0, 255.0) as u8)
        })
        .collect();
    Ok(RgbImage::from_raw(width, height, rgb).expect("three samples a pixel"))
}

/// A copy of the TIFF `bytes` with the first directory's SHORT tag `tag` set to `value`:
/// `None` when the file has no such entry.
fn with_short_tag(bytes: &[u8], tag: u16, value: u16) -> Option<Vec<u8>> {
    let little = match bytes.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let u64_at = |at: usize| {
        let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
        Some(if little { u64::from_le_bytes(b) } else { u64::from_be_bytes(b) })
    };
    // Classic TIFF: 12-byte entries after a 2-byte count; BigTIFF: 20-byte entries after 8.
    let (first, count, entry_size) = match u16_at(2)? {
        42 => {
            let ifd = u32_at(4)? as usize;
            (ifd + 2, usize::from(u16_at(ifd)?), 12)
        }
        43 => {
            let ifd = usize::try_from(u64_at(8)?).ok()?;
            (ifd + 8, usize::try_from(u64_at(ifd)?).ok()?, 20)
        }
        _ => return None,
    };
    let value_at = if entry_size == 12 { 8 } else { 12 };
    let entry = (0..count.min(4096)).map(|i| first + i * entry_size).find(|&at| u16_at(at) == Some(tag))?;
    if u16_at(entry + 2)? != 3 {
        return None; // not a SHORT
    }
    let mut out = bytes.to_vec();
    let encoded = if little { value.to_le_bytes() } else { value.to_be_bytes() };
    out.get_mut(entry + value_at..entry + value_at + 2)?.copy_from_slice(&encoded);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian, uncompressed TIFF of one strip: `bits` per sample, the given
    /// PhotometricInterpretation, the packed rows, and a colour map for a palette.
    fn tiff(width: u16, height: u16, bits: u16, photometric: u16, rows: &[u8], map: &[u16]) -> Vec<u8> {
        let mut entries: Vec<(u16, u16, u32, u32)> = vec![
            (256, 3, 1, u32::from(width)),
            (257, 3, 1, u32::from(height)),
            (258, 3, 1, u32::from(bits)),
            (259, 3, 1, 1),
            (262, 3, 1, u32::from(photometric)),
            (273, 4, 1, 0), // StripOffsets, set below
            (277, 3, 1, 1),
            (278, 3, 1, u32::from(height)),
            (279, 4, 1, rows.len() as u32),
        ];
        if !map.is_empty() {
            entries.push((320, 3, map.len() as u32, 0)); // ColorMap, set below
        }
        let ifd_len = 2 + entries.len() * 12 + 4;
        let map_at = 8 + ifd_len;
        let data_at = map_at + map.len() * 2;
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, count, value) in entries {
            let value = match tag {
                273 => data_at as u32,
                320 => map_at as u32,
                _ => value,
            };
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        for v in map {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(rows);
        out
    }

    #[test]
    fn four_bit_grey_and_a_palette_are_read_sample_by_sample() {
        // 3x2, 4 bits: rows of 2 bytes (the last nibble is padding).
        let grey = tiff(3, 2, 4, BLACK_IS_ZERO, &[0x0F, 0x80, 0xF0, 0x00], &[]);
        let (image, _) = decode(&grey, 1 << 20).unwrap().expect("a form read here");
        let image = image.into_luma8();
        assert_eq!(image.as_raw(), &[0, 255, 136, 255, 0, 0]);
        // 2 bits of palette: index 1 is red, 2 green, 3 blue, 0 black.
        let mut map = vec![0u16; 12];
        map[1] = 0xFFFF; // red of 1
        map[4 + 2] = 0xFFFF; // green of 2
        map[8 + 3] = 0xFFFF; // blue of 3
        let palette = tiff(4, 1, 2, PALETTE, &[0b00_01_10_11], &map);
        let (image, _) = decode(&palette, 1 << 20).unwrap().expect("a form read here");
        let image = image.into_rgb8();
        assert_eq!(image.as_raw(), &[0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        // A form the image crate reads is left to it.
        assert!(decode(&tiff(2, 1, 8, BLACK_IS_ZERO, &[1, 2], &[]), 1 << 20).unwrap().is_none());
        // A colour map cut short is damage, not a panic.
        assert!(decode(&tiff(4, 1, 2, PALETTE, &[0], &map[..6]), 1 << 20).is_err());
    }
}
