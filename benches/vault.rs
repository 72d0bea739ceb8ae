//! The photo pipeline and the vault at scale: thumbnailing a 12-megapixel JPEG (decode at
//! a reduced DCT scale, resize, encode), and listing a vault of 10,000 photos after login
//! (every metadata record decrypted and sorted), plus the first screen of thumbnails.
//! `cargo bench --bench vault`; results in docs/BENCHMARKS.md.

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use secure_photo_gallery::imaging::analyze;
use secure_photo_gallery::vault::{NewPhoto, PhotoMeta, Vault};

const PHOTOS: usize = 10_000;
const FIRST_SCREEN: usize = 40;

/// A 4000x3000 JPEG at quality 90 with photo-like texture (gradients and noise).
fn camera_jpeg() -> Vec<u8> {
    let mut state = 12345u32;
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & 0x1F) as u8;
        image::Rgb([(x / 16) as u8 ^ n, (y / 12) as u8 ^ n, ((x + y) / 28) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out
}

fn thumbnail(c: &mut Criterion) {
    let jpeg = camera_jpeg();
    let mut group = c.benchmark_group("import-pipeline");
    group.sample_size(20);
    group.bench_function("analyze 12 MP JPEG (decode, EXIF, thumbnail)", |b| b.iter(|| analyze(&jpeg).unwrap()));
    group.finish();
}

fn large_vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.redb");
    let vault = Vault::open(&path).unwrap();
    vault.register("bench", "bench@example.com", "correct horse battery staple").unwrap();
    let session = vault.login("bench", "correct horse battery staple").unwrap();
    let thumb = analyze(&camera_jpeg()).unwrap().thumbnail_jpeg;
    let started = Instant::now();
    for i in 0..PHOTOS {
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
        let prepared = session.prepare(NewPhoto { meta, thumbnail_jpeg: thumb.clone(), content_hash: hash }).unwrap();
        session.store(&prepared, &bytes).unwrap();
    }
    eprintln!("set-up: {PHOTOS} photos stored in {:.1} s", started.elapsed().as_secs_f64());
    drop(session);

    let mut group = c.benchmark_group("vault-10k");
    group.sample_size(10);
    group.bench_function("list 10,000 photos after login", |b| {
        let session = vault.login("bench", "correct horse battery staple").unwrap();
        b.iter(|| session.list().unwrap())
    });
    group.bench_function("first screen: list + 40 thumbnails decrypted and decoded", |b| {
        let session = vault.login("bench", "correct horse battery staple").unwrap();
        b.iter(|| {
            let (photos, _) = session.list().unwrap();
            for p in photos.iter().take(FIRST_SCREEN) {
                let jpeg = session.thumbnail(p.id).unwrap();
                image::load_from_memory(&jpeg).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, thumbnail, large_vault);
criterion_main!(benches);
