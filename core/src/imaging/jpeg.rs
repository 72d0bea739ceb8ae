//! The one walk over a JPEG's marker segments, shared by the completeness check of import
//! and the metadata stripping of export, so that both accept the same files.
//!
//! It follows libjpeg-turbo's `next_marker` (jdmarker.c), which is what every common viewer
//! and Pillow use: where a marker is expected, bytes that are not one (junk after a
//! segment, a segment shorter than what follows it, a damaged Photoshop block) are skipped
//! up to the next `FF` that starts a marker, with a warning in libjpeg and silently here;
//! runs of `FF` fill bytes and stuffed `FF 00` pairs are skipped too. A declared length
//! below 2, or one that runs past the end of the file, stops the walk (libjpeg stops with
//! "bogus marker length" or "premature end of file").

/// Start of scan: the entropy-coded data of a scan follows this segment.
pub(crate) const SOS: u8 = 0xDA;
/// End of image.
pub(crate) const EOI: u8 = 0xD9;

/// Whether `marker` stands alone, without a length: TEM, RST0-7, SOI, EOI.
pub(crate) fn is_standalone(marker: u8) -> bool {
    matches!(marker, 0x01 | 0xD0..=0xD9)
}

/// One marker and, unless it stands alone, its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    /// The marker's second byte (`0xDA` for SOS…).
    pub marker: u8,
    /// The whole segment as stored: `FF`, the marker, the length and the payload.
    pub bytes: &'a [u8],
    /// The payload after the length (empty for a standalone marker).
    pub payload: &'a [u8],
}

/// Walks the markers of a JPEG from just after its SOI.
pub(crate) struct Markers<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Markers<'a> {
    /// `None` when `bytes` does not start with SOI (`FF D8`): not a JPEG at all.
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Self> {
        bytes.starts_with(&[0xFF, 0xD8]).then_some(Markers { bytes, pos: 2 })
    }

    /// Where the walk stands: just after the last segment returned.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The next marker segment, skipping what is not a marker as libjpeg does; `None` at
    /// the end of the data or at a segment whose length cannot be right.
    pub(crate) fn next_segment(&mut self) -> Option<Segment<'a>> {
        let b = self.bytes;
        let mut i = self.pos;
        let marker = loop {
            i += b.get(i..)?.iter().position(|&x| x == 0xFF)?;
            while b.get(i + 1) == Some(&0xFF) {
                i += 1;
            }
            let marker = *b.get(i + 1)?;
            if marker != 0x00 {
                break marker;
            }
            i += 2; // a stuffed FF 00 is data, not a marker
        };
        if is_standalone(marker) {
            self.pos = i + 2;
            return Some(Segment { marker, bytes: &b[i..i + 2], payload: &[] });
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
        let end = i + 2 + len;
        if len < 2 || end > b.len() {
            return None;
        }
        self.pos = end;
        Some(Segment { marker, bytes: &b[i..end], payload: &b[i + 4..end] })
    }

    /// After an SOS or a restart marker: the entropy-coded data up to the next marker that
    /// is neither a stuffed `FF 00` nor a restart marker (which belong to the scan).
    /// `None` when the data runs to the end of the file with no marker after it.
    pub(crate) fn entropy_coded_data(&mut self) -> Option<&'a [u8]> {
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        while i + 1 < b.len() && !(b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&b[i + 1])) {
            i += 1;
        }
        if i + 1 >= b.len() {
            return None;
        }
        self.pos = i;
        Some(&b[start..i])
    }
}

/// Whether a JPEG's compressed data ends with its end-of-image marker. The decoder fills a
/// truncated file with grey instead of failing (libjpeg only warns), so a cut-off download
/// would otherwise be stored as if it were whole.
///
/// The header is walked as libjpeg walks it, so that a file libjpeg opens with a warning
/// is accepted. After the first start-of-scan header, `FF D9` can only be the end-of-image
/// marker (a literal `FF` in entropy-coded data is stuffed as `FF 00`); it is searched for
/// from the end, where a whole file has it, so bytes after it (some cameras add them) do
/// not matter and the photo's megabytes are not scanned.
pub(crate) fn is_complete(bytes: &[u8]) -> bool {
    let Some(mut markers) = Markers::new(bytes) else { return false };
    while let Some(segment) = markers.next_segment() {
        match segment.marker {
            SOS => return bytes[markers.position()..].windows(2).rev().any(|w| w == [0xFF, EOI]),
            EOI => return false, // an image that ends before any scan holds no picture
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, a segment of each kind, SOS, data with stuffing and a restart marker, EOI.
    fn sample() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, b'J', b'F']);
        j.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x03, 0x07]);
        j.extend_from_slice(&[0xFF, SOS, 0x00, 0x02]);
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend_from_slice(&[0xFF, EOI]);
        j
    }

    fn markers_of(bytes: &[u8]) -> Vec<u8> {
        let mut m = Markers::new(bytes).unwrap();
        std::iter::from_fn(|| m.next_segment()).map(|s| s.marker).collect()
    }

    #[test]
    fn segments_are_walked_and_the_scan_data_is_found() {
        let j = sample();
        let mut m = Markers::new(&j).unwrap();
        assert_eq!(m.next_segment().unwrap().payload, b"JF");
        assert_eq!(m.next_segment().unwrap().marker, 0xDB);
        assert_eq!(m.next_segment().unwrap().marker, SOS);
        assert_eq!(m.entropy_coded_data().unwrap(), &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        assert_eq!(m.next_segment().unwrap().marker, EOI);
        assert!(is_complete(&j));
    }

    #[test]
    fn junk_and_fill_bytes_between_segments_are_skipped_as_libjpeg_does() {
        let j = sample();
        let mut junk = j[..8].to_vec();
        junk.extend_from_slice(&[0x00, 0x11, b'j', b'u', b'n', b'k', 0xFF, 0x00, 0x22, 0xFF, 0xFF]);
        junk.extend_from_slice(&j[8..]);
        assert_eq!(markers_of(&junk)[..3], [0xE0, 0xDB, SOS]);
        assert!(is_complete(&junk));
    }

    #[test]
    fn truncation_and_bogus_lengths_are_incomplete() {
        let j = sample();
        assert!(!is_complete(&j[..j.len() - 2]));
        assert!(!is_complete(&j[..5]));
        assert!(!is_complete(b"not a jpeg"));
        let mut bogus = j.clone();
        bogus[5] = 0x01; // APP0 length 1
        assert!(!is_complete(&bogus));
        let mut long = j.clone();
        long[4..6].copy_from_slice(&0x4000u16.to_be_bytes()); // APP0 runs past the end
        assert!(!is_complete(&long));
        let mut trailing = j.clone();
        trailing.extend_from_slice(b"\0\0 bytes some cameras add");
        assert!(is_complete(&trailing));
    }
}
