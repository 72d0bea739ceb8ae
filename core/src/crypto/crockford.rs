//! Crockford's base32, the one spelling of everything a person reads or types: photo IDs,
//! photo passwords and address codes. Symbols are read case-insensitively, with `I`/`L`
//! as `1` and `O` as `0`, as Crockford specifies.

/// The 32 symbols, in value order.
pub(crate) const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The symbol of a five-bit value (`value & 31`).
pub(crate) fn symbol(value: u8) -> char {
    char::from(ALPHABET[usize::from(value & 31)])
}

/// The value of a typed symbol, or `None` if `c` is not one.
pub(crate) fn value_of(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        c => c,
    };
    let position = ALPHABET.iter().position(|&a| char::from(a) == c)?;
    u8::try_from(position).ok()
}

/// The low `5 × symbols` bits of `value` as symbols, most significant first.
pub(crate) fn encode(value: u64, symbols: usize) -> String {
    (0..symbols).rev().map(|i| symbol(((value >> (5 * i)) & 31) as u8)).collect()
}

/// The number `text` spells, if it is exactly `symbols` symbols long.
pub(crate) fn decode(text: &str, symbols: usize) -> Option<u64> {
    if text.chars().count() != symbols || symbols > 12 {
        return None;
    }
    text.chars().try_fold(0u64, |v, c| Some((v << 5) | u64::from(value_of(c)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_symbols_read_as_crockford_says() {
        assert_eq!(value_of('a'), Some(10));
        assert_eq!(value_of('l'), Some(1));
        assert_eq!(value_of('I'), Some(1));
        assert_eq!(value_of('o'), Some(0));
        assert_eq!(value_of('U'), None);
        assert_eq!(decode(&encode(0xABCDE, 4), 4), Some(0xABCDE & 0xFFFFF));
        assert_eq!(decode("0000", 3), None);
    }
}
