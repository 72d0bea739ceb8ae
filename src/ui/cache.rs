//! A bounded cache of thumbnail textures keyed by photo ID: each picture is uploaded
//! once at the size its tile needs, the least recently drawn is evicted first, and the
//! whole cache goes on lock.

use std::collections::HashMap;

use egui::TextureHandle;

use crate::vault::PhotoId;

/// Texture bytes kept. A texture is loaded at its tile's size in pixels rounded up to a
/// power of two, so this holds about 170 thumbnails of the default 160-point tiles on a
/// 1x display (256 pixels, 192 KB each: five screens of 1280x800), 42 on a 2x display.
/// The renderer's own memory for a texture is a multiple of its bytes: measured with
/// Mesa's software renderer, 64 MiB here put the app at 345 MB while scrolling, 32 MiB
/// at 250 MB (`scripts/bench-window.sh`).
pub(super) const BUDGET: usize = 32 * 1024 * 1024;

/// Textures by photo ID, with the size each was loaded for (longest side in pixels) and
/// the frame it was last drawn in.
pub(super) struct TextureCache {
    entries: HashMap<PhotoId, (TextureHandle, u32, u64)>,
    bytes: usize,
    budget: usize,
    frame: u64,
}

impl Default for TextureCache {
    fn default() -> Self {
        Self::with_budget(BUDGET)
    }
}

fn bytes_of(texture: &TextureHandle) -> usize {
    let [w, h] = texture.size();
    w * h * 4
}

impl TextureCache {
    fn with_budget(budget: usize) -> Self {
        Self { entries: HashMap::new(), bytes: 0, budget, frame: 0 }
    }

    /// Starts a new frame (for recency).
    pub(super) fn next_frame(&mut self) {
        self.frame += 1;
    }

    /// The texture for `id`, marked as used now.
    pub(super) fn get(&mut self, id: PhotoId) -> Option<&TextureHandle> {
        let frame = self.frame;
        self.entries.get_mut(&id).map(|(t, _, used)| {
            *used = frame;
            &*t
        })
    }

    /// The size `id`'s texture was loaded for, if it is cached.
    pub(super) fn side(&self, id: PhotoId) -> Option<u32> {
        self.entries.get(&id).map(|(_, side, _)| *side)
    }

    /// Adds a texture, evicting the least recently used ones beyond the [`BUDGET`]; never
    /// one drawn in this frame or the last, so a screen with more tiles than that (small
    /// tiles on a large display) keeps them all instead of reloading them every frame.
    pub(super) fn insert(&mut self, id: PhotoId, texture: TextureHandle, side: u32) {
        self.bytes += bytes_of(&texture);
        if let Some((old, _, _)) = self.entries.insert(id, (texture, side, self.frame)) {
            self.bytes -= bytes_of(&old);
        }
        while self.bytes > self.budget {
            let oldest =
                self.entries.iter().min_by_key(|(_, (_, _, used))| *used).map(|(id, (_, _, used))| (*id, *used));
            match oldest {
                Some((id, used)) if used + 1 < self.frame => self.remove(id),
                _ => break,
            };
        }
    }

    /// Forgets one photo's texture (after delete).
    pub(super) fn remove(&mut self, id: PhotoId) {
        if let Some((texture, _, _)) = self.entries.remove(&id) {
            self.bytes -= bytes_of(&texture);
        }
    }

    /// Number of textures held.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_drawn_but_never_what_is_on_screen() {
        let ctx = egui::Context::default();
        // 16 KB each; room for 100.
        let texture = |n: u64| {
            ctx.load_texture(
                format!("t{n}"),
                egui::ColorImage::filled([64, 64], egui::Color32::RED),
                Default::default(),
            )
        };
        let mut cache = TextureCache::with_budget(100 * 64 * 64 * 4);
        // More tiles on one screen than the budget holds: all kept.
        for n in 0..120 {
            cache.insert(PhotoId(n), texture(n), 256);
        }
        assert_eq!(cache.len(), 120);
        // Two frames later, with only the last ten drawn, undrawn ones go first.
        cache.next_frame();
        cache.next_frame();
        for n in 110..120 {
            assert!(cache.get(PhotoId(n)).is_some());
        }
        cache.insert(PhotoId(9999), texture(9999), 512);
        assert_eq!(cache.len(), 100);
        assert_eq!(cache.side(PhotoId(9999)), Some(512));
        assert!((110..120).all(|n| cache.side(PhotoId(n)).is_some()));
        // Replacing a texture (a larger size for the same photo) counts it once.
        cache.insert(PhotoId(9999), texture(10_000), 512);
        assert_eq!((cache.len(), cache.bytes), (100, 100 * 64 * 64 * 4));
    }
}
