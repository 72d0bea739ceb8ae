//! The grid's thumbnail loader: one named thread per session that decrypts and decodes
//! the thumbnails the grid asks for, newest request first, so the rows on screen come
//! before the ones scrolled past.

use std::sync::Arc;
use std::sync::mpsc::{Sender, TryRecvError, channel};

use crate::vault::{PhotoId, Session};

use super::{Event, EventSender};

/// Asks for thumbnails; the thread stops when this is dropped (on lock).
pub struct ThumbnailLoader {
    requests: Sender<PhotoId>,
}

impl ThumbnailLoader {
    pub(super) fn start(session: Arc<Session>, events: EventSender) -> ThumbnailLoader {
        let (requests, rx) = channel::<PhotoId>();
        std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || {
                let mut queue: Vec<PhotoId> = Vec::new();
                loop {
                    // Block for work only when the queue is empty; then take all that waits.
                    if queue.is_empty() {
                        match rx.recv() {
                            Ok(id) => queue.push(id),
                            Err(_) => return,
                        }
                    }
                    loop {
                        match rx.try_recv() {
                            Ok(id) => queue.push(id),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => return,
                        }
                    }
                    let id = queue.pop().expect("the queue is not empty");
                    let result = session.thumbnail(id).map_err(|e| e.to_string()).and_then(|jpeg| {
                        image::load_from_memory(&jpeg).map(|i| i.into_rgba8()).map_err(|e| e.to_string())
                    });
                    events.send(Event::Thumbnail(id, result));
                }
            })
            .expect("the OS can start the thumbnail thread");
        ThumbnailLoader { requests }
    }

    /// Asks for one thumbnail; it arrives as [`Event::Thumbnail`].
    pub fn request(&self, id: PhotoId) {
        let _ = self.requests.send(id);
    }
}
