//! A bounded cache of thumbnail textures keyed by photo ID: each picture is uploaded
//! once, the least recently drawn is evicted first, and the whole cache goes on lock.

use std::collections::HashMap;

use egui::TextureHandle;

use crate::vault::PhotoId;

/// Enough for three screens of the smallest tiles. A thumbnail texture of up to 512
/// pixels takes up to 1 MB, so this bounds the grid's textures to about 160 MB.
pub const CAPACITY: usize = 160;

/// Textures by photo ID, with the frame each was last drawn in.
#[derive(Default)]
pub struct TextureCache {
    entries: HashMap<PhotoId, (TextureHandle, u64)>,
    frame: u64,
}

impl TextureCache {
    /// Starts a new frame (for recency).
    pub fn next_frame(&mut self) {
        self.frame += 1;
    }

    /// The texture for `id`, marked as used now.
    pub fn get(&mut self, id: PhotoId) -> Option<&TextureHandle> {
        let frame = self.frame;
        self.entries.get_mut(&id).map(|(t, used)| {
            *used = frame;
            &*t
        })
    }

    /// Whether `id` is cached.
    pub fn contains(&self, id: PhotoId) -> bool {
        self.entries.contains_key(&id)
    }

    /// Adds a texture, evicting the least recently used ones beyond [`CAPACITY`]; never
    /// one drawn in this frame or the last, so a screen with more tiles than that (small
    /// tiles on a large display) keeps them all instead of reloading them every frame.
    pub fn insert(&mut self, id: PhotoId, texture: TextureHandle) {
        self.entries.insert(id, (texture, self.frame));
        while self.entries.len() > CAPACITY {
            let oldest = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(id, (_, used))| (*id, *used));
            match oldest {
                Some((id, used)) if used + 1 < self.frame => self.entries.remove(&id),
                _ => break,
            };
        }
    }

    /// Forgets one photo's texture (after delete).
    pub fn remove(&mut self, id: PhotoId) {
        self.entries.remove(&id);
    }

    /// Number of textures held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_drawn_but_never_what_is_on_screen() {
        let ctx = egui::Context::default();
        let texture = |n: u64| ctx.load_texture(format!("t{n}"), egui::ColorImage::example(), Default::default());
        let mut cache = TextureCache::default();
        // More tiles on one screen than the capacity: all kept.
        for n in 0..CAPACITY as u64 + 20 {
            cache.insert(PhotoId(n), texture(n));
        }
        assert_eq!(cache.len(), CAPACITY + 20);
        // Two frames later, with only the last ten drawn, undrawn ones go first.
        cache.next_frame();
        cache.next_frame();
        for n in CAPACITY as u64 + 10..CAPACITY as u64 + 20 {
            assert!(cache.get(PhotoId(n)).is_some());
        }
        cache.insert(PhotoId(9999), texture(9999));
        assert_eq!(cache.len(), CAPACITY);
        assert!(cache.contains(PhotoId(9999)));
        assert!((CAPACITY as u64 + 10..CAPACITY as u64 + 20).all(|n| cache.contains(PhotoId(n))));
    }
}
