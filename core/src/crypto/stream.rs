//! Chunked AES-256-GCM in the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár 2015), as age and Tink use it: a photo's bytes are cut into fixed-size
//! chunks, and chunk `i` is sealed under the nonce `prefix ‖ be32(i) ‖ last`, where
//! `last` is 1 for the final chunk and 0 otherwise. Reordered, swapped, dropped,
//! truncated or appended chunks therefore fail to decrypt, and memory stays bounded
//! by one chunk.

use ring::aead::{Aad, LessSafeKey, Nonce};

use super::aead::aes_gcm;
use super::{DecryptionFailed, SecretKey};

/// Plaintext bytes in every chunk but the last: 64 KiB − 80, so a chunk with its 16-byte
/// tag is 64 KiB − 64 bytes, which fits redb's 64 KiB allocation exactly (the vault
/// stores 16 of them together for the bulk of a photo: see `vault::photos`).
pub const CHUNK_SIZE: usize = 64 * 1024 - 80;
/// Length of the per-photo random nonce prefix.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Length of the GCM tag that follows each chunk's ciphertext.
pub const TAG_LEN: usize = 16;

fn nonce(prefix: &[u8; NONCE_PREFIX_LEN], counter: u32, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    n[NONCE_PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    // Unique per key: the counter never repeats within a stream, and a key encrypts one stream.
    Nonce::assume_unique_for_key(n)
}

/// Encrypts a photo chunk by chunk. Feed every chunk in order; the last with `last = true`.
pub struct StreamEncryptor {
    cipher: LessSafeKey,
    prefix: [u8; NONCE_PREFIX_LEN],
    counter: u32,
    finished: bool,
}

impl StreamEncryptor {
    /// Starts a stream under `key` (which must never encrypt another stream) and `prefix`.
    pub fn new(key: &SecretKey, prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        Self { cipher: aes_gcm(key), prefix, counter: 0, finished: false }
    }

    /// Seals the next chunk and appends its ciphertext and tag to `out` (encrypted in
    /// place there: no allocation when `out` has room). `plaintext` must be exactly
    /// [`CHUNK_SIZE`] bytes unless `last`, and only the first chunk of an empty photo may
    /// be empty.
    ///
    /// # Panics
    /// On a misuse of the construction (a short middle chunk, a chunk after the last one,
    /// more than 2^32 chunks): these are programming errors, not input errors.
    pub fn encrypt_chunk(&mut self, plaintext: &[u8], last: bool, out: &mut Vec<u8>) {
        assert!(!self.finished, "STREAM: chunk after the last chunk");
        assert!(plaintext.len() <= CHUNK_SIZE, "STREAM: chunk too long");
        assert!(last || plaintext.len() == CHUNK_SIZE, "STREAM: short chunk before the last");
        assert!(!plaintext.is_empty() || self.counter == 0, "STREAM: empty trailing chunk");
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .seal_in_place_separate_tag(nonce(&self.prefix, self.counter, last), Aad::empty(), &mut out[start..])
            .expect("a chunk is far below AES-GCM's message limit");
        out.extend_from_slice(tag.as_ref());
        self.counter = self.counter.checked_add(1).expect("STREAM: over 2^32 chunks");
        self.finished = last;
    }

    /// Splits `data` into chunks and encrypts them all (for small inputs and tests).
    pub fn encrypt_all(key: &SecretKey, prefix: [u8; NONCE_PREFIX_LEN], data: &[u8]) -> Vec<Vec<u8>> {
        let mut enc = Self::new(key, prefix);
        let count = chunk_count(data.len() as u64) as usize;
        let mut chunks: Vec<&[u8]> = data.chunks(CHUNK_SIZE).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let seal = |(i, c): (usize, &&[u8])| {
            let mut out = Vec::with_capacity(c.len() + TAG_LEN);
            enc.encrypt_chunk(c, i + 1 == count, &mut out);
            out
        };
        chunks.iter().enumerate().map(seal).collect()
    }
}

/// Number of chunks a photo of `len` bytes is stored in (an empty photo has one, empty).
pub fn chunk_count(len: u64) -> u32 {
    let n = len.div_ceil(CHUNK_SIZE as u64).max(1);
    u32::try_from(n).expect("photos are far below 4 PiB")
}

/// Decrypts a stream chunk by chunk, checking the position of every chunk.
pub struct StreamDecryptor {
    cipher: LessSafeKey,
    prefix: [u8; NONCE_PREFIX_LEN],
    counter: u32,
    finished: bool,
}

impl StreamDecryptor {
    /// Starts decrypting a stream sealed under `key` and `prefix`.
    pub fn new(key: &SecretKey, prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        Self { cipher: aes_gcm(key), prefix, counter: 0, finished: false }
    }

    /// Opens the next chunk into `buf` (its old contents replaced; no allocation once it
    /// has grown to a chunk) and returns the plaintext. `last` says whether the caller
    /// believes this is the final chunk; a chunk sealed with the other flag, out of order,
    /// or changed, fails.
    pub fn decrypt_chunk<'b>(
        &mut self,
        ciphertext: &[u8],
        last: bool,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], DecryptionFailed> {
        if self.finished || ciphertext.len() < TAG_LEN || ciphertext.len() > CHUNK_SIZE + TAG_LEN {
            return Err(DecryptionFailed);
        }
        // Every chunk before the last is full; an empty chunk is only a whole empty photo.
        let plain_len = ciphertext.len() - TAG_LEN;
        if (!last && plain_len != CHUNK_SIZE) || (plain_len == 0 && self.counter != 0) {
            return Err(DecryptionFailed);
        }
        buf.clear();
        buf.extend_from_slice(ciphertext);
        let plain = self
            .cipher
            .open_in_place(nonce(&self.prefix, self.counter, last), Aad::empty(), buf)
            .map_err(|_| DecryptionFailed)?;
        self.counter = self.counter.checked_add(1).ok_or(DecryptionFailed)?;
        self.finished = last;
        Ok(plain)
    }

    /// Decrypts a whole list of chunks, the last of which must carry the final flag.
    pub fn decrypt_all(
        key: &SecretKey,
        prefix: [u8; NONCE_PREFIX_LEN],
        chunks: &[Vec<u8>],
    ) -> Result<Vec<u8>, DecryptionFailed> {
        let mut dec = Self::new(key, prefix);
        let (mut out, mut buf) = (Vec::new(), Vec::new());
        for (i, chunk) in chunks.iter().enumerate() {
            out.extend_from_slice(dec.decrypt_chunk(chunk, i + 1 == chunks.len(), &mut buf)?);
        }
        if !dec.finished {
            return Err(DecryptionFailed);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        let key = SecretKey::random();
        for len in [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 7] {
            let data = sample(len);
            let chunks = StreamEncryptor::encrypt_all(&key, [9; 7], &data);
            assert_eq!(chunks.len() as u32, chunk_count(len as u64), "len {len}");
            assert!(chunks.iter().all(|c| c.len() <= CHUNK_SIZE + TAG_LEN));
            assert_eq!(StreamDecryptor::decrypt_all(&key, [9; 7], &chunks).unwrap(), data, "len {len}");
        }
    }

    #[test]
    fn reorder_drop_truncate_append_and_flip_all_fail() {
        let key = SecretKey::random();
        let data = sample(2 * CHUNK_SIZE + 100);
        let chunks = StreamEncryptor::encrypt_all(&key, [1; 7], &data);
        let fails = |c: &[Vec<u8>]| StreamDecryptor::decrypt_all(&key, [1; 7], c) == Err(DecryptionFailed);

        assert!(fails(&[chunks[1].clone(), chunks[0].clone(), chunks[2].clone()]), "swapped");
        assert!(fails(&chunks[..2]), "last chunk dropped (truncation at a boundary)");
        assert!(fails(&[chunks[0].clone(), chunks[2].clone()]), "middle chunk dropped");
        let mut appended = chunks.clone();
        appended.push(chunks[2].clone());
        assert!(fails(&appended), "chunk appended");
        let mut short = chunks.clone();
        short[2].truncate(50);
        assert!(fails(&short), "last chunk cut");
        for i in [0, 5000, CHUNK_SIZE + TAG_LEN - 1] {
            let mut flipped = chunks.clone();
            flipped[0][i] ^= 0x80;
            assert!(fails(&flipped), "flip at {i}");
        }
        assert!(StreamDecryptor::decrypt_all(&key, [2; 7], &chunks).is_err(), "wrong prefix");
        assert!(StreamDecryptor::decrypt_all(&SecretKey::random(), [1; 7], &chunks).is_err(), "wrong key");
        assert!(fails(&[]), "no chunks at all");
    }

    #[test]
    fn chunks_from_another_stream_fail() {
        let key = SecretKey::random();
        let a = StreamEncryptor::encrypt_all(&key, [1; 7], &sample(CHUNK_SIZE + 1));
        let b = StreamEncryptor::encrypt_all(&key, [2; 7], &sample(CHUNK_SIZE + 1));
        let mixed = vec![a[0].clone(), b[1].clone()];
        assert!(StreamDecryptor::decrypt_all(&key, [1; 7], &mixed).is_err());
    }
}
