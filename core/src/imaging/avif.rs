//! AVIF: the primary picture found in the HEIF container (ISO/IEC 23008-12: `pitm`,
//! `iinf`, `iloc`, `iprp`), its AV1 data decoded by `rav1d` (a Rust port of dav1d, the
//! reference decoder, BSD-2-Clause), turned into RGB by the file's own colour description,
//! and turned and mirrored as the container says. Only the decoder process
//! (`decoder_process`) runs this: `rav1d` is Rust but holds `unsafe` code, and a hostile
//! file is never decoded by it in the process that holds the keys.

use std::ptr::NonNull;

use image::{RgbImage, imageops};

use super::ImageError;
use super::error::check_size;

/// The AV1 data of a file's primary picture and how to show it.
struct Primary<'a> {
    /// The item's bytes: OBUs, sequence header first.
    data: std::borrow::Cow<'a, [u8]>,
    /// `nclx` colour: matrix coefficients (ITU-T H.273) and whether the range is full.
    colour: Option<(u16, bool)>,
    /// Quarter turns anticlockwise (`irot`) and mirrors (`imir`: true about the vertical
    /// axis), in the order the file lists them.
    transforms: Vec<Transform>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transform {
    Turn(u8),
    Mirror { vertical_axis: bool },
}

fn unsupported(detail: &str) -> ImageError {
    ImageError::UnsupportedFeature { format: "AVIF", detail: detail.into() }
}

fn damaged(detail: &str) -> ImageError {
    ImageError::Damaged { format: "AVIF", detail: detail.into() }
}

/// Decodes the primary picture of an AVIF, upright, reduced as [`decode_av1`] says.
pub(super) fn decode(bytes: &[u8], max_side: u32) -> Result<RgbImage, ImageError> {
    let primary = primary(bytes)?;
    let mut picture = decode_av1(&primary.data, primary.colour, max_side)?;
    for transform in &primary.transforms {
        picture = match *transform {
            Transform::Turn(1) => imageops::rotate270(&picture),
            Transform::Turn(2) => imageops::rotate180(&picture),
            Transform::Turn(3) => imageops::rotate90(&picture),
            Transform::Turn(_) => picture,
            Transform::Mirror { vertical_axis: true } => imageops::flip_horizontal(&picture),
            Transform::Mirror { vertical_axis: false } => imageops::flip_vertical(&picture),
        };
    }
    Ok(picture)
}

/// Finds the primary item, its data and its properties.
fn primary(bytes: &[u8]) -> Result<Primary<'_>, ImageError> {
    let meta = child(bytes, b"meta").ok_or_else(|| damaged("no meta box"))?;
    let meta = meta.get(4..).ok_or_else(|| damaged("meta box cut short"))?;
    let mut r = Reader(child(meta, b"pitm").ok_or_else(|| damaged("no primary item"))?);
    let version = r.u8()?;
    r.skip(3)?;
    let primary_id = if version == 0 { u32::from(r.u16()?) } else { r.u32()? };
    match item_type(meta, primary_id)? {
        Some(b"av01") => {}
        Some(b"grid") => return Err(unsupported("a grid of AV1 tiles")),
        _ => return Err(unsupported("a primary item that is not AV1")),
    }
    let data = item_data(bytes, meta, primary_id)?;
    let (mut colour, mut transforms) = (None, Vec::new());
    for property in properties_of(meta, primary_id)? {
        match property {
            (b"colr", body) if body.get(0..4) == Some(b"nclx") => {
                let matrix = u16::from_be_bytes(body.get(8..10).ok_or_else(|| damaged("colr"))?.try_into().unwrap());
                let full = body.get(10).is_some_and(|b| b & 0x80 != 0);
                colour = Some((matrix, full));
            }
            (b"irot", body) => transforms.push(Transform::Turn(body.first().copied().unwrap_or(0) & 3)),
            (b"imir", body) => {
                // ISO/IEC 23008-12:2022: mode 0 exchanges top and bottom, 1 left and right
                // (as libheif and libavif read it; the 2017 text's "axis" said otherwise).
                transforms.push(Transform::Mirror { vertical_axis: body.first().is_some_and(|b| b & 1 == 1) })
            }
            _ => {}
        }
    }
    Ok(Primary { data, colour, transforms })
}

/// The body of the first box of type `kind` in `data`.
fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    super::heif::boxes(data).find(|(k, _)| *k == kind).map(|(_, body)| body)
}

/// The type of item `id` (`iinf`'s `infe` entries, versions 2 and 3).
fn item_type(meta: &[u8], id: u32) -> Result<Option<&[u8; 4]>, ImageError> {
    let iinf = child(meta, b"iinf").ok_or_else(|| damaged("no item information"))?;
    let mut r = Reader(iinf);
    let version = r.u8()?;
    r.skip(3)?;
    r.skip(if version == 0 { 2 } else { 4 })?;
    for (kind, body) in super::heif::boxes(r.0) {
        if kind != b"infe" {
            continue;
        }
        let mut e = Reader(body);
        let version = e.u8()?;
        e.skip(3)?;
        let item = match version {
            2 => u32::from(e.u16()?),
            3 => e.u32()?,
            _ => continue,
        };
        e.skip(2)?; // protection index
        if item == id {
            return Ok(Some(e.take(4)?.try_into().expect("four bytes")));
        }
    }
    Ok(None)
}

/// The bytes of item `id`, from its `iloc` extents in the file or in `idat`.
fn item_data<'a>(file: &'a [u8], meta: &'a [u8], id: u32) -> Result<std::borrow::Cow<'a, [u8]>, ImageError> {
    let mut r = Reader(child(meta, b"iloc").ok_or_else(|| damaged("no item locations"))?);
    let version = r.u8()?;
    r.skip(3)?;
    let sizes = r.u8()?;
    let (offset_size, length_size) = (sizes >> 4, sizes & 15);
    let sizes = r.u8()?;
    let (base_size, index_size) = (sizes >> 4, if version == 0 { 0 } else { sizes & 15 });
    let count = if version < 2 { u32::from(r.u16()?) } else { r.u32()? };
    for _ in 0..count {
        let item = if version < 2 { u32::from(r.u16()?) } else { r.u32()? };
        let method = if version == 0 { 0 } else { r.u16()? & 15 };
        r.skip(2)?; // data reference index
        let base = r.sized(base_size)?;
        let extents = r.u16()?;
        let mut parts = Vec::new();
        for _ in 0..extents {
            r.sized(index_size)?;
            let offset = r.sized(offset_size)?;
            let length = r.sized(length_size)?;
            parts.push((base.checked_add(offset).ok_or_else(|| damaged("iloc offset"))?, length));
        }
        if item != id {
            continue;
        }
        let source = match method {
            0 => file,
            1 => child(meta, b"idat").ok_or_else(|| damaged("no idat box"))?,
            _ => return Err(unsupported("item data by reference to another item")),
        };
        let slice = |(offset, length): (u64, u64)| -> Result<&[u8], ImageError> {
            let start = usize::try_from(offset).map_err(|_| damaged("iloc offset"))?;
            // A length of 0 means: to the end of the source.
            let end = match length {
                0 => source.len(),
                n => start.saturating_add(usize::try_from(n).map_err(|_| damaged("iloc length"))?),
            };
            source.get(start..end).ok_or(ImageError::Truncated { format: "AVIF" })
        };
        return match parts.as_slice() {
            [one] => Ok(std::borrow::Cow::Borrowed(slice(*one)?)),
            _ => Ok(std::borrow::Cow::Owned(parts.into_iter().map(slice).collect::<Result<Vec<_>, _>>()?.concat())),
        };
    }
    Err(damaged("the primary item has no location"))
}

/// An item property: its box type and body.
type Property<'a> = (&'a [u8; 4], &'a [u8]);

/// The properties associated with item `id` (`ipma` indices into `ipco`), in order.
fn properties_of(meta: &[u8], id: u32) -> Result<Vec<Property<'_>>, ImageError> {
    let iprp = child(meta, b"iprp").ok_or_else(|| damaged("no item properties"))?;
    let ipco: Vec<Property<'_>> = super::heif::boxes(child(iprp, b"ipco").unwrap_or_default()).collect();
    let mut out = Vec::new();
    for (kind, body) in super::heif::boxes(iprp) {
        if kind != b"ipma" {
            continue;
        }
        let mut r = Reader(body);
        let version = r.u8()?;
        r.skip(2)?;
        let wide = r.u8()? & 1 == 1;
        for _ in 0..r.u32()? {
            let item = if version < 1 { u32::from(r.u16()?) } else { r.u32()? };
            for _ in 0..r.u8()? {
                let index = if wide { usize::from(r.u16()? & 0x7FFF) } else { usize::from(r.u8()? & 0x7F) };
                if item == id && index > 0 {
                    out.extend(ipco.get(index - 1).copied());
                }
            }
        }
    }
    Ok(out)
}

/// Big-endian fields of a box body, each read checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        if self.0.len() < n {
            return Err(ImageError::Truncated { format: "AVIF" });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn skip(&mut self, n: usize) -> Result<(), ImageError> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8, ImageError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ImageError> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("two bytes")))
    }
    fn u32(&mut self) -> Result<u32, ImageError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("four bytes")))
    }
    /// A field of 0, 4 or 8 bytes (`iloc`'s sizes).
    fn sized(&mut self, size: u8) -> Result<u64, ImageError> {
        match size {
            0 => Ok(0),
            4 => Ok(u64::from(self.u32()?)),
            8 => Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("eight bytes"))),
            _ => Err(damaged("iloc field size")),
        }
    }
}

/// The largest picture the AV1 decoder is allowed to make, in pixels.
const MAX_PIXELS: u32 = 100_000_000;

/// One plane of a decoded picture: its rows, `stride` bytes apart, of 8- or 16-bit samples.
struct Plane<'a> {
    bytes: &'a [u8],
    stride: usize,
    high: bool,
}

impl Plane<'_> {
    fn at(&self, x: u32, y: u32) -> u32 {
        let at = y as usize * self.stride;
        if self.high {
            let i = at + 2 * x as usize;
            u32::from(u16::from_ne_bytes([self.bytes[i], self.bytes[i + 1]]))
        } else {
            u32::from(self.bytes[at + x as usize])
        }
    }
}

/// Decodes one AV1 still picture to RGB, reduced by a whole factor to between `max_side`
/// and twice it on its longest side (each output pixel the mean of a block of decoded ones).
fn decode_av1(obus: &[u8], colour: Option<(u16, bool)>, max_side: u32) -> Result<RgbImage, ImageError> {
    use rav1d::include::dav1d::data::Dav1dData;
    use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
    use rav1d::include::dav1d::headers::{DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422};
    use rav1d::include::dav1d::picture::Dav1dPicture;
    use rav1d::src::lib as dav1d;

    const EAGAIN: i32 = -11;
    let failed = |what: &str, code: i32| damaged(&format!("the AV1 decoder failed to {what} ({code})"));
    struct Context(Option<Dav1dContext>);
    impl Drop for Context {
        fn drop(&mut self) {
            // SAFETY: the context came from dav1d_open and is closed once.
            unsafe { dav1d::dav1d_close(NonNull::new(&mut self.0)) };
        }
    }
    struct Data(Dav1dData);
    impl Drop for Data {
        fn drop(&mut self) {
            // SAFETY: the data came from dav1d_data_create; unref is a no-op once consumed.
            unsafe { dav1d::dav1d_data_unref(NonNull::new(&mut self.0)) };
        }
    }
    struct Picture(Dav1dPicture);
    impl Drop for Picture {
        fn drop(&mut self) {
            // SAFETY: unref of a default or decoded picture, once.
            unsafe { dav1d::dav1d_picture_unref(NonNull::new(&mut self.0)) };
        }
    }
    // SAFETY: every pointer given to rav1d points to a live local of the type it expects;
    // the context, data and picture are released by their guards on every path; the planes
    // are read within the rows and strides the decoder returned, while the picture lives.
    unsafe {
        let mut settings = std::mem::MaybeUninit::<Dav1dSettings>::uninit();
        dav1d::dav1d_default_settings(NonNull::new(settings.as_mut_ptr()).expect("a local"));
        let mut settings = settings.assume_init();
        settings.n_threads = 1;
        settings.max_frame_delay = 1;
        settings.frame_size_limit = MAX_PIXELS;
        let mut context = Context(None);
        let opened = dav1d::dav1d_open(NonNull::new(&mut context.0), NonNull::new(&mut settings));
        if opened.0 != 0 {
            return Err(failed("start", opened.0));
        }
        let mut data = Data(Dav1dData::default());
        let buffer = dav1d::dav1d_data_create(NonNull::new(&mut data.0), obus.len());
        if buffer.is_null() {
            return Err(failed("take the data", 0));
        }
        std::ptr::copy_nonoverlapping(obus.as_ptr(), buffer, obus.len());
        let sent = dav1d::dav1d_send_data(context.0, NonNull::new(&mut data.0));
        if sent.0 != 0 && sent.0 != EAGAIN {
            return Err(failed("read the data", sent.0));
        }
        let mut picture = Picture(Dav1dPicture::default());
        let mut got = dav1d::dav1d_get_picture(context.0, NonNull::new(&mut picture.0));
        if got.0 == EAGAIN
            && let Some(c) = context.0
        {
            // A still picture comes out once the decoder is told there is nothing more.
            dav1d::dav1d_flush(c);
            got = dav1d::dav1d_get_picture(context.0, NonNull::new(&mut picture.0));
        }
        if got.0 != 0 {
            return Err(failed("decode the picture", got.0));
        }
        let p = &picture.0;
        let (width, height) = (u32::try_from(p.p.w).unwrap_or(0), u32::try_from(p.p.h).unwrap_or(0));
        check_size(width, height)?;
        let high = p.p.bpc > 8;
        // Chroma is halved across for 4:2:0 and 4:2:2, and down for 4:2:0.
        let (sx, sy) = match p.p.layout {
            DAV1D_PIXEL_LAYOUT_I420 => (1, 1),
            DAV1D_PIXEL_LAYOUT_I422 => (1, 0),
            _ => (0, 0),
        };
        let monochrome = p.p.layout == DAV1D_PIXEL_LAYOUT_I400;
        let plane = |i: usize| -> Result<Plane<'_>, ImageError> {
            let stride = usize::try_from(p.stride[usize::from(i > 0)]).map_err(|_| failed("lay out the picture", 0))?;
            let (w, h) = if i == 0 { (width, height) } else { ((width + sx) >> sx, (height + sy) >> sy) };
            let row = w as usize * if high { 2 } else { 1 };
            let len = stride * (h as usize - 1) + row;
            let base = p.data[i].ok_or_else(|| failed("return its planes", 0))?;
            Ok(Plane { bytes: std::slice::from_raw_parts(base.as_ptr().cast::<u8>(), len), stride, high })
        };
        let planes = if monochrome { [plane(0)?, plane(0)?, plane(0)?] } else { [plane(0)?, plane(1)?, plane(2)?] };
        let seq = p.seq_hdr.map(|h| h.as_ref());
        let (matrix, full) = colour.or_else(|| seq.map(|h| (h.mtrx as u16, h.color_range != 0))).unwrap_or((6, false));
        let convert = Conversion::new(matrix, full, p.p.bpc as u32, monochrome);
        // At least `max_side` on the longest side (less than twice it), for the caller to
        // resize smoothly.
        let step = (width.max(height) / max_side.max(1)).max(1);
        Ok(RgbImage::from_fn(width.div_ceil(step), height.div_ceil(step), |ox, oy| {
            let (x0, y0) = (ox * step, oy * step);
            let (x1, y1) = ((x0 + step).min(width), (y0 + step).min(height));
            let mut sums = [0u64; 3];
            for y in y0..y1 {
                for x in x0..x1 {
                    sums[0] += u64::from(planes[0].at(x, y));
                    sums[1] += u64::from(planes[1].at(x >> sx, y >> sy));
                    sums[2] += u64::from(planes[2].at(x >> sx, y >> sy));
                }
            }
            let n = f32::from(((x1 - x0) * (y1 - y0)) as u16);
            convert.rgb(sums.map(|s| s as f32 / n))
        }))
    }
}

/// YCbCr samples to 8-bit RGB, by the matrix (ITU-T H.273: 1 BT.709, 5 and 6 BT.601,
/// 9 and 10 BT.2020, 0 identity (the planes are G, B, R); others are taken for BT.601, as
/// libavif takes an unspecified one), in full or limited range, of `bits`-bit samples.
struct Conversion {
    kr: f32,
    kb: f32,
    identity: bool,
    monochrome: bool,
    max: f32,
    luma_offset: f32,
    luma_range: f32,
    chroma_range: f32,
}

impl Conversion {
    fn new(matrix: u16, full: bool, bits: u32, monochrome: bool) -> Conversion {
        let (kr, kb) = match matrix {
            1 => (0.2126, 0.0722),
            9 | 10 => (0.2627, 0.0593),
            4 => (0.30, 0.11),
            7 => (0.212, 0.087),
            _ => (0.299, 0.114),
        };
        let max = ((1u32 << bits) - 1) as f32;
        let scale = max / 255.0;
        let (luma_offset, luma_range, chroma_range) =
            if full { (0.0, max, max) } else { (16.0 * scale, 219.0 * scale, 224.0 * scale) };
        Conversion { kr, kb, identity: matrix == 0, monochrome, max, luma_offset, luma_range, chroma_range }
    }

    fn rgb(&self, [y, cb, cr]: [f32; 3]) -> image::Rgb<u8> {
        let rgb = if self.identity {
            [cr / self.max, y / self.max, cb / self.max]
        } else {
            let luma = (y - self.luma_offset) / self.luma_range;
            if self.monochrome {
                [luma; 3]
            } else {
                let half = (self.max + 1.0) / 2.0;
                let (cb, cr) = ((cb - half) / self.chroma_range, (cr - half) / self.chroma_range);
                let r = luma + 2.0 * (1.0 - self.kr) * cr;
                let b = luma + 2.0 * (1.0 - self.kb) * cb;
                let g = (luma - self.kr * r - self.kb * b) / (1.0 - self.kr - self.kb);
                [r, g, b]
            }
        };
        image::Rgb(rgb.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/heif").join(name))
            .unwrap()
    }

    #[test]
    fn an_avif_decodes_to_its_picture() {
        let picture = decode(&fixture("camera.avif"), 4096).unwrap();
        assert_eq!(picture.dimensions(), (96, 64));
        let red = picture.get_pixel(10, 10);
        let blue = picture.get_pixel(85, 10);
        assert!(red[0] > 180 && red[1] < 90 && red[2] < 90, "{red:?}");
        assert!(blue[2] > 150 && blue[0] < 90, "{blue:?}");
    }

    #[test]
    fn a_ten_bit_avif_is_turned_and_mirrored_as_its_container_says() {
        // Turned a quarter anticlockwise, then top and bottom exchanged (`imir` mode 0).
        let picture = decode(&fixture("turned.avif"), 4096).unwrap();
        assert_eq!(picture.dimensions(), (64, 96));
        let (red, green) = (picture.get_pixel(10, 10), picture.get_pixel(50, 80));
        assert!(red[0] > 180 && red[1] < 90 && red[2] < 90, "red at the top left: {red:?}");
        assert!(green[1] > 150 && green[0] < 90, "green at the bottom right: {green:?}");
    }
}
