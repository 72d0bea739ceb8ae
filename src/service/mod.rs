//! The use cases that compose the lower layers (`vault`, `imaging`, `mail`) into what the
//! app and the command line do, each rule in one place. Both front ends call these rather
//! than composing the layers themselves.
//!
//! What is here so far: where an account's mail goes (`mail`) and the previews of locked
//! photos (`previews`). docs/ARCHITECTURE.md
//! says where the rest is headed.

mod mail;
mod previews;

pub use mail::{MailOverrides, MailRoute, mail_route};
pub use previews::{set_previews, unlocked_thumbnail};
