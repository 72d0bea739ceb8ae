//! Composing the password email: a text part with one `Photo ID (NAME): PASSWORD`
//! line per photo, and an HTML alternative that reads well in a mail client.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use zeroize::Zeroizing;

use super::MailError;

/// One photo's line in the email.
#[derive(Debug, Clone)]
pub struct PasswordEntry {
    /// The photo ID as shown by `list`.
    pub id: String,
    /// The original file name.
    pub name: String,
    /// The password in its display form (`XXXXX-XXXXX-XXXXX-XXXXX`).
    pub password: Zeroizing<String>,
}

/// The message sent after an import batch.
#[derive(Debug, Clone)]
pub struct PasswordEmail {
    /// The sender, `Name <addr>` or a bare address.
    pub from: String,
    /// The account's email address.
    pub to: String,
    /// The account's user name, for the greeting.
    pub username: String,
    /// One entry per imported photo.
    pub entries: Vec<PasswordEntry>,
}

/// File names come from the file system: keep one line per photo whatever they hold.
fn one_line(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl PasswordEmail {
    /// The subject line.
    pub fn subject(&self) -> String {
        match self.entries.len() {
            1 => "Your photo password from Secure Photo Gallery (1 photo)".to_string(),
            n => format!("Your photo passwords from Secure Photo Gallery ({n} photos)"),
        }
    }

    /// The text part. The `Photo` lines are what `--passwords-file` and pasting read.
    pub fn text(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(format!(
            "Hello {},\n\nThese photos were added to your Secure Photo Gallery vault.\n\
             Each one opens only with its own password below, together with\n\
             your login. Keep this email.\n\n",
            one_line(&self.username)
        ));
        for e in &self.entries {
            s.push_str(&format!("Photo {} ({}): {}\n", e.id, one_line(&e.name), e.password.as_str()));
        }
        s.push_str(
            "\nTo open a photo, select it in the app and type its password,\n\
             or paste this whole email to unlock every photo it lists.\n",
        );
        s
    }

    /// The HTML alternative.
    pub fn html(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>Hello {},</p><p>These photos were added to your Secure Photo Gallery vault. \
             Each one opens only with its own password below (together with your login). Keep this email.</p>\
             <table cellpadding=\"6\" style=\"border-collapse:collapse\">\
             <tr><th align=\"left\">Photo</th><th align=\"left\">File</th><th align=\"left\">Password</th></tr>",
            html_escape(&self.username)
        ));
        for e in &self.entries {
            s.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td><code style=\"font-size:1.1em\">{}</code></td></tr>",
                html_escape(&e.id),
                html_escape(&one_line(&e.name)),
                html_escape(&e.password)
            ));
        }
        s.push_str("</table><p>To open a photo, select it in the app and type its password, or paste this whole email to unlock every photo it lists.</p></body></html>");
        s
    }

    /// The complete message with From, To, Subject, Date and Message-ID.
    pub fn to_message(&self) -> Result<Message, MailError> {
        let from: Mailbox = self.from.parse().map_err(|_| MailError::BadAddress(self.from.clone()))?;
        let to: Mailbox = self.to.parse().map_err(|_| MailError::BadAddress(self.to.clone()))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject())
            .message_id(None)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(self.text().to_string()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(self.html().to_string())),
            )
            .map_err(|e| MailError::Compose(e.to_string()))
    }
}
