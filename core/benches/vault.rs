//! The photo pipeline and the vault at scale: thumbnailing a 12-megapixel JPEG (decode at
//! a reduced DCT scale, resize, encode), and listing a vault of 10,000 photos after login
//! (every metadata record decrypted and sorted), plus the first screen of thumbnails.
//! `cargo bench --bench vault`; results in docs/BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use spg_core::fuzzing::fixtures::{BENCH_PASSWORD, BENCH_USER, camera_jpeg, vault_with_photos};
use spg_core::fuzzing::hooks::thumbnail_of;
use spg_core::vault::Vault;

const PHOTOS: usize = 10_000;
const FIRST_SCREEN: usize = 40;

fn thumbnail(c: &mut Criterion) {
    let jpeg = camera_jpeg();
    let mut group = c.benchmark_group("import-pipeline");
    group.sample_size(20);
    group.bench_function("analyze 12 MP JPEG (decode, EXIF, thumbnail)", |b| b.iter(|| thumbnail_of(&jpeg).unwrap()));
    group.finish();
}

fn large_vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(&vault_with_photos(dir.path(), PHOTOS)).unwrap();

    let mut group = c.benchmark_group("vault-10k");
    group.sample_size(10);
    group.bench_function("list 10,000 photos after login", |b| {
        let session = vault.login(BENCH_USER, BENCH_PASSWORD).unwrap();
        b.iter(|| session.list().unwrap())
    });
    group.bench_function("first screen: list + 40 thumbnails decrypted and decoded", |b| {
        let session = vault.login(BENCH_USER, BENCH_PASSWORD).unwrap();
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
