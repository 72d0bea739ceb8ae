//! A bounded cache of thumbnail textures keyed by photo ID: each picture is uploaded
//! once, the least recently drawn is evicted first, and the whole cache goes on lock.

use std::collections::HashMap;

use egui::TextureHandle;

use crate::vault::PhotoId;

/// Enough for several screens of small tiles (a 320-pixel texture is about 400 KB).
pub const CAPACITY: usize = 400;

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

    /// Adds a texture, evicting the least recently used ones beyond [`CAPACITY`].
    pub fn insert(&mut self, id: PhotoId, texture: TextureHandle) {
        self.entries.insert(id, (texture, self.frame));
        while self.entries.len() > CAPACITY {
            let oldest = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(id, _)| *id);
            match oldest {
                Some(id) => self.entries.remove(&id),
                None => break,
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
