//! Sealing of small values (wrapped keys, metadata, thumbnails, the profile, the
//! manifest) with XChaCha20-Poly1305 under a fresh random 192-bit nonce, with associated
//! data that binds each value to its place; and the Padmé padding that hides their exact
//! lengths. Photo bytes use AES-256-GCM in the STREAM construction (`stream`); `ring`'s
//! AES-GCM for it lives here too, the crate's one AES-GCM.

use chacha20poly1305::aead::{Aead, AeadInOut, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};

use super::{DecryptionFailed, SecretKey};

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Bytes that [`seal`] adds to a plaintext: the nonce in front and the tag behind.
pub const SEALED_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// AES-256-GCM under `key`, from `ring` (the one AES-GCM implementation of the crate).
pub(crate) fn aes_gcm(key: &SecretKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.expose()).expect("a 32-byte key fits AES-256"))
}

fn xchacha(key: &SecretKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.expose().into())
}

/// Encrypts `plaintext` under `key`, binding `aad`. Output: nonce ‖ ciphertext ‖ tag.
///
/// XChaCha20-Poly1305's 192-bit random nonces never collide in practice, however many
/// values one key seals over a vault's life (a 96-bit random nonce would be safe only to
/// about 2^32 values per key).
pub fn seal(key: &SecretKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    seal_with(key, aad, plaintext.len(), |out| out.extend_from_slice(plaintext))
}

/// [`seal`] of the `len` bytes `write` appends to the buffer it is given, encrypted where
/// they are written: one buffer of the sealed size, no plain copy left behind.
fn seal_with(key: &SecretKey, aad: &[u8], len: usize, write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = super::random_array();
    // Wiped if `write` or the check panics with the plaintext in it.
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(NONCE_LEN + len + TAG_LEN));
    out.extend_from_slice(&nonce);
    write(&mut out);
    assert_eq!(out.len(), NONCE_LEN + len, "the plaintext has the length announced");
    let tag = xchacha(key)
        .encrypt_inout_detached(&XNonce::from(nonce), aad, out[NONCE_LEN..].as_mut().into())
        .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
    out.extend_from_slice(&tag);
    std::mem::take(&mut *out)
}

/// Reverses [`seal`]. Any wrong key, wrong `aad` or changed byte gives [`DecryptionFailed`].
pub fn open(key: &SecretKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, DecryptionFailed> {
    if sealed.len() < SEALED_OVERHEAD {
        return Err(DecryptionFailed);
    }
    let (nonce, ciphertext) = sealed.split_first_chunk::<NONCE_LEN>().ok_or(DecryptionFailed)?;
    xchacha(key).decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad }).map_err(|_| DecryptionFailed)
}

/// The Padmé length for `len` bytes (Nikitin et al., "Reducing Metadata Leakage from
/// Encrypted Files and Communication with PURBs", 2019): the low bits of `len` are rounded
/// up so that only the top `floor(log2(E)) + 1` bits of its bit length `E + 1` remain free.
/// At most 12% overhead; a padded length leaks O(log log n) bits instead of log n.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let e = 63 - u64::from(len.leading_zeros()); // floor(log2(len))
    let s = 64 - u64::from(e.leading_zeros()); // floor(log2(e)) + 1
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    (len + mask) & !mask
}

/// `be32(len) ‖ plaintext ‖ zeros`, `padme(4 + len)` bytes in all: what [`seal_padded`] seals.
pub fn pad(plaintext: &[u8]) -> Vec<u8> {
    let (prefix, total) = padded_size(plaintext.len());
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&prefix);
    out.extend_from_slice(plaintext);
    out.resize(total, 0);
    out
}

/// The length prefix [`pad`] writes for `len` bytes, and the padded size.
fn padded_size(len: usize) -> ([u8; 4], usize) {
    let len = u32::try_from(len).expect("padded records are far below 4 GiB");
    (len.to_be_bytes(), padme(4 + u64::from(len)) as usize)
}

/// Reverses [`pad`]: the plaintext, or `DecryptionFailed` when the length or the zero fill
/// is not what [`pad`] writes (only a holder of the key can produce such bytes).
pub fn unpad(padded: &[u8]) -> Result<&[u8], DecryptionFailed> {
    let (len, rest) = padded.split_first_chunk::<4>().ok_or(DecryptionFailed)?;
    let len = u32::from_be_bytes(*len) as usize;
    let (plain, fill) = rest.split_at_checked(len).ok_or(DecryptionFailed)?;
    let expected = padme(4 + len as u64) as usize;
    if padded.len() != expected || fill.iter().any(|&b| b != 0) {
        return Err(DecryptionFailed);
    }
    Ok(plain)
}

/// [`seal`] of [`pad`]`(plaintext)`: the stored length reveals only the Padmé bucket.
pub fn seal_padded(key: &SecretKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    seal_padded_with(key, aad, plaintext.len(), |out| out.extend_from_slice(plaintext))
}

/// [`seal_padded`] of the `len` bytes `write` appends to the buffer it is given: they are
/// padded and encrypted where they are written (a photo's megabytes are not copied again,
/// and no plain copy is left behind).
pub(crate) fn seal_padded_with(key: &SecretKey, aad: &[u8], len: usize, write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let (prefix, total) = padded_size(len);
    seal_with(key, aad, total, |out| {
        let start = out.len();
        out.extend_from_slice(&prefix);
        write(out);
        assert_eq!(out.len() - start, 4 + len, "the plaintext has the length announced");
        out.resize(start + total, 0);
    })
}

/// Reverses [`seal_padded`]. The plaintext comes back in the buffer it was decrypted in,
/// whose spare room still holds a few of its bytes: a caller that wipes it wipes that room
/// too (`Zeroizing` does), and must not shrink it first.
pub fn open_padded(key: &SecretKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, DecryptionFailed> {
    let mut padded = zeroize::Zeroizing::new(open(key, aad, sealed)?);
    let len = unpad(&padded)?.len();
    // The plaintext moved to the front of the same buffer: no second copy to wipe.
    padded.copy_within(4..4 + len, 0);
    padded.truncate(len);
    Ok(std::mem::take(&mut *padded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_tamper_fails() {
        let key = SecretKey::random();
        let sealed = seal(&key, b"ctx", b"hello photo");
        assert_eq!(sealed.len(), SEALED_OVERHEAD + 11);
        assert_eq!(open(&key, b"ctx", &sealed).unwrap(), b"hello photo");
        assert_eq!(open(&key, b"other", &sealed), Err(DecryptionFailed));
        assert_eq!(open(&SecretKey::random(), b"ctx", &sealed), Err(DecryptionFailed));
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(open(&key, b"ctx", &bad), Err(DecryptionFailed), "byte {i}");
        }
        assert_eq!(open(&key, b"ctx", &sealed[..sealed.len() - 1]), Err(DecryptionFailed));
        assert_eq!(open(&key, b"ctx", &[]), Err(DecryptionFailed));
    }

    #[test]
    fn a_padded_seal_is_the_nonce_then_the_padded_plaintext_encrypted_in_one_piece() {
        // Sealed in place, the bytes must be those of XChaCha20-Poly1305 over pad(plaintext)
        // in one call, with the nonce in front (docs/FORMAT.md, SealPadded).
        let key = SecretKey::random();
        for len in [0, 1, 4, 5, 1020, 1021, 1025, 70_000] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = seal_padded(&key, b"aad", &plain);
            assert_eq!(sealed.len(), SEALED_OVERHEAD + padme(4 + len as u64) as usize, "{len}");
            let (nonce, body) = sealed.split_first_chunk::<NONCE_LEN>().unwrap();
            let whole = xchacha(&key).encrypt(&XNonce::from(*nonce), Payload { msg: &pad(&plain), aad: b"aad" });
            assert_eq!(body, whole.unwrap().as_slice(), "{len}");
            assert_eq!(open_padded(&key, b"aad", &sealed).unwrap(), plain, "{len}");
        }
    }

    #[test]
    fn nonces_are_fresh() {
        let key = SecretKey::random();
        assert_ne!(seal(&key, b"", b"x"), seal(&key, b"", b"x"));
    }

    #[test]
    fn padme_matches_the_paper_and_stays_within_12_percent() {
        // From the PURBs paper's table and its definition.
        for (len, padded) in [(0, 0), (1, 1), (2, 2), (7, 7), (8, 8), (9, 10), (100, 104), (1000, 1024), (1025, 1088)] {
            assert_eq!(padme(len), padded, "{len}");
        }
        assert_eq!(padme(3_500_000), 3_538_944);
        for len in (2..2_000_000u64).step_by(997) {
            let p = padme(len);
            assert!(p >= len && (p - len) * 100 <= len * 12, "{len} -> {p}");
            assert_eq!(padme(p), p, "a padded length is its own bucket");
        }
    }

    #[test]
    fn padded_values_hide_their_length_and_round_trip() {
        let key = SecretKey::random();
        let a = seal_padded(&key, b"t", &[1; 1000]);
        let b = seal_padded(&key, b"t", &[1; 1001]);
        assert_eq!(a.len(), b.len());
        assert_eq!(open_padded(&key, b"t", &a).unwrap(), vec![1; 1000]);
        assert_eq!(open_padded(&key, b"t", &seal_padded(&key, b"t", b"")).unwrap(), b"");
        let mut wrong_fill = pad(b"abc");
        wrong_fill.push(0);
        assert!(unpad(&wrong_fill).is_err());
        let mut nonzero = pad(&[5; 5]);
        assert_eq!(nonzero.len(), 10, "4 + 5 bytes pad to 10");
        nonzero[9] = 1;
        assert!(unpad(&nonzero).is_err());
        assert!(unpad(&[0, 0, 0, 9, 1]).is_err());
    }
}
