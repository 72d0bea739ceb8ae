//! What the benches share: a camera-like JPEG and a vault of many photos.

use std::path::{Path, PathBuf};
use std::time::Instant;

use secure_photo_gallery::imaging::analyze;
use secure_photo_gallery::vault::{NewPhoto, PhotoMeta, Vault};

pub(crate) const USER: &str = "bench";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A 4000x3000 JPEG at quality 90 with photo-like texture (gradients and noise).
pub(crate) fn camera_jpeg() -> Vec<u8> {
    let img = secure_photo_gallery::fuzzing::fixtures::picture(4000, 3000, 12345, 5);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out
}

/// A vault in `dir` with `count` photos of one account ([`USER`], [`PASSWORD`]): tiny
/// originals, each with a real 12 MP photo's thumbnail and a date spread over 15 years.
pub(crate) fn vault_with_photos(dir: &Path, count: usize) -> PathBuf {
    let path = dir.join("vault.redb");
    let vault = Vault::open(&path).unwrap();
    vault.register(USER, "bench@example.com", PASSWORD, secure_photo_gallery::vault::Previews::Sharp).unwrap();
    let session = vault.login(USER, PASSWORD).unwrap();
    let analysis = analyze(&camera_jpeg()).unwrap();
    let started = Instant::now();
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
        let hash = session.content_hash(&bytes);
        let new = NewPhoto {
            meta,
            thumbnail_jpeg: analysis.thumbnail_jpeg.clone(),
            placeholder_jpeg: analysis.placeholder_jpeg.clone(),
            content_hash: hash,
        };
        let prepared = session.prepare(new).unwrap();
        session.store(&prepared, &bytes).unwrap();
    }
    eprintln!("set-up: {count} photos stored in {:.1} s", started.elapsed().as_secs_f64());
    path
}
