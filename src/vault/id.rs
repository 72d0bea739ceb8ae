//! Photo identifiers: 60 random bits shown as twelve Crockford base32 symbols
//! (`7K3M9QX2A4BC`), read case-insensitively; IDs below 2^40 (made before backups reached
//! several computers) are shown, and read, as eight.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols of an ID made now (60 bits).
const LEN: usize = 12;
/// Symbols of an ID below 2^40 (40 bits, as IDs were made before).
const SHORT: usize = 8;
/// Every photo ID is below this.
pub(crate) const ID_LIMIT: u64 = 1 << 60;

/// A photo's identifier, unique within the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoId(pub(crate) u64);

impl PhotoId {
    /// A fresh random identifier (60 bits: two computers importing a million photos each
    /// make the same one with a chance of about 1 in 2 million).
    pub(crate) fn random() -> Self {
        let bytes: [u8; 8] = crate::crypto::random_array();
        Self(u64::from_le_bytes(bytes) & (ID_LIMIT - 1))
    }

    /// The number as stored in the vault.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = if self.0 < 1 << (5 * SHORT) { SHORT } else { LEN };
        let s: String = (0..len).rev().map(|i| ALPHABET[((self.0 >> (5 * i)) & 31) as usize] as char).collect();
        f.write_str(&s)
    }
}

/// The text is not a photo ID.
#[derive(Debug, Clone, thiserror::Error)]
#[error("'{0}' is not a photo ID: IDs are 12 (or 8) letters and digits, as `list` shows them")]
pub struct BadPhotoId(String);

impl FromStr for PhotoId {
    type Err = BadPhotoId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.len() != LEN && t.len() != SHORT {
            return Err(BadPhotoId(s.to_string()));
        }
        let mut v = 0u64;
        for c in t.chars() {
            let c = match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            let d = ALPHABET.iter().position(|&a| a as char == c).ok_or_else(|| BadPhotoId(s.to_string()))?;
            v = (v << 5) | d as u64;
        }
        Ok(Self(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let old = PhotoId(0x3A_5C96_0E11);
        assert_eq!(old.to_string().len(), 8, "an ID made before keeps its eight symbols");
        assert_eq!(old.to_string().parse::<PhotoId>().unwrap(), old);
        for _ in 0..100 {
            let id = PhotoId::random();
            assert!(id.0 < ID_LIMIT);
            let s = id.to_string();
            assert_eq!(s.len(), if id.0 < 1 << 40 { 8 } else { 12 });
            assert_eq!(s.parse::<PhotoId>().unwrap(), id);
            assert_eq!(s.to_lowercase().parse::<PhotoId>().unwrap(), id);
        }
        assert!("1234567".parse::<PhotoId>().is_err());
        assert!("1234567U".parse::<PhotoId>().is_err());
    }
}
