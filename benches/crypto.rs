//! Crypto throughput: the STREAM cipher over a 16 MiB photo, and the login KDF.
//! `cargo bench --bench crypto`; results in docs/BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secure_photo_gallery::crypto::{KdfParams, SecretKey, StreamDecryptor, StreamEncryptor, password_key};

fn stream(c: &mut Criterion) {
    let data: Vec<u8> = (0..16 * 1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    let key = SecretKey::random();
    let mut group = c.benchmark_group("stream-aes-256-gcm");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("encrypt 16 MiB", |b| b.iter(|| StreamEncryptor::encrypt_all(&key, [1; 7], &data)));
    let chunks = StreamEncryptor::encrypt_all(&key, [1; 7], &data);
    group.bench_function("decrypt 16 MiB", |b| b.iter(|| StreamDecryptor::decrypt_all(&key, [1; 7], &chunks).unwrap()));
    group.finish();
}

fn kdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("login-kdf");
    group.sample_size(10);
    group.bench_function("argon2id 64 MiB t=3", |b| {
        b.iter(|| password_key("correct horse battery staple", &[7; 16], KdfParams::default()))
    });
    group.finish();
}

criterion_group!(benches, stream, kdf);
criterion_main!(benches);
