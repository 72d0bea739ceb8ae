//! Photo identifiers: 60 bits (a random prefix of the import run, then a count; see
//! `photos::IdRun`) shown as twelve Crockford base32 symbols (`7K3M9QX2A4BC`), read
//! case-insensitively.

use std::fmt;
use std::str::FromStr;

use crate::crypto::crockford;

/// Symbols of an ID (60 bits).
const LEN: usize = 12;
/// Every photo ID is below this.
pub(crate) const ID_LIMIT: u64 = 1 << 60;

/// A photo's identifier, unique within the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoId(pub(crate) u64);

impl PhotoId {
    /// The number as stored in the vault.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The photo ID numbered `n`, if it is one (below 2^60).
    pub fn from_u64(n: u64) -> Option<PhotoId> {
        (n < ID_LIMIT).then_some(PhotoId(n))
    }
}

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crockford::encode(self.0, LEN))
    }
}

/// The text is not a photo ID.
#[derive(Debug, Clone, thiserror::Error)]
#[error("'{0}' is not a photo ID: IDs are 12 letters and digits, as the password email and the list show them")]
pub struct BadPhotoId(String);

impl FromStr for PhotoId {
    type Err = BadPhotoId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crockford::decode(s.trim(), LEN).map(Self).ok_or_else(|| BadPhotoId(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        for n in [1, 0x3A_5C96_0E11, ID_LIMIT - 1, 0x0123_4567_89AB_CDEF & (ID_LIMIT - 1)] {
            let id = PhotoId(n);
            let s = id.to_string();
            assert_eq!(s.len(), 12);
            assert_eq!(s.parse::<PhotoId>().unwrap(), id);
            assert_eq!(s.to_lowercase().parse::<PhotoId>().unwrap(), id);
        }
        assert_eq!(PhotoId(1).to_string(), "000000000001");
        assert_eq!("0OoIiLl00001".parse::<PhotoId>().unwrap(), PhotoId(0x108_4200_0001));
        assert!("12345678".parse::<PhotoId>().is_err(), "eight symbols were a format-2 ID");
        assert!("1234567U0000".parse::<PhotoId>().is_err());
    }
}
