//! Delivering the password email: the one seam between the importer and lettre. Either
//! a local outbox folder of `.eml` files, or an SMTP server with STARTTLS or implicit
//! TLS (rustls) and AUTH PLAIN/LOGIN.

use std::path::PathBuf;
use std::time::Duration;

use super::outbox::Outbox;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use zeroize::Zeroizing;

use super::PasswordEmail;

/// How long one SMTP connect, read or write may take: a dead or silent server fails an
/// import well within 30 seconds instead of hanging it.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where password emails go.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Written as `.eml` files into the account's outbox folder, whose digests the account
    /// keeps (no SMTP server configured).
    Outbox(Outbox),
    /// Sent through an SMTP server.
    Smtp(SmtpConfig),
}

/// Where an account's password emails go, and from which address.
#[derive(Debug, Clone)]
pub struct MailRoute {
    /// The transport.
    pub transport: MailTransport,
    /// The From address.
    pub from: String,
}

impl MailRoute {
    /// Whether mail goes to the local outbox rather than a server.
    pub fn is_outbox(&self) -> bool {
        matches!(self.transport, MailTransport::Outbox(_))
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (`smtp://…?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://…`).
    ImplicitTls,
    /// No encryption (`smtp://host:port`): only to a server on this machine.
    Plain,
}

/// A parsed SMTP URL in lettre's form, plus extra trusted roots. `Debug` hides the password.
#[derive(Clone)]
pub struct SmtpConfig {
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    password: Option<Zeroizing<String>>,
    extra_roots_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Delivery failed; the import that wanted it stores nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// An address does not parse.
    #[error("'{0}' is not a valid email address; fix it in the account's mail settings")]
    BadAddress(String),
    /// The message could not be built.
    #[error("the password email could not be composed: {0}")]
    Compose(String),
    /// The outbox folder could not be written.
    #[error(
        "cannot write the password email to the outbox {dir}: {reason}; check that the folder is writable and the disk is not full"
    )]
    Outbox {
        /// The outbox folder.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The SMTP URL is not usable.
    #[error("{0}")]
    BadUrl(String),
    /// The extra CA file could not be used.
    #[error("cannot use the CA certificate: {0}; it must be the server's certificate authority as a PEM file")]
    BadCa(String),
    /// The server refused the user name or password.
    #[error("SMTP login refused by {server}: check the user name and password in the mail settings")]
    LoginRefused {
        /// `host:port`.
        server: String,
    },
    /// The server could not be reached, or did not answer in time.
    #[error(
        "cannot reach the SMTP server {server} ({reason}): check the host and port, and that the server is running"
    )]
    Unreachable {
        /// `host:port`.
        server: String,
        /// Refused, timed out, unknown host…
        reason: String,
    },
    /// The server answers but offers no STARTTLS, so the connection cannot be encrypted.
    #[error(
        "{server} does not offer STARTTLS, so nothing can be sent to it encrypted: if it takes TLS from the start (usually port 465), choose SMTP (TLS); for a mail relay on this computer, choose SMTP on this computer"
    )]
    NoStartTls {
        /// `host:port`.
        server: String,
    },
    /// TLS failed: most often a certificate that is not trusted.
    #[error(
        "secure connection to {server} failed ({reason}): if the server uses a certificate of its own, trust it in the mail settings: choose its authority's file (PEM), or ask the server and compare the fingerprint it shows with your administrator's"
    )]
    Tls {
        /// `host:port`.
        server: String,
        /// What rustls said.
        reason: String,
    },
    /// A file in the outbox that the program did not write for this account (its digest is
    /// not one the account keeps, or it is addressed to someone else): it is not sent.
    #[error(
        "not written by Secure Photo Gallery for this account: not sent (it stays in the outbox folder; delete it if you do not know it)"
    )]
    NotOurs,
    /// The server answered with an error.
    #[error(
        "the SMTP server {server} refused the message ({reason}): check the From address and the account's email in the mail settings"
    )]
    Rejected {
        /// `host:port`.
        server: String,
        /// The server's reply.
        reason: String,
    },
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpConfig {
    /// Reads `smtp://user:pass@host:port?tls=required` (STARTTLS), `smtps://user:pass@host:port`
    /// (implicit TLS) or `smtp://host:port` (plain, only to this machine).
    pub fn parse(text: &str) -> Result<SmtpConfig, MailError> {
        let bad = |why: &str| {
            MailError::BadUrl(format!(
                "{why}; use smtp://USER:PASSWORD@HOST:PORT?tls=required or smtps://USER:PASSWORD@HOST:PORT"
            ))
        };
        let url = url::Url::parse(text.trim()).map_err(|_| bad("the SMTP URL does not parse"))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("the SMTP URL has no host"))?.to_string();
        let tls_param = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_string());
        let security = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", _) => Security::ImplicitTls,
            ("smtp", Some("required")) => Security::StartTls,
            ("smtp", None) if is_loopback(&host) => Security::Plain,
            ("smtp", None) => return Err(bad("plain SMTP would send your login and photo passwords unencrypted")),
            ("smtp", Some(_)) => return Err(bad("only tls=required is accepted (opportunistic TLS can be stripped)")),
            _ => return Err(bad("the URL must start with smtp:// or smtps://")),
        };
        let port = url.port().unwrap_or(match security {
            Security::ImplicitTls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(|p| Zeroizing::new(decode(p)));
        Ok(SmtpConfig { host, port, security, user, password, extra_roots_pem: None })
    }

    /// Trusts the certificates in this PEM data too (a server with its own CA).
    pub fn with_extra_roots(mut self, pem: Vec<u8>) -> SmtpConfig {
        self.extra_roots_pem = Some(pem);
        self
    }

    /// `host:port`.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// What a person may see: server, security and user, never the password.
    pub fn describe(&self) -> String {
        let security = match self.security {
            Security::StartTls => "STARTTLS",
            Security::ImplicitTls => "TLS",
            Security::Plain => "unencrypted, this machine only",
        };
        match &self.user {
            Some(user) => format!("SMTP {} ({security}, user {user})", self.server()),
            None => format!("SMTP {} ({security})", self.server()),
        }
    }

    fn transport(&self) -> Result<SmtpTransport, MailError> {
        let tls = match self.security {
            Security::Plain => Tls::None,
            Security::StartTls | Security::ImplicitTls => {
                let mut params = TlsParameters::builder(self.host.clone());
                if let Some(pem) = &self.extra_roots_pem {
                    params = params
                        .add_root_certificate(Certificate::from_pem(pem).map_err(|e| MailError::BadCa(e.to_string()))?);
                }
                let params = params.build_rustls().map_err(|e| MailError::BadCa(e.to_string()))?;
                if self.security == Security::StartTls { Tls::Required(params) } else { Tls::Wrapper(params) }
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(self.host.as_str())
            .port(self.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT))
            .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        if let Some(user) = &self.user {
            let password = self.password.as_ref().map_or(String::new(), |p| p.to_string());
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }

    fn classify(&self, e: &lettre::transport::smtp::Error) -> MailError {
        let server = self.server();
        let reason = e.to_string();
        let code = e.status().map(|c| c.to_string());
        if matches!(code.as_deref(), Some("535" | "534" | "530" | "538")) {
            return MailError::LoginRefused { server };
        }
        if e.is_tls() || reason.contains("certificate") || reason.contains("tls") {
            return MailError::Tls { server, reason: tls_reason(&reason) };
        }
        // lettre's words when the EHLO answer lists no STARTTLS (client/connection.rs).
        if e.is_client() && reason.contains("STARTTLS is not supported") {
            return MailError::NoStartTls { server };
        }
        if e.is_permanent() || e.is_transient() {
            return MailError::Rejected { server, reason: first_line(&reason) };
        }
        let source = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
        let io_kind = io_error_kind(e);
        let timed_out = matches!(io_kind, Some(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
        let reason = if e.is_timeout() || timed_out {
            "no answer in time".to_string()
        } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
            "connection refused".to_string()
        } else if source.is_empty() {
            first_line(&reason)
        } else {
            first_line(&source)
        };
        if source.to_lowercase().contains("certificate") {
            return MailError::Tls { server, reason: tls_reason(&source) };
        }
        MailError::Unreachable { server, reason }
    }

    /// Builds the URL for these parts (user and password percent-encoded).
    pub fn url_from_parts(
        security: Security,
        host: &str,
        port: u16,
        user: &str,
        password: &str,
    ) -> Result<String, MailError> {
        let scheme = if security == Security::ImplicitTls { "smtps" } else { "smtp" };
        let bad = || MailError::BadUrl(format!("'{host}' is not a valid SMTP host name"));
        let mut url = url::Url::parse(&format!("{scheme}://{}:{port}", host.trim())).map_err(|_| bad())?;
        if !user.is_empty() {
            url.set_username(user).map_err(|()| bad())?;
            url.set_password(Some(password)).map_err(|()| bad())?;
        }
        if security == Security::StartTls {
            url.set_query(Some("tls=required"));
        }
        Ok(url.to_string())
    }

    /// The parts of this configuration that a settings form shows (no password).
    pub fn parts(&self) -> (Security, String, u16, String) {
        (self.security, self.host.clone(), self.port, self.user.clone().unwrap_or_default())
    }

    /// Sends a message saved in the outbox, as it is, to `to`, which must be its one
    /// recipient (its `To`, with no `Cc` or `Bcc`), from `from` (the account's sender, not
    /// whatever the file says).
    pub(crate) fn send_raw(&self, message: &[u8], from: &str, to: &str) -> Result<(), MailError> {
        let parsed = mail_parser::MessageParser::default().parse_headers(message).ok_or(MailError::NotOurs)?;
        let addresses = |list: Option<&mail_parser::Address<'_>>| -> Vec<String> {
            list.map(|a| a.iter().filter_map(|a| a.address()).map(str::to_lowercase).collect()).unwrap_or_default()
        };
        let recipients = addresses(parsed.to());
        if recipients != [to.to_lowercase()] || parsed.cc().is_some() || parsed.bcc().is_some() {
            return Err(MailError::NotOurs);
        }
        let address = |a: &str| a.parse::<lettre::Address>().map_err(|_| MailError::BadAddress(a.to_string()));
        let sender = from.parse::<lettre::message::Mailbox>().map(|m| m.email).or_else(|_| address(from))?;
        let envelope = lettre::address::Envelope::new(Some(sender), vec![address(to)?])
            .map_err(|e| MailError::Compose(e.to_string()))?;
        self.transport()?.send_raw(&envelope, message).map(|_| ()).map_err(|e| self.classify(&e))
    }

    /// Connects, starts TLS and logs in, then says goodbye: checks the settings.
    pub fn check(&self) -> Result<(), MailError> {
        self.transport()?.test_connection().map(|_| ()).map_err(|e| self.classify(&e))
    }
}

/// The kind of the I/O error somewhere in `e`'s chain (a socket timeout shows as
/// `WouldBlock` on Unix).
fn io_error_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        next = err.source();
    }
    None
}

/// What rustls said of a certificate, in a person's words where it is one of the usual
/// refusals; else its first line without the debug structure rustls prints.
fn tls_reason(said: &str) -> String {
    let plain = [
        (
            ["UnknownIssuer", "UnsupportedSignatureAlgorithm", "BadSignature"].as_slice(),
            "its certificate is not signed by an authority this computer trusts",
        ),
        (&["NotValidForName"], "its certificate is for another host name"),
        (&["Expired"], "its certificate has expired"),
        (&["NotValidYet"], "its certificate is not valid yet (is this computer's clock right?)"),
        (&["Revoked"], "its certificate was revoked"),
    ];
    if let Some((_, words)) = plain.iter().find(|(marks, _)| marks.iter().any(|m| said.contains(m))) {
        return (*words).to_string();
    }
    let line = first_line(said);
    line.split_once(" {").map_or(line.clone(), |(head, _)| head.to_string())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

impl MailTransport {
    /// Sends `email`, returning a short description of where it went.
    pub fn send(&self, email: &PasswordEmail) -> Result<Delivered, MailError> {
        let label = super::outbox::password_email_label(&email.username, email.entries.len());
        self.deliver(email.to_message()?, &email.to, &label)
    }

    /// Sends a short test message from `from` to `to`.
    pub fn send_test(&self, from: &str, to: &str) -> Result<Delivered, MailError> {
        let message = lettre::Message::builder()
            .from(from.parse().map_err(|_| MailError::BadAddress(from.to_string()))?)
            .to(to.parse().map_err(|_| MailError::BadAddress(to.to_string()))?)
            .subject("Test from Secure Photo Gallery")
            .message_id(None)
            .body("Mail delivery works: photo passwords will arrive like this message.\n".to_string())
            .map_err(|e| MailError::Compose(e.to_string()))?;
        self.deliver(message, to, "test message")
    }

    /// Sends the code that proves `to` receives mail sent this way (see
    /// `service::use_smtp`).
    pub fn send_code(&self, from: &str, to: &str, code: &str) -> Result<Delivered, MailError> {
        let shown = format!("{}-{}", &code[..code.len() / 2], &code[code.len() / 2..]);
        let message = lettre::Message::builder()
            .from(from.parse().map_err(|_| MailError::BadAddress(from.to_string()))?)
            .to(to.parse().map_err(|_| MailError::BadAddress(to.to_string()))?)
            .subject(format!("Your Secure Photo Gallery code: {shown}"))
            .message_id(None)
            .body(format!(
                "Your code is {shown}\n\nType it into Secure Photo Gallery to confirm that photo passwords may be sent\nto this address. It is valid until tomorrow. If you did not ask for it, ignore this\nmessage: nothing is sent here until the code is typed.\n"
            ))
            .map_err(|e| MailError::Compose(e.to_string()))?;
        self.deliver(message, to, "code")
    }

    /// `label` names the file when the message goes to the outbox.
    fn deliver(&self, message: lettre::Message, to: &str, label: &str) -> Result<Delivered, MailError> {
        match self {
            MailTransport::Outbox(outbox) => {
                let (path, digest) = outbox.save(label, &message.formatted())?;
                Ok(Delivered::Saved { path, digest })
            }
            MailTransport::Smtp(config) => {
                config.transport()?.send(&message).map_err(|e| config.classify(&e))?;
                Ok(Delivered::Sent { to: to.to_string(), server: config.describe() })
            }
        }
    }
}

/// Where an email went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Saved as this file in the outbox, whose digest the account keeps (only the emails it
    /// keeps are sent from the outbox).
    Saved {
        /// The file.
        path: std::path::PathBuf,
        /// Its digest ([`super::outbox::digest`]).
        digest: [u8; 32],
    },
    /// Accepted by the SMTP server for this address.
    Sent {
        /// The recipient.
        to: String,
        /// The server, described (host, port, security, user).
        server: String,
    },
}

impl std::fmt::Display for Delivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivered::Saved { path, .. } => write!(f, "saved to the outbox: {}", path.display()),
            Delivered::Sent { to, server } => write!(f, "sent to {to} through {server}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_is_said_in_words_not_in_rustls_debug_text() {
        let said = "invalid peer certificate: Other(OtherError(UnsupportedSignatureAlgorithmForPublicKeyContext { \
                    signature_algorithm_id: [6, 8], public_key_algorithm_id: [6, 7] }))";
        assert_eq!(tls_reason(said), "its certificate is not signed by an authority this computer trusts");
        assert_eq!(tls_reason("invalid peer certificate: UnknownIssuer"), tls_reason(said));
        assert_eq!(tls_reason("invalid peer certificate: NotValidForName"), "its certificate is for another host name");
        assert_eq!(
            tls_reason("received fatal alert: HandshakeFailure { x: 1 }\nmore"),
            "received fatal alert: HandshakeFailure"
        );
    }

    #[test]
    fn urls_parse_into_security_modes_and_never_print_the_password() {
        let c = SmtpConfig::parse("smtp://u%40x:p%2Fss+w@sandbox.smtp.mailtrap.io:2525?tls=required").unwrap();
        assert_eq!((c.security, c.port, c.user.as_deref()), (Security::StartTls, 2525, Some("u@x")));
        assert_eq!(c.password.as_deref().map(String::as_str), Some("p/ss+w"));
        assert!(!format!("{c:?} {}", c.describe()).contains("p/ss"));
        let c = SmtpConfig::parse("smtps://me:secret@mail.example.com").unwrap();
        assert_eq!((c.security, c.port), (Security::ImplicitTls, 465));
        let c = SmtpConfig::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(c.security, Security::Plain);
    }

    #[test]
    fn unsafe_or_broken_urls_are_refused_with_the_right_form() {
        for url in ["smtp://me:pw@mail.example.com:25", "smtp://h.example?tls=opportunistic", "http://x", "not a url"] {
            let err = SmtpConfig::parse(url).unwrap_err().to_string();
            assert!(err.contains("smtp://USER:PASSWORD@HOST:PORT?tls=required"), "{url}: {err}");
            assert!(!err.contains("pw@"), "{err}");
        }
    }
}
