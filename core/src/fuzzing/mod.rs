//! The bodies of the fuzz targets in `tests/fuzz` (cargo-fuzz, run by `scripts/fuzz.sh`),
//! and their seeds. They live here so that `tests/fuzz_seeds.rs` runs the very same code
//! on stable Rust in every test run. Each takes any bytes, must never panic, and asserts
//! what has to hold for them.
//!
//! Built only with the `fuzzing` feature (the fuzz crate and the tests turn it on; the
//! binary never has it), or for the crate's own unit tests: with [`fixtures`], the
//! synthetic files the tests and benches build.

pub mod fixtures;
pub mod hooks;

use fixtures::{TiffLayout, tiff};

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
    let _ = crate::imaging::photo_details(data);
    if let Some(frames) = crate::imaging::animation_frames(data, 256) {
        assert!(frames.iter().all(|(f, _)| f.width() <= 256 && f.height() <= 256));
    }
    if let Ok(stripped) = crate::imaging::strip_metadata(data, analysis.orientation) {
        let again = crate::imaging::analyze(&stripped).expect("a stripped photo still imports");
        assert_eq!((again.width, again.height), (analysis.width, analysis.height));
    }
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
    // Made by scripts/fixtures.sh: HEICs (a phone photo with EXIF, one turned by its
    // container, one with an alpha plane), two AVIFs (their containers read here; their
    // pixels only in the decoder process, which the fuzzer does not start), and TIFFs of
    // the forms the image crate does not read itself.
    for heif in [
        &include_bytes!("../../../tests/fixtures/heif/camera.heic")[..],
        include_bytes!("../../../tests/fixtures/heif/turned.heic"),
        include_bytes!("../../../tests/fixtures/heif/alpha.heic"),
        include_bytes!("../../../tests/fixtures/heif/camera.avif"),
        include_bytes!("../../../tests/fixtures/heif/turned.avif"),
        include_bytes!("../../../tests/fixtures/tiff/jpeg.tif"),
        include_bytes!("../../../tests/fixtures/tiff/fax-g4-turned.tif"),
        include_bytes!("../../../tests/fixtures/tiff/fax-g3.tif"),
    ] {
        out.push(("image_import", heif.to_vec()));
    }

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
