//! The certificate an SMTP server presents, fetched so that a person can trust a server
//! with a certificate of its own (a home server's, a company's) after comparing its
//! fingerprint with the one its administrator gives, instead of finding its authority's
//! file. The handshake stops as soon as the server's certificates are seen: nothing is
//! sent, no password, no login.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::{MailError, Security, SmtpConfig};

/// The certificate a server presented that a person may choose to trust: the topmost one
/// it sent (its own when it is self-signed, else the authority at the top of its chain).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    /// `host:port`.
    pub server: String,
    /// The certificate (DER).
    der: Vec<u8>,
    /// Whether the server sent a chain, so that this is the authority that signed its own.
    pub is_authority: bool,
}

impl std::fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerCertificate({}, {})", self.server, self.fingerprint())
    }
}

impl ServerCertificate {
    /// The SHA-256 of the certificate, as browsers and `openssl x509 -fingerprint -sha256`
    /// show it: upper-case hex pairs joined by colons.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(&self.der);
        hash.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }

    /// The certificate as a PEM file: what is kept with the mail settings as the server's
    /// authority, as a chosen CA file would be.
    pub fn to_pem(&self) -> Vec<u8> {
        let text = base64::engine::general_purpose::STANDARD.encode(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem.into_bytes()
    }
}

/// How long each step may wait for the server.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Connects to the server of `config` (STARTTLS or TLS from the start), and returns the
/// certificate it presents, without trusting it, logging in or sending anything.
pub fn server_certificate(config: &SmtpConfig) -> Result<ServerCertificate, MailError> {
    let server = config.server();
    let (security, host, port, _) = config.parts();
    let unreachable = |reason: String| MailError::Unreachable { server: server.clone(), reason };
    let address = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .next()
        .ok_or_else(|| unreachable("the host name has no address".into()))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| unreachable(e.to_string()))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| unreachable(e.to_string()))?;
    match security {
        Security::Plain => {
            return Err(MailError::BadUrl(format!("{server} is used without TLS: it has no certificate")));
        }
        Security::ImplicitTls => {}
        Security::StartTls => start_tls(&mut stream).map_err(|e| match e {
            Step::Io(e) => unreachable(e.to_string()),
            Step::NoStartTls => MailError::NoStartTls { server: server.clone() },
            Step::Refused(reply) => MailError::Rejected { server: server.clone(), reason: reply },
        })?,
    }
    let recorder = Arc::new(Recorder { chain: Mutex::new(Vec::new()) });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailError::Tls { server: server.clone(), reason: e.to_string() })?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.clone())
        .map_err(|_| MailError::BadUrl(format!("'{host}' is not a valid SMTP host name")))?;
    let mut connection = rustls::ClientConnection::new(Arc::new(tls), name)
        .map_err(|e| MailError::Tls { server: server.clone(), reason: e.to_string() })?;
    // The recorder ends the handshake once it has the certificates: an error here is
    // expected; what counts is whether they were seen.
    while connection.is_handshaking() && connection.complete_io(&mut stream).is_ok() {}
    let chain = std::mem::take(&mut *recorder.chain.lock().unwrap_or_else(PoisonError::into_inner));
    let is_authority = chain.len() > 1;
    let der = chain
        .into_iter()
        .last()
        .ok_or_else(|| MailError::Tls { server: server.clone(), reason: "the server sent no certificate".into() })?;
    Ok(ServerCertificate { server, der, is_authority })
}

/// Why the plain-text start of a STARTTLS session failed.
enum Step {
    Io(std::io::Error),
    NoStartTls,
    Refused(String),
}

/// The SMTP exchange before TLS: the greeting, EHLO, and STARTTLS accepted.
fn start_tls(stream: &mut TcpStream) -> Result<(), Step> {
    let greeting = reply(stream)?;
    if !greeting.starts_with("220") {
        return Err(Step::Refused(greeting));
    }
    stream.write_all(b"EHLO secure-photo-gallery\r\n").map_err(Step::Io)?;
    let ehlo = reply(stream)?;
    if !ehlo.starts_with("250") {
        return Err(Step::Refused(ehlo));
    }
    if !ehlo.lines().any(|l| l.get(4..).is_some_and(|w| w.trim().eq_ignore_ascii_case("STARTTLS"))) {
        return Err(Step::NoStartTls);
    }
    stream.write_all(b"STARTTLS\r\n").map_err(Step::Io)?;
    let ready = reply(stream)?;
    if !ready.starts_with("220") {
        return Err(Step::Refused(ready));
    }
    Ok(())
}

/// One SMTP reply, all its lines (`250-…` continues, `250 …` ends), read a byte at a time
/// so that nothing after it (the TLS handshake) is taken; at most 64 KiB.
fn reply(stream: &mut TcpStream) -> Result<String, Step> {
    let mut text = Vec::new();
    let mut line_start = 0;
    let mut byte = [0u8];
    loop {
        if stream.read(&mut byte).map_err(Step::Io)? == 0 {
            return Err(Step::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        text.push(byte[0]);
        if byte[0] == b'\n' {
            let line = &text[line_start..];
            if line.get(3) != Some(&b'-') {
                return Ok(String::from_utf8_lossy(&text).trim_end().to_string());
            }
            line_start = text.len();
        }
        if text.len() > 64 * 1024 {
            return Err(Step::Refused("an answer too long to be SMTP".into()));
        }
    }
}

/// A certificate "verifier" that keeps the chain it is shown and ends the handshake there.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<Vec<u8>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.to_vec()).collect();
        *self.chain.lock().unwrap_or_else(PoisonError::into_inner) = chain;
        Err(rustls::Error::General("the certificate was only to be looked at".into()))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("the handshake is never completed".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("the handshake is never completed".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider().signature_verification_algorithms.supported_schemes()
    }
}
