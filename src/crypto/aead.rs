//! AES-256-GCM sealing of small values (wrapped keys, metadata, thumbnails) under a
//! fresh random 96-bit nonce, with associated data that binds the value to its place.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::{DecryptionFailed, SecretKey};

const TAG_LEN: usize = 16;

/// Bytes that [`seal`] adds to a plaintext: the nonce in front and the tag behind.
pub const SEALED_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// AES-256-GCM under `key`, from `ring` (the one AES-GCM implementation of the crate).
pub(crate) fn aes_gcm(key: &SecretKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.expose()).expect("a 32-byte key fits AES-256"))
}

/// Encrypts `plaintext` under `key`, binding `aad`. Output: nonce ‖ ciphertext ‖ tag.
///
/// Random nonces are safe here: each key derived for this purpose seals far fewer
/// than 2^32 values over a vault's life.
pub fn seal(key: &SecretKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = super::random_array();
    let mut body = plaintext.to_vec();
    aes_gcm(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .expect("AES-GCM encrypts any message below 64 GiB");
    [nonce.as_slice(), &body].concat()
}

/// Reverses [`seal`]. Any wrong key, wrong `aad` or changed byte gives [`DecryptionFailed`].
pub fn open(key: &SecretKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, DecryptionFailed> {
    if sealed.len() < SEALED_OVERHEAD {
        return Err(DecryptionFailed);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| DecryptionFailed)?;
    let mut buf = ciphertext.to_vec();
    let len = aes_gcm(key).open_in_place(nonce, Aad::from(aad), &mut buf).map_err(|_| DecryptionFailed)?.len();
    buf.truncate(len);
    Ok(buf)
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
    fn nonces_are_fresh() {
        let key = SecretKey::random();
        assert_ne!(seal(&key, b"", b"x"), seal(&key, b"", b"x"));
    }
}
