//! The thumbnails on screen, in one type: which are asked for and at what size, which
//! are drawn this frame, which the account hides, and a bounded cache of their textures
//! keyed by photo ID: each picture is uploaded once at the size its tile needs, the least
//! recently drawn is evicted first, and everything goes on lock.

use std::collections::{HashMap, HashSet};

use egui::TextureHandle;

use crate::jobs::{NoThumbnail, ThumbnailLoader, Work};
use spg_core::service::Unlock;
use spg_core::vault::PhotoId;

/// The account's thumbnails as the screen needs them.
pub(super) struct Thumbnails {
    textures: TextureCache,
    /// Asked for and not yet arrived (or failed), with the size asked for.
    pending: HashMap<PhotoId, u32>,
    /// Tiles drawn this frame: a pending thumbnail of any other is forgotten.
    drawn: HashSet<PhotoId>,
    /// Photos whose preview the account hides until they are unlocked.
    hidden: HashSet<PhotoId>,
    /// Photos whose preview could not be read (damaged in the file).
    failed: HashSet<PhotoId>,
    loader: ThumbnailLoader,
}

impl Thumbnails {
    /// The thumbnails of the account, loaded by a worker of its session's `work`.
    pub(super) fn new(work: &Work) -> Thumbnails {
        Thumbnails {
            textures: TextureCache::default(),
            pending: HashMap::new(),
            drawn: HashSet::new(),
            hidden: HashSet::new(),
            failed: HashSet::new(),
            loader: work.thumbnails(),
        }
    }

    /// Starts a frame (for the cache's recency).
    pub(super) fn next_frame(&mut self) {
        self.textures.next_frame();
    }

    /// A tile is drawn for `id` and needs its thumbnail `side` pixels large: asks the
    /// loader (with the photo's password, for a sharp one where previews are blurred)
    /// unless one that large is cached or on its way. Returns the texture to draw now.
    pub(super) fn want(&mut self, id: PhotoId, side: u32, unlock: Option<Unlock>) -> Option<&TextureHandle> {
        self.drawn.insert(id);
        let have = self.textures.side(id).max(self.pending.get(&id).copied()).unwrap_or(0);
        if have < side {
            self.pending.insert(id, side);
            self.loader.request(id, side, unlock);
        }
        self.textures.get(id)
    }

    /// Whether the account hides `id`'s preview (it has none to show until unlocked).
    pub(super) fn is_hidden(&self, id: PhotoId) -> bool {
        self.hidden.contains(&id)
    }

    /// Whether `id`'s preview could not be read: its tile says so instead of waiting.
    pub(super) fn is_failed(&self, id: PhotoId) -> bool {
        self.failed.contains(&id)
    }

    /// Withdraws the requests of tiles not drawn this frame (scrolled away, or behind the
    /// viewer), so they cost no decode and no texture.
    pub(super) fn forget_undrawn(&mut self) {
        let (drawn, loader) = (&self.drawn, &self.loader);
        self.pending.retain(|id, _| {
            drawn.contains(id) || {
                loader.forget(*id);
                false
            }
        });
        self.drawn.clear();
    }

    /// The loader's answer for `id` at `side` pixels.
    pub(super) fn arrived(
        &mut self,
        ctx: &egui::Context,
        id: PhotoId,
        side: u32,
        result: Result<image::RgbaImage, NoThumbnail>,
    ) {
        match result {
            Ok(picture) => {
                self.hidden.remove(&id);
                let size = [picture.width() as usize, picture.height() as usize];
                let image = egui::ColorImage::from_rgba_unmultiplied(size, picture.as_raw());
                let texture = ctx.load_texture(format!("thumb-{id}"), image, egui::TextureOptions::LINEAR);
                self.textures.insert(id, texture, side);
                // Unless a larger one was asked for since (the tiles grew).
                if self.pending.get(&id).is_some_and(|asked| *asked <= side) {
                    self.pending.remove(&id);
                }
            }
            // A failed thumbnail stays pending while its tile is on screen, so it is not
            // asked for again every frame.
            Err(NoThumbnail::Hidden) => {
                self.hidden.insert(id);
            }
            Err(NoThumbnail::Failed(_)) => {
                self.failed.insert(id);
            }
        }
    }

    /// Forgets `id`'s thumbnail: it is deleted, or unlocked (the sharp one replaces a
    /// placeholder).
    pub(super) fn forget(&mut self, id: PhotoId) {
        self.textures.remove(id);
        self.pending.remove(&id);
        self.failed.remove(&id);
    }

    /// How many textures are held (for tests).
    pub(super) fn textures_held(&self) -> usize {
        self.textures.len()
    }

    /// Forgets every thumbnail: the previews setting changed.
    pub(super) fn reload_all(&mut self) {
        self.textures = TextureCache::default();
        self.pending.clear();
        self.hidden.clear();
        self.failed.clear();
    }
}

/// Texture bytes kept. A texture is loaded at its tile's size in pixels rounded up to a
/// power of two, so this holds about 170 thumbnails of the default 160-point tiles on a
/// 1x display (256 pixels, 192 KB each: five screens of 1280x800), 42 on a 2x display.
/// The renderer's own memory for a texture is a multiple of its bytes: measured with
/// Mesa's software renderer, 64 MiB here put the app at 345 MB while scrolling, 32 MiB
/// at 250 MB (`scripts/bench-window.sh`).
const BUDGET: usize = 32 * 1024 * 1024;

/// Textures by photo ID, with the size each was loaded for (longest side in pixels) and
/// the frame it was last drawn in.
struct TextureCache {
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
    fn next_frame(&mut self) {
        self.frame += 1;
    }

    /// The texture for `id`, marked as used now.
    fn get(&mut self, id: PhotoId) -> Option<&TextureHandle> {
        let frame = self.frame;
        self.entries.get_mut(&id).map(|(t, _, used)| {
            *used = frame;
            &*t
        })
    }

    /// The size `id`'s texture was loaded for, if it is cached.
    fn side(&self, id: PhotoId) -> Option<u32> {
        self.entries.get(&id).map(|(_, side, _)| *side)
    }

    /// Adds a texture, evicting the least recently used ones beyond the [`BUDGET`]; never
    /// one drawn in this frame or the last, so a screen with more tiles than that (small
    /// tiles on a large display) keeps them all instead of reloading them every frame.
    fn insert(&mut self, id: PhotoId, texture: TextureHandle, side: u32) {
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
    fn remove(&mut self, id: PhotoId) {
        if let Some((texture, _, _)) = self.entries.remove(&id) {
            self.bytes -= bytes_of(&texture);
        }
    }

    /// Number of textures held.
    fn len(&self) -> usize {
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
            cache.insert(PhotoId::from_u64(n).unwrap(), texture(n), 256);
        }
        assert_eq!(cache.len(), 120);
        // Two frames later, with only the last ten drawn, undrawn ones go first.
        cache.next_frame();
        cache.next_frame();
        for n in 110..120 {
            assert!(cache.get(PhotoId::from_u64(n).unwrap()).is_some());
        }
        cache.insert(PhotoId::from_u64(9999).unwrap(), texture(9999), 512);
        assert_eq!(cache.len(), 100);
        assert_eq!(cache.side(PhotoId::from_u64(9999).unwrap()), Some(512));
        assert!((110..120).all(|n| cache.side(PhotoId::from_u64(n).unwrap()).is_some()));
        // Replacing a texture (a larger size for the same photo) counts it once.
        cache.insert(PhotoId::from_u64(9999).unwrap(), texture(10_000), 512);
        assert_eq!((cache.len(), cache.bytes), (100, 100 * 64 * 64 * 4));
    }
}
