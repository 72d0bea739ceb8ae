//! Synthetic image files for the tests, the benches and the fuzz seeds, written byte by
//! byte where no encoder writes them: one place for each builder.

/// A photo-like picture: smooth gradients plus deterministic noise (xorshift from
/// `seed`), so that its JPEG is high-entropy like a real photo's. `noise_bits` sets how
/// strong the noise is (5 or 6 look like a camera's).
pub fn picture(width: u32, height: u32, seed: u32, noise_bits: u32) -> image::RgbImage {
    let mut state = seed.wrapping_mul(2654435761).wrapping_add(1);
    let mask = (1u32 << noise_bits) - 1;
    image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & mask) as u8;
        image::Rgb([
            ((x * 255 / width.max(1)) as u8).wrapping_add(n),
            ((y * 255 / height.max(1)) as u8).wrapping_add(n / 2),
            ((seed * 40) as u8).wrapping_add(n),
        ])
    })
}

/// Appends one 12-byte little-endian IFD entry: tag, type (2 ASCII, 3 SHORT, 4 LONG,
/// 5 RATIONAL), count, and the value or the offset of the values.
pub fn ifd_entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
}

/// A JPEG marker segment: `FF marker`, the length, the payload.
pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// `jpeg` with `segments` inserted right after its SOI marker, where a camera writes its
/// APP1 (EXIF) block.
pub fn jpeg_with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for segment in segments {
        out.extend_from_slice(segment);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The APP1 segment that carries the EXIF block `tiff` (a little-endian TIFF structure).
pub fn exif_segment(tiff: &[u8]) -> Vec<u8> {
    jpeg_segment(0xE1, &[b"Exif\0\0".as_slice(), tiff].concat())
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

/// An EXIF block (little-endian TIFF) as a phone writes one: exposure 1/250 s, f/1.8,
/// ISO 200, 4.2 mm, and the position 48° 51' 29.6" N, 2° 17' 40.2" E.
pub fn shooting_exif() -> Vec<u8> {
    // IFD0: ExifIFD pointer and GPS pointer; Exif IFD: exposure, f-number, ISO, focal
    // length; GPS IFD: 48° 51' 29.6" N, 2° 17' 40.2" E.
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let exif_at = 8 + 2 + 2 * 12 + 4;
    let exif_len = 2 + 4 * 12 + 4;
    let gps_at = exif_at + exif_len;
    let gps_len = 2 + 4 * 12 + 4;
    let data = gps_at + gps_len;
    t.extend_from_slice(&2u16.to_le_bytes());
    ifd_entry(&mut t, 0x8769, 4, 1, exif_at as u32);
    ifd_entry(&mut t, 0x8825, 4, 1, gps_at as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    // Rationals after the IFDs: exposure 1/250, f 1.8, focal 4.2, lat (3), lon (3).
    let rationals: [(u32, u32); 9] =
        [(1, 250), (18, 10), (42, 10), (48, 1), (51, 1), (296, 10), (2, 1), (17, 1), (402, 10)];
    let at = |i: usize| (data + 8 * i) as u32;
    t.extend_from_slice(&4u16.to_le_bytes());
    ifd_entry(&mut t, 0x829A, 5, 1, at(0));
    ifd_entry(&mut t, 0x829D, 5, 1, at(1));
    ifd_entry(&mut t, 0x8827, 3, 1, 200);
    ifd_entry(&mut t, 0x920A, 5, 1, at(2));
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    ifd_entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    ifd_entry(&mut t, 0x0002, 5, 3, at(3));
    ifd_entry(&mut t, 0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0"));
    ifd_entry(&mut t, 0x0004, 5, 3, at(6));
    t.extend_from_slice(&0u32.to_le_bytes());
    for (n, d) in rationals {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    t
}

/// The account of [`vault_with_photos`].
pub const BENCH_USER: &str = "bench";
/// Its password.
pub const BENCH_PASSWORD: &str = "correct horse battery staple";

/// A 4000x3000 JPEG at quality 90 with photo-like texture (gradients and noise).
pub fn camera_jpeg() -> Vec<u8> {
    let img = picture(4000, 3000, 12345, 5);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).expect("a JPEG in memory");
    out
}

/// A vault in `dir` with `count` photos of one account ([`BENCH_USER`],
/// [`BENCH_PASSWORD`]): tiny originals, each with a real 12 MP photo's thumbnail and a date
/// spread over 15 years. For the benches: the photos are stored without a password email.
pub fn vault_with_photos(dir: &std::path::Path, count: usize) -> std::path::PathBuf {
    use crate::vault::{NewPhoto, PhotoMeta, Previews, Vault};
    let path = dir.join("vault.redb");
    let vault = Vault::open(&path).expect("a new vault");
    vault.register(BENCH_USER, "bench@example.com", BENCH_PASSWORD, Previews::Sharp).expect("registered");
    let session = vault.open_session(BENCH_USER, BENCH_PASSWORD).expect("logged in");
    let analysis = crate::imaging::analyze(&camera_jpeg()).expect("the camera JPEG decodes");
    let started = std::time::Instant::now();
    for i in 0..count {
        let bytes = format!("photo {i}").into_bytes();
        let meta = PhotoMeta {
            name: format!("IMG_{i:05}.jpg"),
            mime: "image/jpeg".into(),
            bytes: bytes.len() as u64,
            width: 4000,
            height: 3000,
            orientation: 1,
            taken_at: Some(format!("20{:02}-{:02}-10T12:00:00", 10 + i % 15, 1 + i % 12)),
            camera: Some("Bench Camera".into()),
            has_gps: false,
            imported_at: 1_700_000_000 + i as i64,
        };
        let new = NewPhoto {
            meta,
            thumbnail_jpeg: analysis.thumbnail_jpeg.clone(),
            placeholder_jpeg: analysis.placeholder_jpeg.clone(),
            content_hash: session.content_hash(&bytes),
        };
        let prepared = session.prepare(new).expect("prepared");
        session.store(&prepared, &bytes).expect("stored");
    }
    eprintln!("set-up: {count} photos stored in {:.1} s", started.elapsed().as_secs_f64());
    path
}

/// Stores `files` in the account one by one, as an import's writes do, without the
/// checkpoint an import ends with (for the test of a crash after writing).
pub fn store_without_checkpoint(account: &crate::service::Account, files: &[std::path::PathBuf]) {
    let session = account.session();
    for (i, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).expect("a test photo");
        let analysed = crate::imaging::analyze(&bytes).expect("the test photo decodes");
        let hash = session.content_hash(&bytes);
        let new = crate::service::import::new_photo(analysed, format!("{i}.jpg"), bytes.len() as u64, 0, hash);
        session.store(&session.prepare(new).expect("prepared"), &bytes).expect("stored");
    }
}
