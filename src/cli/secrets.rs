//! Secrets come from the environment or a prompt without echo, never from flags
//! (flags show in the process list).

use anyhow::{Context as _, bail};
use zeroize::Zeroizing;

/// The secret in `var`, else a no-echo prompt on the terminal.
pub(super) fn secret(var: &str, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(var) {
        return Ok(Zeroizing::new(value));
    }
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .with_context(|| format!("no terminal to ask for the secret; set {var} in the environment"))
}

/// A new password: from `var`, else prompted twice and compared.
pub(super) fn new_password(var: &str, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(var) {
        return Ok(Zeroizing::new(value));
    }
    let first = secret(var, prompt)?;
    let again = secret(var, "Repeat it: ")?;
    if first != again {
        bail!("the two passwords differ; run the command again and type the same password twice");
    }
    Ok(first)
}
