//! Reading photo passwords back from a saved `.eml`, a pasted email, or any text that
//! holds `Photo ID (NAME): PASSWORD` lines. The command line's `--passwords-file` and the
//! app's paste box both use this one parser.

use mail_parser::MessageParser;

use crate::crypto::PhotoPassword;

/// Parts (`Content-Type` headers) a password email may have: ours has three. A file with
/// more is not one, and is not read: a message nested 140,000 times in itself made the
/// MIME parser's result too deep to drop on a thread's stack.
const MAX_PARTS: usize = 64;

/// How `input` is to be read: as a MIME message, as plain text, or not at all.
enum Shape {
    Mime,
    Text,
    Refused,
}

/// Looks at the header lines of `input` without parsing it: a message with more parts than
/// [`MAX_PARTS`] is refused; one that carries a message inside (a forwarded email, which
/// may be encoded and nest others out of sight) is read as plain text only.
fn shape(input: &[u8]) -> Shape {
    let mut parts = 0;
    let mut nested = false;
    for line in input.split(|&b| b == b'\n') {
        if !line.get(..13).is_some_and(|h| h.eq_ignore_ascii_case(b"content-type:")) {
            continue;
        }
        parts += 1;
        if parts > MAX_PARTS {
            return Shape::Refused;
        }
        let media = String::from_utf8_lossy(&line[13..]).to_ascii_lowercase();
        nested |= media.trim_start().starts_with("message/");
    }
    if nested { Shape::Text } else { Shape::Mime }
}

/// Every `(photo ID, password)` found in `input`, in order, without repeats.
///
/// A MIME message is decoded first (quoted-printable, base64, multipart), so its lines
/// are read as the mail client shows them; text that is not a message is read as it is.
/// A file with more parts than a password email has is refused (nothing is found in it).
pub(crate) fn parse_passwords(input: &[u8]) -> Vec<(String, PhotoPassword)> {
    let mut found = Vec::new();
    let shape = shape(input);
    if matches!(shape, Shape::Refused) {
        return found;
    }
    let parsed = matches!(shape, Shape::Mime).then(|| MessageParser::default().parse(input)).flatten();
    if let Some(message) = parsed.filter(|m| m.subject().is_some() || m.from().is_some()) {
        for part in message.text_bodies() {
            if let Some(text) = part.text_contents() {
                scan(text, &mut found);
            }
        }
    }
    if found.is_empty() {
        scan(&String::from_utf8_lossy(input), &mut found);
    }
    found
}

fn scan(text: &str, found: &mut Vec<(String, PhotoPassword)>) {
    for line in text.lines() {
        if let Some((id, password)) = parse_line(line)
            && !found.iter().any(|(known, _)| *known == id)
        {
            found.push((id, password));
        }
    }
}

/// `Photo 7K3M9QX2 (beach (2).jpg): ABCDE-FGHJK-MNPQR-STVWX`; names may hold parentheses,
/// so the password is what follows the last `): `.
fn parse_line(line: &str) -> Option<(String, PhotoPassword)> {
    let rest = line.trim().strip_prefix("Photo ")?;
    let (id, rest) = rest.split_once(' ')?;
    let (name_part, password) = rest.rsplit_once("): ")?;
    if !name_part.starts_with('(') || id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((id.to_ascii_uppercase(), PhotoPassword::parse(password)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{PasswordEmail, PasswordEntry};
    use zeroize::Zeroizing;

    fn entry(id: &str, name: &str) -> (PasswordEntry, PhotoPassword) {
        let pw = PhotoPassword::generate();
        (PasswordEntry { id: id.into(), name: name.into(), password: Zeroizing::new(pw.display()) }, pw)
    }

    #[test]
    fn plain_lines_parse_with_odd_names() {
        let text = "junk\nPhoto ABCD1234 (beach (2).jpg): abcde-fghjk-mnpqr-stvwx\n  Photo ZZZZ0000 (a): ABCDEFGHJKMNPQRSTVWX  \nPhoto X (y): short";
        let got = parse_passwords(text.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "ABCD1234");
        assert_eq!(got[0].1, PhotoPassword::parse("ABCDEFGHJKMNPQRSTVWX").unwrap());
        assert_eq!(got[1].0, "ZZZZ0000");
    }

    #[test]
    fn a_composed_email_parses_back_through_mime() {
        let long_name = format!("{}é ünïcode #1 (copy).jpg", "x".repeat(90));
        let (a, pa) = entry("AAAA1111", &long_name);
        let (b, pb) = entry("BBBB2222", "plain.png");
        let email = PasswordEmail {
            from: "Secure Photo Gallery <me@example.com>".into(),
            to: "me@example.com".into(),
            username: "me".into(),
            entries: vec![a, b],
        };
        let raw = email.to_message().unwrap().formatted();
        let got = parse_passwords(&raw);
        assert_eq!(got, vec![("AAAA1111".to_string(), pa), ("BBBB2222".to_string(), pb)]);
    }

    #[test]
    fn quoted_printable_and_base64_bodies_are_decoded() {
        let qp = "From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nPhoto ABCD1234 (caf=C3=A9 =3D menu.jpg): ABCDE-FGHJK-=\r\nMNPQR-STVWX\r\n";
        let got = parse_passwords(qp.as_bytes());
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, PhotoPassword::parse("ABCDEFGHJKMNPQRSTVWX").unwrap());

        use base64_encode as b64;
        let body = b64("Photo ABCD1234 (x.jpg): ABCDE-FGHJK-MNPQR-STVWX\n");
        let b = format!(
            "From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
        );
        assert_eq!(parse_passwords(b.as_bytes()).len(), 1);
    }

    #[test]
    fn a_deeply_nested_email_is_refused_plainly_on_a_small_stack() {
        // 140,000 messages each inside the one before: 4.5 MB.
        let line = "Photo ABCD1234 (x.jpg): ABCDE-FGHJK-MNPQR-STVWX\n";
        let mut raw = "From: a@b.c\nContent-Type: message/rfc822\n\n".repeat(140_000);
        raw.push_str(&format!("From: a@b.c\nSubject: x\n\n{line}"));
        let on_small_stack = |raw: String| {
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || parse_passwords(raw.as_bytes()).len())
                .unwrap()
                .join()
                .expect("parsing on a 2 MiB stack must not overflow it")
        };
        assert_eq!(on_small_stack(raw), 0, "a message nested that deep is not read");
        // One message inside another, encoded out of sight, nesting many more: read as text.
        let mut inner = "From: a@b.c\nContent-Type: message/rfc822\n\n".repeat(50_000);
        inner.push_str(&format!("From: a@b.c\nSubject: x\n\n{line}"));
        let encoded = format!(
            "From: a@b.c\nSubject: fwd\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{}\n{line}",
            base64_encode(&inner)
        );
        assert_eq!(on_small_stack(encoded), 1, "read as plain text");
    }

    fn base64_encode(s: &str) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() { out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char) } else { out.push('=') }
            }
        }
        out
    }
}
