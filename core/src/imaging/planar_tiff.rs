//! TIFFs whose colour planes are stored apart (PlanarConfiguration = 2), decoded chunk by
//! chunk. The `image` crate's TIFF path assembles such a file with `tiff`'s whole-image
//! reader, which fails an assertion on tiled ones (tiff 0.11, decoder/image.rs:919); the
//! `tiff` crate's own chunk reader decodes each tile or strip of each plane correctly, and
//! here the planes are interleaved into one picture. libtiff writes such files
//! (`tiffcp -p separate -t`), and scanners and GIS tools produce them.

use std::io::Cursor;

use image::DynamicImage;
use image::metadata::Orientation;
use tiff::ColorType;
use tiff::decoder::{ChunkType, Decoder, DecodingResult, Limits};
use tiff::tags::{PlanarConfiguration, Tag};

use super::ImageError;
use super::error::check_size;

/// Whether `bytes` is a TIFF with separate planes, which [`decode`] reads.
pub(crate) fn is_planar(bytes: &[u8]) -> bool {
    let Ok(mut decoder) = Decoder::new(Cursor::new(bytes)) else { return false };
    decoder.find_tag_unsigned::<u16>(Tag::PlanarConfiguration).ok().flatten()
        == Some(PlanarConfiguration::Planar.to_u16())
}

/// Decodes a TIFF with separate planes of 8- or 16-bit grey, grey and alpha, RGB or RGBA
/// samples, within `max_alloc` bytes. Returns the picture and the TIFF orientation.
pub(crate) fn decode(bytes: &[u8], max_alloc: u64) -> Result<(DynamicImage, Orientation), ImageError> {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = max_alloc as usize;
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(damaged)?.with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(damaged)?;
    let colour = decoder.colortype().map_err(damaged)?;
    let (samples, depth) = match colour {
        ColorType::Gray(d) => (1usize, d),
        ColorType::GrayA(d) => (2, d),
        ColorType::RGB(d) => (3, d),
        ColorType::RGBA(d) => (4, d),
        other => {
            return Err(ImageError::Damaged {
                format: "TIFF",
                detail: format!("separate planes of {other:?} samples are not supported"),
            });
        }
    };
    if depth != 8 && depth != 16 {
        return Err(ImageError::Damaged { format: "TIFF", detail: format!("{depth}-bit planes are not supported") });
    }
    check_size(width, height)?;
    let pixels = u64::from(width) * u64::from(height) * samples as u64; // at most 30,000² x 4: no overflow
    if pixels * 2 > max_alloc {
        return Err(ImageError::TooLarge { width, height });
    }
    let orientation = orientation(&mut decoder);
    let (chunk_w, chunk_h) = decoder.chunk_dimensions();
    let across = match decoder.get_chunk_type() {
        ChunkType::Tile => width.div_ceil(chunk_w.max(1)),
        ChunkType::Strip => 1,
    };
    // The counts are of every plane's chunks, plane after plane.
    let per_plane = match decoder.get_chunk_type() {
        ChunkType::Tile => decoder.tile_count().map_err(damaged)?,
        ChunkType::Strip => decoder.strip_count().map_err(damaged)?,
    } / samples as u32;
    let mut out = vec![0u16; pixels as usize];
    for plane in 0..samples {
        for chunk in 0..per_plane {
            let index = plane as u32 * per_plane + chunk;
            let (data_w, data_h) = decoder.chunk_data_dimensions(index);
            let values: Vec<u16> = match decoder.read_chunk(index).map_err(damaged)? {
                DecodingResult::U8(v) => v.into_iter().map(|x| u16::from(x) * 257).collect(),
                DecodingResult::U16(v) => v,
                _ => return Err(ImageError::Damaged { format: "TIFF", detail: "unexpected sample type".into() }),
            };
            let (x0, y0) = ((chunk % across) * chunk_w, (chunk / across) * chunk_h);
            for y in 0..data_h.min(height.saturating_sub(y0)) {
                for x in 0..data_w.min(width.saturating_sub(x0)) {
                    let Some(&value) = values.get((y * data_w + x) as usize) else {
                        return Err(ImageError::Truncated { format: "TIFF" });
                    };
                    let at = ((u64::from(y0 + y) * u64::from(width) + u64::from(x0 + x)) * samples as u64) as usize;
                    out[at + plane] = value;
                }
            }
        }
    }
    let image = match samples {
        1 => image::ImageBuffer::from_raw(width, height, out).map(DynamicImage::ImageLuma16),
        2 => image::ImageBuffer::from_raw(width, height, out).map(DynamicImage::ImageLumaA16),
        3 => image::ImageBuffer::from_raw(width, height, out).map(DynamicImage::ImageRgb16),
        _ => image::ImageBuffer::from_raw(width, height, out).map(DynamicImage::ImageRgba16),
    }
    .expect("the buffer holds width x height pixels");
    // 8-bit files stay 8-bit pictures, as the image crate would give them.
    let image = match (depth, samples) {
        (8, 1) => DynamicImage::ImageLuma8(image.into_luma8()),
        (8, 2) => DynamicImage::ImageLumaA8(image.into_luma_alpha8()),
        (8, 3) => DynamicImage::ImageRgb8(image.into_rgb8()),
        (8, _) => DynamicImage::ImageRgba8(image.into_rgba8()),
        _ => image,
    };
    Ok((image, orientation))
}

/// What the `tiff` crate's errors mean for the user: its own memory limit met, a feature it
/// lacks (the file is then stored with a plain tile), or damage.
pub(super) fn damaged(e: tiff::TiffError) -> ImageError {
    match e {
        tiff::TiffError::LimitsExceeded => ImageError::NeedsTooMuchMemory,
        e @ tiff::TiffError::UnsupportedError(_) => {
            ImageError::UnsupportedFeature { format: "TIFF", detail: e.to_string() }
        }
        e => ImageError::Damaged { format: "TIFF", detail: e.to_string() },
    }
}

/// The TIFF's orientation tag (1 when it has none, or a value out of range).
pub(super) fn orientation<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> Orientation {
    decoder
        .find_tag_unsigned::<u8>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}
