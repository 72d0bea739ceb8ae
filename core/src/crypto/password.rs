//! Per-photo passwords: 100 random bits written as 20 Crockford base32 symbols in four
//! groups, `XXXXX-XXXXX-XXXXX-XXXXX`. Typing is forgiving: case, dashes and spaces do
//! not matter, and `I`/`L` read as `1`, `O` as `0`, as Crockford specifies.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::crockford;
/// Number of symbols in a photo password (5 bits each: 100 bits).
pub const PHOTO_PASSWORD_LEN: usize = 20;

/// A photo's password in canonical form (20 upper-case Crockford symbols, no dashes).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PhotoPassword(String);

impl PhotoPassword {
    /// A fresh random password (100 bits from the OS generator).
    pub fn generate() -> Self {
        let mut bytes: [u8; PHOTO_PASSWORD_LEN] = super::random_array();
        // 32 divides 256, so the low five bits of a uniform byte are uniform.
        let s = bytes.iter().map(|&b| crockford::symbol(b)).collect();
        bytes.zeroize();
        Self(s)
    }

    /// Reads a typed or pasted password; `None` if it is not 20 valid symbols.
    pub fn parse(input: &str) -> Option<Self> {
        let mut out = String::with_capacity(PHOTO_PASSWORD_LEN);
        for c in input.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let Some(value) = crockford::value_of(c) else {
                out.zeroize();
                return None;
            };
            out.push(crockford::symbol(value));
        }
        if out.len() == PHOTO_PASSWORD_LEN {
            Some(Self(out))
        } else {
            out.zeroize();
            None
        }
    }

    /// The canonical form, as fed into key derivation.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown to people: four groups of five joined by dashes.
    pub fn display(&self) -> String {
        let b = self.0.as_bytes();
        b.chunks(5).map(|g| std::str::from_utf8(g).expect("ASCII")).collect::<Vec<_>>().join("-")
    }
}

impl std::fmt::Debug for PhotoPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhotoPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_have_the_documented_shape() {
        let pw = PhotoPassword::generate();
        let shown = pw.display();
        assert_eq!(shown.len(), 23);
        assert_eq!(shown.matches('-').count(), 3);
        assert!(pw.as_str().bytes().all(|b| crockford::ALPHABET.contains(&b)));
        assert_ne!(pw, PhotoPassword::generate());
    }

    #[test]
    fn parsing_forgives_case_dashes_and_lookalikes() {
        let pw = PhotoPassword::parse("ABCDE-FGH1J-KMN0P-QRSTV").unwrap();
        assert_eq!(PhotoPassword::parse("abcdefghijkmnopqrstv").unwrap(), pw);
        assert_eq!(PhotoPassword::parse(" abcde fghlj kmnop qrstv \r\n").unwrap(), pw);
        assert_eq!(pw.display(), "ABCDE-FGH1J-KMN0P-QRSTV");
    }

    #[test]
    fn parsing_rejects_wrong_length_and_symbols() {
        assert!(PhotoPassword::parse("ABCDE-FGHJK-MNPQR-STVW").is_none());
        assert!(PhotoPassword::parse("ABCDE-FGHJK-MNPQR-STVWXY").is_none());
        assert!(PhotoPassword::parse("ABCDE-FGHJK-MNPQR-STVWU").is_none(), "U is not Crockford");
        assert!(PhotoPassword::parse("ABCDE-FGHJK-MNPQR-STVW!").is_none());
        assert!(PhotoPassword::parse("").is_none());
    }
}
