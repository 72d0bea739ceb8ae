//! The bodies of the fuzz targets in `tests/fuzz` (cargo-fuzz, run by `scripts/fuzz.sh`),
//! and their seeds. They live here so that `tests/fuzz_seeds.rs` runs the very same code
//! on stable Rust in every test run. Each takes any bytes, must never panic, and asserts
//! what has to hold for them.

use crate::crypto::{CHUNK_SIZE, PhotoPassword, SecretKey, StreamDecryptor, StreamEncryptor, TAG_LEN};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: (name, body).
pub const TARGETS: [(&str, Target); 4] =
    [("records", records), ("chunks", chunks), ("password_email", password_email), ("image_import", image_import)];

/// Stored records (accounts, profiles, photo headers and metadata) from damaged bytes.
pub fn records(data: &[u8]) {
    crate::vault::decode_every_record(data);
}

/// Chunk decryption. Arbitrary bytes read as a stream's chunks are never accepted; and a
/// real stream of the input, changed at one place the input picks, never opens.
pub fn chunks(data: &[u8]) {
    let key = SecretKey::from_bytes([7; 32]);
    let pieces: Vec<Vec<u8>> = data.chunks(CHUNK_SIZE + TAG_LEN).map(<[u8]>::to_vec).collect();
    assert!(StreamDecryptor::decrypt_all(&key, [1; 7], &pieces).is_err(), "forged chunks were accepted");

    let Some((at, plaintext)) = data.split_first_chunk::<4>() else { return };
    let mut sealed = StreamEncryptor::encrypt_all(&key, [1; 7], plaintext);
    assert_eq!(StreamDecryptor::decrypt_all(&key, [1; 7], &sealed).as_deref(), Ok(plaintext));
    let at = u32::from_le_bytes(*at) as usize;
    let total: usize = sealed.iter().map(Vec::len).sum();
    let (mut chunk, mut offset) = (0, at % total);
    while offset >= sealed[chunk].len() {
        offset -= sealed[chunk].len();
        chunk += 1;
    }
    match at >> 30 {
        0 => sealed[chunk][offset] ^= 1 << (at % 8),
        1 => sealed[chunk].truncate(offset),
        2 if sealed.len() > 1 => {
            let other = (chunk + 1) % sealed.len();
            sealed.swap(chunk, other);
        }
        _ => sealed[chunk].insert(offset, (at >> 8) as u8),
    }
    assert!(StreamDecryptor::decrypt_all(&key, [1; 7], &sealed).is_err(), "a changed stream opened");
}

/// The password-email parser (pasted text or a saved `.eml`). Every password it finds is
/// a well-formed photo password.
pub fn password_email(data: &[u8]) {
    for (id, password) in crate::mail::parse_passwords(data) {
        assert!(!id.is_empty());
        assert!(PhotoPassword::parse(&password.display()).as_ref() == Some(&password));
    }
}

/// Image import: analysis (decode under limits, EXIF, thumbnail) and metadata stripping.
/// A file that is accepted has a decodable thumbnail within bounds, and its stripped copy
/// is accepted too, at the same size.
pub fn image_import(data: &[u8]) {
    let Ok(analysis) = crate::imaging::analyze(data) else { return };
    let thumb = image::load_from_memory(&analysis.thumbnail_jpeg).expect("our thumbnail decodes");
    let max = crate::imaging::THUMBNAIL_MAX_SIDE;
    assert!(thumb.width() <= max && thumb.height() <= max);
    if let Ok(stripped) = crate::imaging::strip_metadata(data, analysis.orientation) {
        let again = crate::imaging::analyze(&stripped).expect("a stripped photo still imports");
        assert_eq!((again.width, again.height), (analysis.width, analysis.height));
    }
}

/// How a TIFF made by [`tiff`] lays out its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TiffLayout {
    /// Tiles of 16x16 pixels instead of one strip.
    pub tiled: bool,
    /// One plane per colour (PlanarConfiguration = 2) instead of interleaved samples.
    pub planar: bool,
    /// 16 bits per sample instead of 8.
    pub sixteen_bit: bool,
    /// An alpha channel (RGBA, ExtraSamples = unassociated alpha).
    pub alpha: bool,
}

impl TiffLayout {
    /// Every combination of the four choices.
    pub fn all() -> impl Iterator<Item = TiffLayout> {
        (0..16u8).map(|b| TiffLayout {
            tiled: b & 1 != 0,
            planar: b & 2 != 0,
            sixteen_bit: b & 4 != 0,
            alpha: b & 8 != 0,
        })
    }
}

/// An uncompressed little-endian TIFF of `width` x `height` pixels (a colour gradient) in
/// the given layout, written byte by byte: tiled TIFFs with separate colour planes once
/// made the `tiff` crate panic, and no encoder at hand writes them.
pub fn tiff(width: u32, height: u32, layout: TiffLayout) -> Vec<u8> {
    let samples: u32 = if layout.alpha { 4 } else { 3 };
    let bytes_per_sample: u32 = if layout.sixteen_bit { 2 } else { 1 };
    let (block_w, block_h) = if layout.tiled { (16, 16) } else { (width, height) };
    let across = width.div_ceil(block_w);
    let down = height.div_ceil(block_h);
    let planes = if layout.planar { samples } else { 1 };
    let per_pixel = if layout.planar { 1 } else { samples };
    // Pixel data first, right after the 8-byte header: one block per tile (or strip) per plane.
    let mut data = Vec::new();
    let (mut offsets, mut counts) = (Vec::new(), Vec::new());
    for plane in 0..planes {
        for ty in 0..down {
            for tx in 0..across {
                offsets.push(8 + data.len() as u32);
                let start = data.len();
                for y in ty * block_h..(ty + 1) * block_h {
                    for x in tx * block_w..(tx + 1) * block_w {
                        for s in 0..per_pixel {
                            let channel = plane + s;
                            let value: u16 = match channel {
                                0 => (x * 65535 / width.max(1)) as u16,
                                1 => (y * 65535 / height.max(1)) as u16,
                                2 => 0x8000,
                                _ => 0xFFFF,
                            };
                            if layout.sixteen_bit {
                                data.extend_from_slice(&value.to_le_bytes());
                            } else {
                                data.push((value >> 8) as u8);
                            }
                        }
                    }
                }
                counts.push((data.len() - start) as u32);
            }
        }
    }
    let mut out = b"II*\0".to_vec();
    let extra_at = 8 + data.len() as u32;
    // Out-of-line values: bits per sample, offsets, counts.
    let mut extra = Vec::new();
    let mut put_array = |values: &[u32], short: bool| -> u32 {
        let at = extra_at + extra.len() as u32;
        for v in values {
            if short {
                extra.extend_from_slice(&(*v as u16).to_le_bytes());
            } else {
                extra.extend_from_slice(&v.to_le_bytes());
            }
        }
        at
    };
    let bits = vec![bytes_per_sample * 8; samples as usize];
    let bits_at = put_array(&bits, true);
    let offsets_at = put_array(&offsets, false);
    let counts_at = put_array(&counts, false);
    let ifd_at = extra_at + extra.len() as u32;
    out.extend_from_slice(&ifd_at.to_le_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&extra);
    // (tag, type 3 = SHORT / 4 = LONG, count, value or offset)
    let (offsets_tag, counts_tag) = if layout.tiled { (324u16, 325u16) } else { (273, 279) };
    let inline_or = |values: &[u32], at: u32| if values.len() == 1 { values[0] } else { at };
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, samples, bits_at),
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (277, 3, 1, samples),
        (284, 3, 1, if layout.planar { 2 } else { 1 }),
        (offsets_tag, 4, offsets.len() as u32, inline_or(&offsets, offsets_at)),
        (counts_tag, 4, counts.len() as u32, inline_or(&counts, counts_at)),
    ];
    if layout.tiled {
        entries.extend([(322, 3, 1, block_w), (323, 3, 1, block_h)]);
    } else {
        entries.push((278, 4, 1, height));
    }
    if layout.alpha {
        entries.push((338, 3, 1, 2));
    }
    entries.sort_by_key(|e| e.0);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if kind == 3 && count == 1 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// Seed inputs for each target: small valid files of every kind it reads.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use image::{ImageFormat, RgbImage};
    let mut out: Vec<(&str, Vec<u8>)> = crate::vault::sample_records().into_iter().map(|r| ("records", r)).collect();

    let img = RgbImage::from_fn(24, 16, |x, y| image::Rgb([(x * 10) as u8, (y * 15) as u8, 128]));
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Bmp] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img.clone()).write_to(&mut bytes, format).expect("encodes in memory");
        out.push(("image_import", bytes.into_inner()));
    }
    out.extend(TiffLayout::all().map(|layout| ("image_import", tiff(40, 24, layout))));

    let email = crate::mail::PasswordEmail {
        from: "Secure Photo Gallery <alice@example.com>".into(),
        to: "alice@example.com".into(),
        username: "alice".into(),
        entries: (0..3)
            .map(|i| crate::mail::PasswordEntry {
                id: format!("0000000{i}"),
                name: format!("photo {i}.jpg"),
                password: zeroize::Zeroizing::new(PhotoPassword::generate().display()),
            })
            .collect(),
    };
    out.push(("password_email", email.text().as_bytes().to_vec()));
    out.push(("password_email", email.to_message().expect("a valid message").formatted()));

    out.push(("chunks", b"\x05\x00\x00\x00a short photo".to_vec()));
    out.push(("chunks", [&[0xff, 0xff, 0x00, 0x80][..], &vec![0x42; CHUNK_SIZE + 10]].concat()));
    out
}
