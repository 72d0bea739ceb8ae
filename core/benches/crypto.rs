//! Crypto throughput: AES-256-GCM per chunk and as a STREAM over a 16 MiB photo, the keyed
//! hash (duplicates, verify), and the login KDF.
//! `cargo bench --bench crypto`; results in docs/BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spg_core::crypto::{
    CHUNK_SIZE, KdfParams, SecretKey, StreamDecryptor, StreamEncryptor, TAG_LEN, keyed_hash, password_key,
};

/// As the vault uses it: chunks sealed in place into one reused buffer, and opened
/// through one reused chunk buffer.
fn stream(c: &mut Criterion) {
    fn seal_all(key: &SecretKey, data: &[u8], sealed: &mut Vec<u8>) {
        sealed.clear();
        let count = data.len().div_ceil(CHUNK_SIZE);
        let mut enc = StreamEncryptor::new(key, [1; 7]);
        for (i, chunk) in data.chunks(CHUNK_SIZE).enumerate() {
            enc.encrypt_chunk(chunk, i + 1 == count, sealed);
        }
    }
    fn open_all(key: &SecretKey, sealed: &[u8], plain: &mut Vec<u8>, buf: &mut Vec<u8>) {
        plain.clear();
        let count = sealed.len().div_ceil(CHUNK_SIZE + TAG_LEN);
        let mut dec = StreamDecryptor::new(key, [1; 7]);
        for (i, chunk) in sealed.chunks(CHUNK_SIZE + TAG_LEN).enumerate() {
            plain.extend_from_slice(dec.decrypt_chunk(chunk, i + 1 == count, buf).unwrap());
        }
    }
    let data: Vec<u8> = (0..16 * 1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    let key = SecretKey::random();
    let mut sealed = Vec::with_capacity(data.len() * 2);
    let (mut plain, mut buf) = (Vec::with_capacity(data.len()), Vec::with_capacity(CHUNK_SIZE + TAG_LEN));
    seal_all(&key, &data, &mut sealed);
    open_all(&key, &sealed, &mut plain, &mut buf);
    assert_eq!(plain, data);

    let mut group = c.benchmark_group("stream-aes-256-gcm");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("encrypt 16 MiB", |b| b.iter(|| seal_all(&key, &data, &mut sealed)));
    group.bench_function("decrypt 16 MiB", |b| b.iter(|| open_all(&key, &sealed, &mut plain, &mut buf)));
    group.finish();

    let mut group = c.benchmark_group("keyed-hash");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("keyed BLAKE3 16 MiB", |b| b.iter(|| keyed_hash(&key, &data)));
    group.finish();
}

/// One 64 KiB chunk at a time in a cache-resident buffer: the cipher's own speed per core.
fn chunk(c: &mut Criterion) {
    let data = vec![0x5a; CHUNK_SIZE];
    let key = SecretKey::random();
    let mut group = c.benchmark_group("aes-256-gcm-chunk");
    group.throughput(Throughput::Bytes(CHUNK_SIZE as u64));
    let mut sealed = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
    group.bench_function("seal 64 KiB", |b| {
        b.iter(|| {
            sealed.clear();
            StreamEncryptor::new(&key, [1; 7]).encrypt_chunk(&data, true, &mut sealed);
        })
    });
    let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
    group.bench_function("open 64 KiB", |b| {
        b.iter(|| StreamDecryptor::new(&key, [1; 7]).decrypt_chunk(&sealed, true, &mut buf).map(<[u8]>::len).unwrap())
    });
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

criterion_group!(benches, chunk, stream, kdf);
criterion_main!(benches);
