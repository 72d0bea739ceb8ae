//! The plain tile shown for a photo whose kind is known but whose pixels this build cannot
//! render: "No preview", what the file is, and that an export opens it elsewhere. It is
//! drawn here, into the thumbnail, so the grid, the viewer, the login's previews and a
//! backup all carry it like any other thumbnail. The letters are the public-domain 8x8
//! bitmap font of `font8x8`, scaled up.

use image::{Rgb, RgbImage};

/// The tile's size: the 4:3 of most photos, within the thumbnail limit.
pub(super) const TILE_WIDTH: u32 = 512;
pub(super) const TILE_HEIGHT: u32 = 384;

const BACKGROUND: Rgb<u8> = Rgb([58, 60, 66]);
const TEXT: Rgb<u8> = Rgb([232, 232, 236]);
const DIM_TEXT: Rgb<u8> = Rgb([170, 172, 180]);

/// The tile for a file described by `what` (`HEIC`, `TIFF with LZMA compression`).
pub(super) fn no_preview(what: &str) -> RgbImage {
    let mut tile = RgbImage::from_pixel(TILE_WIDTH, TILE_HEIGHT, BACKGROUND);
    draw_centred(&mut tile, "No preview", 120, 5, TEXT);
    draw_centred(&mut tile, what, 200, 3, TEXT);
    draw_centred(&mut tile, "Export it to open it", 270, 2, DIM_TEXT);
    tile
}

/// Draws `text` centred on the row `top`, each 8x8 glyph `scale` times larger; a text
/// wider than the tile is drawn smaller, down to the font's own size, then cut.
fn draw_centred(tile: &mut RgbImage, text: &str, top: u32, scale: u32, colour: Rgb<u8>) {
    let glyphs: Vec<[u8; 8]> = text
        .chars()
        .map(|c| {
            font8x8::legacy::BASIC_LEGACY
                .get(c as usize)
                .copied()
                .unwrap_or(font8x8::legacy::BASIC_LEGACY[b'?' as usize])
        })
        .collect();
    let fits = |s: u32| glyphs.len() as u32 * 8 * s <= TILE_WIDTH - 16;
    let scale = (1..=scale).rev().find(|&s| fits(s)).unwrap_or(1);
    let width = glyphs.len() as u32 * 8 * scale;
    let left = TILE_WIDTH.saturating_sub(width) / 2;
    for (i, rows) in glyphs.iter().enumerate() {
        for (y, row) in rows.iter().enumerate() {
            for x in 0..8 {
                // Bit 0 is the glyph's leftmost pixel.
                if row >> x & 1 == 0 {
                    continue;
                }
                let (px, py) = (left + (i as u32 * 8 + x) * scale, top + y as u32 * scale);
                for dy in 0..scale {
                    for dx in 0..scale {
                        if px + dx < TILE_WIDTH && py + dy < TILE_HEIGHT {
                            tile.put_pixel(px + dx, py + dy, colour);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_has_its_words_and_a_long_name_stays_inside() {
        let tile = no_preview("TIFF with LZMA compression, a name far too long for one line");
        assert_eq!(tile.dimensions(), (TILE_WIDTH, TILE_HEIGHT));
        let lit = tile.pixels().filter(|p| **p == TEXT).count();
        assert!(lit > 1000, "the words are drawn: {lit} pixels");
        let blank = no_preview("");
        assert!(blank.pixels().filter(|p| **p == TEXT).count() < lit);
    }
}
