//! TIFF forms that the `image` crate's TIFF decoder refuses or misreads, read here with the
//! `tiff` crate's sample reader: grey of 2 or 4 bits a sample, palette colour of 1 to 8 bits
//! (what scanners and fax software write), JPEG-compressed YCbCr (what most scanners write
//! for colour), RGB with a fourth sample that is not alpha (`image` reads its samples three
//! by three, and shows noise), and CMYK with a fifth. The `tiff` crate decompresses the
//! samples of any of its compressions. Where it would not read a form as such, it is given
//! a copy of the file whose colour tag says what it does read: grey for a palette file (it
//! then returns the indices, and the colour map is applied here), alpha for an extra sample
//! of unspecified meaning (which is then dropped). JPEG's YCbCr is turned into RGB here, as
//! libjpeg does for libtiff, and CMYK as `image` turns it. CCITT G3 fax pages (one
//! dimension, what most fax software writes), which the `tiff` crate does not decompress,
//! are decoded from their strips by the `fax` crate, the one it uses for G4.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::ImageError;
use super::error::check_size;
use super::planar_tiff::damaged;

/// PhotometricInterpretation values (TIFF 6.0, sections 3 to 5 and 16).
const WHITE_IS_ZERO: u16 = 0;
const BLACK_IS_ZERO: u16 = 1;
const RGB: u16 = 2;
const PALETTE: u16 = 3;
const CMYK: u16 = 5;
const YCBCR: u16 = 6;
/// Compression 3: CCITT Group 3 fax (T.4).
const FAX_G3: u16 = 3;
/// Compression 7: JPEG (TIFF Technical Note 2).
const JPEG: u16 = 7;
/// ExtraSamples values: of unspecified meaning, and unassociated alpha.
const UNSPECIFIED: u16 = 0;
const UNASSOCIATED_ALPHA: u16 = 2;

/// The forms read here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// 2 or 4 bits of grey a pixel.
    Grey,
    /// Indices into a colour map.
    Palette,
    /// JPEG-compressed YCbCr.
    JpegYcbcr,
    /// RGB and a fourth sample that is not alpha.
    RgbAndExtra,
    /// CMYK and a fifth sample (alpha, or of unspecified meaning).
    CmykAndExtra,
}

/// Decodes `bytes` when it is one of the forms above: the picture and the TIFF
/// orientation; `Ok(None)` for any other TIFF.
pub(super) fn decode(bytes: &[u8], max_alloc: u64) -> Result<Option<(DynamicImage, Orientation)>, ImageError> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(damaged)?;
    let tag = |decoder: &mut Decoder<_>, tag, default: u16| {
        // A tag of one value a sample (BitsPerSample: 8, 8, 8) is read by its first value.
        decoder.find_tag_unsigned_vec::<u16>(tag).ok().flatten().and_then(|v| v.first().copied()).unwrap_or(default)
    };
    let photometric = tag(&mut decoder, Tag::PhotometricInterpretation, u16::MAX);
    let bits = tag(&mut decoder, Tag::BitsPerSample, 1);
    let samples = tag(&mut decoder, Tag::SamplesPerPixel, 1);
    let compression = tag(&mut decoder, Tag::Compression, 1);
    let extra = tag(&mut decoder, Tag::ExtraSamples, u16::MAX);
    if compression == FAX_G3 && bits == 1 && samples == 1 {
        return fax_g3(&mut decoder, bytes, photometric).map(Some);
    }
    let form = match (photometric, samples) {
        (WHITE_IS_ZERO | BLACK_IS_ZERO, 1) if matches!(bits, 2 | 4) => Form::Grey,
        (PALETTE, 1) if matches!(bits, 1 | 2 | 4 | 8) => Form::Palette,
        (YCBCR, 3) if bits == 8 && compression == JPEG => Form::JpegYcbcr,
        (RGB, 4) if extra == UNSPECIFIED && matches!(bits, 8 | 16) => Form::RgbAndExtra,
        (CMYK, 5) if bits == 8 => Form::CmykAndExtra,
        _ => return Ok(None),
    };
    let (width, height) = decoder.dimensions().map_err(damaged)?;
    check_size(width, height)?;
    // The samples read, and the RGB(A) picture made of them, are held at once.
    let per_pixel = u64::from(samples) * u64::from(bits.div_ceil(8)) + 4;
    if u64::from(width) * u64::from(height) * per_pixel > max_alloc {
        return Err(ImageError::TooLarge { width, height });
    }
    let orientation = super::planar_tiff::orientation(&mut decoder);
    let colour_map = match form {
        Form::Palette => Some(decoder.get_tag_u16_vec(Tag::ColorMap).map_err(damaged)?),
        _ => None,
    };
    // The copy of the file whose tags say what the `tiff` crate reads.
    let retagged = match form {
        Form::Palette => Some(with_short_tag(bytes, Tag::PhotometricInterpretation.to_u16(), BLACK_IS_ZERO)),
        Form::RgbAndExtra | Form::CmykAndExtra if extra == UNSPECIFIED => {
            Some(with_short_tag(bytes, Tag::ExtraSamples.to_u16(), UNASSOCIATED_ALPHA))
        }
        _ => None,
    };
    let retagged = match retagged {
        Some(copy) => Some(copy.ok_or_else(|| ImageError::Damaged {
            format: "TIFF",
            detail: "a tag the picture is read by is missing or not of its type".into(),
        })?),
        None => None,
    };
    let mut decoder = match &retagged {
        Some(copy) => Decoder::new(Cursor::new(&copy[..])).map_err(damaged)?,
        None => decoder,
    };
    let mut limits = Limits::default();
    limits.decoding_buffer_size = max_alloc as usize;
    decoder = decoder.with_limits(limits);
    let short = || ImageError::Truncated { format: "TIFF" };
    let image = match (form, decoder.read_image().map_err(damaged)?) {
        (Form::RgbAndExtra, DecodingResult::U8(rgbx)) => {
            let rgba = RgbaImage::from_raw(width, height, rgbx).ok_or_else(short)?;
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
        }
        (Form::RgbAndExtra, DecodingResult::U16(rgbx)) => {
            let rgba = image::ImageBuffer::from_raw(width, height, rgbx).ok_or_else(short)?;
            DynamicImage::ImageRgb16(DynamicImage::ImageRgba16(rgba).to_rgb16())
        }
        (Form::CmykAndExtra, DecodingResult::U8(cmyka)) => {
            DynamicImage::ImageRgba8(rgba_of_cmyka(width, height, &cmyka)?)
        }
        (Form::JpegYcbcr, DecodingResult::U8(ycbcr)) => DynamicImage::ImageRgb8(rgb_of_ycbcr(width, height, &ycbcr)?),
        (Form::Grey | Form::Palette, DecodingResult::U8(packed)) => {
            unpack(width, height, usize::from(bits), &packed, colour_map.as_deref())?
        }
        _ => return Err(ImageError::Damaged { format: "TIFF", detail: "unexpected sample type".into() }),
    };
    Ok(Some((image, orientation)))
}

/// A CCITT G3 fax page, one-dimensional (T4Options bit 0 clear), strip by strip: each row
/// starts with an end-of-line code, as T.4 and libtiff write them. Decoded as far as its
/// data goes, as libtiff does: rows past a damaged one stay white.
fn fax_g3(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    bytes: &[u8],
    photometric: u16,
) -> Result<(DynamicImage, Orientation), ImageError> {
    let lacking = |what: &str| ImageError::UnsupportedFeature { format: "TIFF", detail: what.into() };
    let options = decoder.find_tag_unsigned::<u32>(Tag::Unknown(T4_OPTIONS)).ok().flatten().unwrap_or(0);
    if options & 1 != 0 {
        return Err(lacking("two-dimensional CCITT G3 fax coding"));
    }
    let (width, height) = decoder.dimensions().map_err(damaged)?;
    check_size(width, height)?;
    let width16 = u16::try_from(width).map_err(|_| lacking("a fax page wider than 65,535 pixels"))?;
    let reversed = decoder.find_tag_unsigned::<u16>(Tag::FillOrder).ok().flatten() == Some(2);
    let orientation = super::planar_tiff::orientation(decoder);
    let offsets = decoder.get_tag_u64_vec(Tag::StripOffsets).map_err(damaged)?;
    let counts = decoder.get_tag_u64_vec(Tag::StripByteCounts).map_err(damaged)?;
    let rows_per_strip = decoder.find_tag_unsigned::<u32>(Tag::RowsPerStrip).ok().flatten().unwrap_or(height).max(1);
    // White is 0 in the fax code; the photometric tag says how 0 shows.
    let (white, black) = if photometric == WHITE_IS_ZERO { (255, 0) } else { (0, 255) };
    let mut picture = GrayImage::from_pixel(width, height, image::Luma([white]));
    for (strip, (&offset, &count)) in offsets.iter().zip(&counts).enumerate() {
        let start = usize::try_from(offset).map_err(|_| ImageError::Truncated { format: "TIFF" })?;
        let end = start.saturating_add(usize::try_from(count).unwrap_or(usize::MAX)).min(bytes.len());
        let data = bytes.get(start..end).ok_or(ImageError::Truncated { format: "TIFF" })?;
        let mut y = strip as u32 * rows_per_strip;
        let last = (y + rows_per_strip).min(height);
        let input =
            data.iter().map(|&b| Ok::<u8, std::convert::Infallible>(if reversed { b.reverse_bits() } else { b }));
        let Ok(mut rows) = fax::decoder::Group3Decoder::new(input) else { continue };
        // Each row ends at the next row's end-of-line code: the strip's last row has none
        // after it, and is taken when the data ends.
        while y < last {
            let status = rows.advance();
            for (x, colour) in fax::decoder::pels(rows.transitions(), width16).take(width as usize).enumerate() {
                if colour == fax::Color::Black {
                    picture.put_pixel(x as u32, y, image::Luma([black]));
                }
            }
            y += 1;
            if !matches!(status, Ok(fax::decoder::DecodeStatus::Incomplete)) {
                break;
            }
        }
    }
    Ok((DynamicImage::ImageLuma8(picture), orientation))
}

/// TIFF tag 292, T4Options: bit 0 set for two-dimensional coding.
const T4_OPTIONS: u16 = 292;

/// What a TIFF uses that none of the readers here has, in a few words (`LZMA
/// compression`), when its tags tell: the usual reasons a TIFF is stored without a preview.
pub(super) fn lacking(bytes: &[u8]) -> Option<&'static str> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).ok()?;
    let compression = decoder.find_tag_unsigned::<u16>(Tag::Compression).ok().flatten();
    let photometric = decoder.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).ok().flatten();
    Some(match (compression.unwrap_or(1), photometric?) {
        (2, _) => "CCITT Huffman compression",
        (3, _) => "two-dimensional CCITT G3 fax compression",
        (6, _) => "old-style JPEG compression",
        (9 | 10 | 34661, _) => "JBIG compression",
        (34712, _) => "JPEG 2000 compression",
        (34925, _) => "LZMA compression",
        (50000, _) => "Zstandard compression",
        (50001, _) => "WebP compression",
        (50002, _) => "JPEG XL compression",
        (_, 8..=10) => "Lab colour",
        (_, 32844 | 32845) => "LogLuv colour",
        _ => return None,
    })
}

/// Samples of fewer than 8 bits, packed from the high bit and each row starting on a byte,
/// as grey, or through the colour map (its reds, then its greens, then its blues).
fn unpack(
    width: u32,
    height: u32,
    bits: usize,
    packed: &[u8],
    map: Option<&[u16]>,
) -> Result<DynamicImage, ImageError> {
    let (w, h) = (width as usize, height as usize);
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
    Ok(match map {
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
    })
}

/// CMYK and a fifth sample as RGB and alpha, the inks multiplied out as `image` does for
/// CMYK (the fifth sample is taken for alpha whatever it says: it is alpha or unknown).
fn rgba_of_cmyka(width: u32, height: u32, samples: &[u8]) -> Result<RgbaImage, ImageError> {
    let pixels = width as usize * height as usize;
    let Some(samples) = samples.get(..pixels * 5) else { return Err(ImageError::Truncated { format: "TIFF" }) };
    let rgba = samples
        .chunks_exact(5)
        .flat_map(|p| {
            let ink = |c: u8| ((255 - u16::from(c)) * (255 - u16::from(p[3])) / 255) as u8;
            [ink(p[0]), ink(p[1]), ink(p[2]), p[4]]
        })
        .collect();
    Ok(RgbaImage::from_raw(width, height, rgba).expect("four samples a pixel"))
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

    /// A little-endian, uncompressed TIFF of one strip: `bits` per sample (one value a
    /// sample), the given PhotometricInterpretation, more SHORT tags, the packed rows.
    fn tiff_of(width: u16, height: u16, bits: &[u16], photometric: u16, more: &[(u16, u16)], rows: &[u8]) -> Vec<u8> {
        tiff_with_map(width, height, bits, photometric, more, &[], rows)
    }

    fn tiff_with_map(
        width: u16,
        height: u16,
        bits: &[u16],
        photometric: u16,
        more: &[(u16, u16)],
        map: &[u16],
        rows: &[u8],
    ) -> Vec<u8> {
        // (tag, type, values): SHORT (3) or LONG (4); values over 4 bytes go after the directory.
        let mut entries: Vec<(u16, u16, Vec<u32>)> = vec![
            (256, 3, vec![u32::from(width)]),
            (257, 3, vec![u32::from(height)]),
            (258, 3, bits.iter().map(|&b| u32::from(b)).collect()),
            (259, 3, vec![1]),
            (262, 3, vec![u32::from(photometric)]),
            (273, 4, vec![0]), // StripOffsets, set below
            (277, 3, vec![bits.len() as u32]),
            (278, 3, vec![u32::from(height)]),
            (279, 4, vec![rows.len() as u32]),
        ];
        entries.extend(more.iter().map(|&(tag, value)| (tag, 3, vec![u32::from(value)])));
        if !map.is_empty() {
            entries.push((320, 3, map.iter().map(|&v| u32::from(v)).collect()));
        }
        entries.sort_by_key(|e| e.0);
        let size = |kind: u16, n: usize| if kind == 3 { 2 * n } else { 4 * n };
        let outside: usize = entries.iter().map(|(_, k, v)| size(*k, v.len())).filter(|&n| n > 4).sum();
        let blobs_at = 8 + 2 + entries.len() * 12 + 4;
        let data_at = (blobs_at + outside) as u32;
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        let mut blobs = Vec::new();
        for (tag, kind, mut values) in entries {
            if tag == 273 {
                values = vec![data_at];
            }
            let mut bytes = Vec::new();
            for v in &values {
                if kind == 3 {
                    bytes.extend_from_slice(&(*v as u16).to_le_bytes());
                } else {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&(values.len() as u32).to_le_bytes());
            if bytes.len() > 4 {
                out.extend_from_slice(&((blobs_at + blobs.len()) as u32).to_le_bytes());
                blobs.extend_from_slice(&bytes);
            } else {
                bytes.resize(4, 0);
                out.extend_from_slice(&bytes);
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&blobs);
        out.extend_from_slice(rows);
        out
    }

    #[test]
    fn the_forms_image_refuses_or_misreads_are_read_sample_by_sample() {
        // 3x2, 4 bits: rows of 2 bytes (the last nibble is padding).
        let grey = tiff_of(3, 2, &[4], BLACK_IS_ZERO, &[], &[0x0F, 0x80, 0xF0, 0x00]);
        let (image, _) = decode(&grey, 1 << 20).unwrap().expect("a form read here");
        let image = image.into_luma8();
        assert_eq!(image.as_raw(), &[0, 255, 136, 255, 0, 0]);
        // 2 bits of palette: index 1 is red, 2 green, 3 blue, 0 black.
        let mut map = vec![0u16; 12];
        map[1] = 0xFFFF; // red of 1
        map[4 + 2] = 0xFFFF; // green of 2
        map[8 + 3] = 0xFFFF; // blue of 3
        let palette = tiff_with_map(4, 1, &[2], PALETTE, &[], &map, &[0b00_01_10_11]);
        let (image, _) = decode(&palette, 1 << 20).unwrap().expect("a form read here");
        let image = image.into_rgb8();
        assert_eq!(image.as_raw(), &[0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        // RGB and a sample of unspecified meaning: the picture, not its samples read three by three.
        let rgbx = tiff_of(2, 1, &[8, 8, 8, 8], RGB, &[(338, 0)], &[10, 20, 30, 99, 40, 50, 60, 99]);
        let (image, _) = decode(&rgbx, 1 << 20).unwrap().expect("a form read here");
        assert_eq!(image.into_rgb8().as_raw(), &[10, 20, 30, 40, 50, 60]);
        // CMYK and alpha: the inks multiplied out, the alpha kept.
        let cmyka = tiff_of(1, 1, &[8; 5], CMYK, &[(338, 2)], &[0, 255, 255, 0, 200]);
        let (image, _) = decode(&cmyka, 1 << 20).unwrap().expect("a form read here");
        assert_eq!(image.into_rgba8().as_raw(), &[255, 0, 0, 200]);
        // A form the image crate reads is left to it.
        assert!(decode(&tiff_of(2, 1, &[8], BLACK_IS_ZERO, &[], &[1, 2]), 1 << 20).unwrap().is_none());
        // A colour map cut short is damage, not a panic.
        assert!(decode(&tiff_with_map(4, 1, &[2], PALETTE, &[], &map[..6], &[0]), 1 << 20).is_err());
    }
}
