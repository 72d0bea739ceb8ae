//! The grid's thumbnail loader: one named thread per session that decrypts and decodes
//! the thumbnails the grid asks for, at the size its tiles need, newest request first so
//! the rows on screen come before the ones scrolled past. A request for a tile that left
//! the screen before its turn is forgotten, so a fast scroll through thousands of photos
//! decodes and uploads only what stays in view.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use spg_core::service::Account;
use spg_core::service::Unlock;
use spg_core::service::view::{OpenPhotoError, thumbnail_for_display};
use spg_core::vault::{PhotoError, PhotoId};

use std::sync::atomic::{AtomicBool, Ordering};

/// Why a tile has no thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoThumbnail {
    /// The account hides the previews of locked photos.
    Hidden,
    /// It could not be read or decoded.
    Failed(String),
}

/// Asks for thumbnails; the thread stops when this is dropped (on lock).
pub struct ThumbnailLoader {
    requests: Sender<Request>,
}

pub(super) enum Request {
    /// Load this photo's thumbnail with its longest side at most this many pixels; with
    /// its password when it is unlocked (the sharp one, whatever the account's previews).
    Load(PhotoId, u32, Option<Unlock>),
    /// It is no longer needed.
    Forget(PhotoId),
}

/// The requests waiting, oldest first.
#[derive(Default)]
struct Queue(Vec<(PhotoId, u32, Option<Unlock>)>);

impl Queue {
    fn apply(&mut self, request: Request) {
        match request {
            Request::Load(id, side, password) => {
                self.0.retain(|(queued, ..)| *queued != id);
                self.0.push((id, side, password));
            }
            Request::Forget(id) => self.0.retain(|(queued, ..)| *queued != id),
        }
    }

    /// Takes every request that waits in `rx`, blocking for one only when there is no
    /// work; `None` once the sender is gone.
    fn refill(&mut self, rx: &Receiver<Request>) -> Option<()> {
        if self.0.is_empty() {
            self.apply(rx.recv().ok()?);
        }
        loop {
            match rx.try_recv() {
                Ok(request) => self.apply(request),
                Err(TryRecvError::Empty) => return Some(()),
                Err(TryRecvError::Disconnected) => return None,
            }
        }
    }
}

impl ThumbnailLoader {
    /// A loader, and the requests it sends, for [`serve`] to take.
    pub(super) fn new() -> (ThumbnailLoader, Receiver<Request>) {
        let (requests, rx) = channel();
        (ThumbnailLoader { requests }, rx)
    }

    /// Asks for one thumbnail, its longest side at most `side` pixels; it arrives as
    /// `SessionEvent::Thumbnail` unless forgotten first.
    pub fn request(&self, id: PhotoId, side: u32, password: Option<Unlock>) {
        let _ = self.requests.send(Request::Load(id, side, password));
    }

    /// Withdraws a request that has not been served yet.
    pub fn forget(&self, id: PhotoId) {
        let _ = self.requests.send(Request::Forget(id));
    }
}

/// Serves the thumbnails `requests` asks for, newest first, each to `deliver`, until the
/// loader is dropped or the session closes (`stop`).
pub(super) fn serve(
    account: &Account,
    requests: &Receiver<Request>,
    stop: &AtomicBool,
    deliver: impl Fn(PhotoId, u32, Result<image::RgbaImage, NoThumbnail>),
) {
    let mut queue = Queue::default();
    while queue.refill(requests).is_some() && !stop.load(Ordering::Relaxed) {
        let Some((id, side, password)) = queue.0.pop() else { continue };
        let result = thumbnail_for_display(account, id, password.as_ref(), side).map_err(|e| match e {
            OpenPhotoError::Photo(PhotoError::PreviewHidden(_)) => NoThumbnail::Hidden,
            e => NoThumbnail::Failed(e.to_string()),
        });
        deliver(id, side, result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_request_first_and_forgotten_ones_never() {
        let (tx, rx) = channel();
        let mut queue = Queue::default();
        for n in 1..=4 {
            tx.send(Request::Load(PhotoId::from_u64(n).unwrap(), 256, None)).unwrap();
        }
        tx.send(Request::Forget(PhotoId::from_u64(3).unwrap())).unwrap();
        // Asked again at another size: moves to the front with the new size.
        tx.send(Request::Load(PhotoId::from_u64(1).unwrap(), 512, None)).unwrap();
        assert_eq!(queue.refill(&rx), Some(()));
        let order: Vec<_> = std::iter::from_fn(|| queue.0.pop()).map(|(id, side, _)| (id, side)).collect();
        assert_eq!(
            order,
            [
                (PhotoId::from_u64(1).unwrap(), 512),
                (PhotoId::from_u64(4).unwrap(), 256),
                (PhotoId::from_u64(2).unwrap(), 256)
            ]
        );
        drop(tx);
        assert_eq!(queue.refill(&rx), None);
    }
}
