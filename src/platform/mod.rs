//! What the operating system gives every layer, kept in one place: owner-only folders and
//! atomic new files ([`files`]), and panics in dependencies turned into errors
//! ([`panic_guard`]). It uses nothing of the crate.

pub(crate) mod files;
pub(crate) mod panic_guard;
