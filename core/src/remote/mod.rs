//! S3-compatible object storage (AWS S3, Backblaze B2, Cloudflare R2, Wasabi, MinIO,
//! Garage…): where backups go. Knows buckets, objects and HTTP, nothing of vaults; what it
//! is given to store is already sealed (`vault::backup`).
//!
//! Requests are signed by rusty-s3 (AWS Signature V4 in presigned URLs) and sent by ureq,
//! over rustls. Plain `http://` is accepted only for a loopback address (a test server,
//! or a tunnel the user set up).

use std::borrow::Cow;
use std::time::Duration;

use instant_xml::FromXml;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;
use zeroize::Zeroizing;

/// How long a signed request stays valid: enough for one part on a slow line, short for
/// a URL that leaked.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// The longest listing read (pages of 1,000 names): a server that never ends one stops here.
const MAX_LIST_PAGES: usize = 100_000;

/// How many times a request is sent before a passing failure counts ([`Remote::send`]).
const ATTEMPTS: u32 = 4;

/// The wait before the first repeat; it doubles each time (0.5, 1 and 2 s).
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Objects larger than this go up in parts of [`PART_SIZE`] (S3 allows 5 MiB to 5 GiB a
/// part, and at most 10,000 parts).
pub const MULTIPART_ABOVE: usize = 16 * 1024 * 1024;

/// The size of each part of a multipart upload but the last.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Where a backup lives and how to reach it. The secret key is never printed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The server, e.g. `https://s3.eu-central-003.backblazeb2.com`.
    pub endpoint: String,
    /// The region the server expects in signatures (`us-east-1` when it does not care).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// The folder in the bucket, without a slash at either end (may be empty).
    pub prefix: String,
    /// The access key ID.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: crate::crypto::Secret,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self)
    }
}

impl std::fmt::Display for Location {
    /// `s3://BUCKET/PREFIX at ENDPOINT`: what a user recognises; no key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{} at {}", self.bucket, self.prefix, self.endpoint)
    }
}

/// An `s3://BUCKET/PREFIX` address, split.
pub fn parse_s3_url(text: &str) -> Result<(String, String), RemoteError> {
    let bad = || RemoteError::BadAddress(format!("'{text}' is not an s3://BUCKET/FOLDER address"));
    let rest = text.strip_prefix("s3://").ok_or_else(bad)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() || !bucket.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Err(bad());
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// The endpoint AWS S3 uses for a region, when none is given.
pub fn aws_endpoint(region: &str) -> String {
    format!("https://s3.{region}.amazonaws.com")
}

/// Why talking to the storage failed, in words a user can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The address or endpoint is malformed.
    #[error("{0}")]
    BadAddress(String),
    /// `http://` to a machine other than this one: keys and objects would cross the network
    /// in clear.
    #[error(
        "the storage address {0} is plain http to another machine; use https (plain http is accepted only for 127.0.0.1 or localhost)"
    )]
    Insecure(String),
    /// No connection (no network, wrong host or port, TLS refused).
    #[error("cannot reach the storage server {endpoint}: {reason}; check the address and the network connection")]
    Unreachable {
        /// The server.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// The server stopped answering in the middle of a request (not sent again: each try
    /// would wait as long).
    #[error("the storage server {0} stopped answering; check the network connection and try again")]
    TimedOut(String),
    /// The keys were refused.
    #[error(
        "the storage server refused the access key or secret key ({0}); check both, and that the key may use this bucket"
    )]
    Denied(String),
    /// The bucket does not exist.
    #[error("the bucket '{0}' does not exist on this server; create it first (in the provider's web console)")]
    NoBucket(String),
    /// The account at the provider is full or over its quota.
    #[error("the storage is full or over its quota ({0}); make room or raise the quota at the provider")]
    Full(String),
    /// An answer this client cannot read: not an S3 document, larger than any S3 answer, or
    /// a listing that never ends.
    #[error("the storage server's answer cannot be read ({0}); check that the endpoint is an S3-compatible service")]
    BadAnswer(String),
    /// Any other refusal.
    #[error("the storage server answered {status} {code}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// S3 error code, if any.
        code: String,
        /// Its message.
        message: String,
    },
}

impl RemoteError {
    /// Whether the server's refusal may pass if the request is sent again: it had a fault
    /// or asked to slow down.
    fn is_passing(&self) -> bool {
        match self {
            RemoteError::Server { status, code, .. } => {
                matches!(status, 500 | 502 | 503 | 504) || matches!(code.as_str(), "SlowDown" | "RequestTimeout")
            }
            _ => false,
        }
    }
}

/// A connection to one bucket, under one prefix. Cheap to share between threads.
pub struct Remote {
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
    prefix: String,
    endpoint: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("bucket", &self.bucket.name()).field("prefix", &self.prefix).finish()
    }
}

/// An object under the prefix: its name (after the prefix and its slash) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// The name below the prefix, e.g. `photos/3f…`.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Remote {
    /// Checks the address and prepares the client; nothing is sent yet.
    pub fn new(location: &Location) -> Result<Remote, RemoteError> {
        let endpoint: Url = location
            .endpoint
            .parse()
            .map_err(|_| RemoteError::BadAddress(format!("'{}' is not a web address", location.endpoint)))?;
        let loopback = match endpoint.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        match endpoint.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(RemoteError::Insecure(location.endpoint.clone())),
            _ => return Err(RemoteError::BadAddress(format!("'{}' is not an http(s) address", location.endpoint))),
        }
        // Path style works with every S3-compatible server and any bucket name; AWS
        // itself is addressed by host (its path style is deprecated).
        let style = if endpoint.host_str().is_some_and(|h| h.ends_with(".amazonaws.com")) {
            UrlStyle::VirtualHost
        } else {
            UrlStyle::Path
        };
        let bucket = Bucket::new(endpoint, style, location.bucket.clone(), location.region.clone())
            .map_err(|e| RemoteError::BadAddress(format!("bucket '{}': {e}", location.bucket)))?;
        // No redirects (they could lead to plain http elsewhere), no proxy from the
        // environment, https only unless the endpoint is this machine.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .https_only(!loopback)
            .timeout_per_read(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .user_agent(concat!("secure-photo-gallery/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Remote {
            bucket,
            credentials: Credentials::new(location.access_key.clone(), location.secret_key.expose().to_string()),
            agent,
            prefix: location.prefix.clone(),
            endpoint: location.endpoint.clone(),
        })
    }

    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_string() } else { format!("{}/{name}", self.prefix) }
    }

    /// What a failed exchange means, and whether sending it again may well succeed (the
    /// connection broke, or could not be made just then; not a name that does not resolve,
    /// a certificate refused, or a timeout: each try would wait as long).
    fn failed(&self, e: &ureq::Error) -> (RemoteError, bool) {
        use ureq::Timeout;
        let unreachable = || RemoteError::Unreachable { endpoint: self.endpoint.clone(), reason: e.to_string() };
        match e {
            ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => (unreachable(), true),
            ureq::Error::Timeout(_) => (RemoteError::TimedOut(self.endpoint.clone()), false),
            ureq::Error::BodyExceedsLimit(limit) => {
                (RemoteError::BadAnswer(format!("an answer larger than the {limit} bytes expected")), false)
            }
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_) => (unreachable(), true),
            _ => (unreachable(), false),
        }
    }

    /// Sends a signed request; returns the status and the body of a success, or the error
    /// the server said. A request the server could not serve just then (busy, a passing
    /// fault: 5xx, `SlowDown`) or whose connection broke is sent again, up to [`ATTEMPTS`]
    /// times in all, waiting longer each time, as the providers ask of clients. Each
    /// request here can be repeated: the same object, the same bytes; the two exceptions
    /// are handled where they are made (a repeated start of a multipart upload leaves an
    /// empty one behind, which costs nothing; a repeated completion may find the upload
    /// completed by the first, see [`Remote::put`]).
    fn send(
        &self,
        method: &str,
        url: Url,
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<(u16, ureq::http::HeaderMap, Vec<u8>), RemoteError> {
        let mut wait = FIRST_RETRY;
        let mut attempt = 1;
        loop {
            match self.send_once(method, &url, body, limit) {
                Ok(answer) => return Ok(answer),
                Err((_, true)) if attempt < ATTEMPTS => {
                    std::thread::sleep(wait);
                    wait *= 2;
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// One exchange; a failure comes with whether it may pass ([`Remote::send`]).
    fn send_once(
        &self,
        method: &str,
        url: &Url,
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<(u16, ureq::http::HeaderMap, Vec<u8>), (RemoteError, bool)> {
        let bad = |e: ureq::http::Error| (RemoteError::BadAddress(e.to_string()), false);
        let request = ureq::http::Request::builder().method(method).uri(url.as_str());
        let response = match body {
            Some(bytes) => self.agent.run(request.body(bytes).map_err(bad)?),
            None => self.agent.run(request.body(()).map_err(bad)?),
        };
        let mut response = response.map_err(|e| self.failed(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| self.failed(&e))?;
        if (200..300).contains(&status) {
            return Ok((status, headers, body));
        }
        let refusal = self.refusal(status, &body);
        let passing = refusal.is_passing();
        Err((refusal, passing))
    }

    /// The S3 error document of a refusal, made into a [`RemoteError`].
    fn refusal(&self, status: u16, body: &[u8]) -> RemoteError {
        let document = ErrorDocument::read(body);
        let code = document.as_ref().and_then(|d| d.code.clone()).unwrap_or_default();
        let message = document.and_then(|d| d.message).unwrap_or_else(|| format!("HTTP {status}"));
        // Some providers refuse an upload over the account's cap as a plain 403 (Backblaze
        // B2: AccessDenied, "storage cap exceeded"): the message tells it from a bad key.
        // (B2's download and transaction caps say "cap exceeded" too, but not "storage".)
        let lower = message.to_lowercase();
        let full =
            ["storage cap exceeded", "quota exceeded", "storage full", "storage is full", "insufficient storage"]
                .iter()
                .any(|words| lower.contains(words));
        match (status, code.as_str()) {
            (_, "NoSuchBucket") => RemoteError::NoBucket(self.bucket.name().to_string()),
            (401 | 403 | 507, _) if full => RemoteError::Full(message),
            (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied" | "InvalidToken" | "ExpiredToken")
            | (401 | 403, "") => RemoteError::Denied(if code.is_empty() { message } else { code }),
            (_, "QuotaExceeded" | "StorageQuotaExceeded" | "InsufficientStorage" | "XMinioStorageFull") | (507, _) => {
                RemoteError::Full(message)
            }
            _ => RemoteError::Server { status, code, message },
        }
    }

    /// Every object under the prefix and `under` (e.g. `photos/`), with its size. Keys the
    /// server lists outside that folder are ignored.
    pub fn list(&self, under: &str) -> Result<Vec<RemoteObject>, RemoteError> {
        let prefix = self.key(under);
        let mut token: Option<String> = None;
        let mut found = Vec::new();
        for _ in 0..MAX_LIST_PAGES {
            let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            action.with_prefix(Cow::Owned(prefix.clone()));
            if let Some(token) = &token {
                action.with_continuation_token(Cow::Owned(token.clone()));
            }
            let (_, _, body) = self.send("GET", action.sign(SIGNED_FOR), None, 64 * 1024 * 1024)?;
            let page = ListObjectsV2::parse_response(&String::from_utf8_lossy(&body))
                .map_err(|e| RemoteError::BadAnswer(format!("a listing: {e}")))?;
            let strip = if self.prefix.is_empty() { 0 } else { self.prefix.len() + 1 };
            found.extend(page.contents.into_iter().filter(|o| o.key.starts_with(&prefix)).filter_map(|o| {
                Some(RemoteObject { name: o.key.get(strip..)?.to_string(), size: o.size.unwrap_or(0) })
            }));
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => return Ok(found),
            }
        }
        Err(RemoteError::BadAnswer("a listing that does not end".into()))
    }

    /// The object's bytes (at most `limit`: a larger one is an error), or `None` if there is
    /// no such object.
    pub fn get(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, RemoteError> {
        let key = self.key(name);
        let url = self.bucket.get_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        match self.send("GET", url, None, limit) {
            Ok((_, _, body)) => Ok(Some(body)),
            Err(RemoteError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` as the object `name` (replacing it), in parts when it is large. An
    /// object appears whole or not at all.
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        let key = self.key(name);
        if bytes.len() <= MULTIPART_ABOVE {
            let url = self.bucket.put_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
            return self.send("PUT", url, Some(bytes), 1024 * 1024).map(|_| ());
        }
        let url = CreateMultipartUpload::new(&self.bucket, Some(&self.credentials), &key).sign(SIGNED_FOR);
        let (_, _, body) = self.send("POST", url, None, 1024 * 1024)?;
        let created = CreateMultipartUpload::parse_response(&String::from_utf8_lossy(&body))
            .map_err(|e| RemoteError::BadAnswer(format!("the start of an upload in parts: {e}")))?;
        let upload_id = created.upload_id();
        let parts = || -> Result<Vec<String>, RemoteError> {
            let mut etags = Vec::new();
            for (i, part) in bytes.chunks(PART_SIZE).enumerate() {
                let number = u16::try_from(i + 1).map_err(|_| RemoteError::BadAddress("too many parts".into()))?;
                let url = self.bucket.upload_part(Some(&self.credentials), &key, number, upload_id).sign(SIGNED_FOR);
                let (_, headers, _) = self.send("PUT", url, Some(part), 1024 * 1024)?;
                let etag = headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default();
                etags.push(etag.to_string());
            }
            Ok(etags)
        };
        let etags = match parts() {
            Ok(etags) => etags,
            Err(e) => {
                // Leave no half-uploaded parts to be billed for.
                let url = self.bucket.abort_multipart_upload(Some(&self.credentials), &key, upload_id).sign(SIGNED_FOR);
                let _ = self.send("DELETE", url, None, 1024 * 1024);
                return Err(e);
            }
        };
        let complete = self.bucket.complete_multipart_upload(
            Some(&self.credentials),
            &key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = complete.sign(SIGNED_FOR);
        let body = Zeroizing::new(complete.body());
        match self.send("POST", url, Some(body.as_bytes()), 1024 * 1024) {
            // S3 may answer 200 and then report that completing failed in the body.
            Ok((status, _, answer)) if ErrorDocument::read(&answer).is_some() => Err(self.refusal(status, &answer)),
            Ok(_) => Ok(()),
            // Sent again after an answer was lost, the completion finds the upload gone: the
            // first one completed it if the object is there at its size.
            Err(RemoteError::Server { code, .. })
                if code == "NoSuchUpload" && self.size(&key)? == Some(bytes.len() as u64) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The size of the object with the full key `key`, or `None` if there is none.
    fn size(&self, key: &str) -> Result<Option<u64>, RemoteError> {
        let url = self.bucket.head_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        match self.send("HEAD", url, None, 0) {
            Ok((_, headers, _)) => {
                Ok(headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()))
            }
            Err(RemoteError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes the object `name` (no error if it was not there).
    pub fn delete(&self, name: &str) -> Result<(), RemoteError> {
        let key = self.key(name);
        let url = self.bucket.delete_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        match self.send("DELETE", url, None, 1024 * 1024) {
            Ok(_) | Err(RemoteError::Server { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// S3's error document (`<Error><Code>…</Code><Message>…</Message>…</Error>`), read with
/// an XML parser; the elements beside these two are left out.
#[derive(FromXml)]
#[xml(rename = "Error")]
struct ErrorDocument {
    #[xml(rename = "Code")]
    code: Option<String>,
    #[xml(rename = "Message")]
    message: Option<String>,
}

impl ErrorDocument {
    /// The document in `body`, if it is one.
    fn read(body: &[u8]) -> Option<ErrorDocument> {
        instant_xml::from_str(std::str::from_utf8(body).ok()?.trim()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_document_is_read_with_its_other_elements_and_a_declaration() {
        let aws = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        let doc = ErrorDocument::read(aws).expect("an error document");
        assert_eq!(doc.code.as_deref(), Some("NoSuchKey"));
        assert_eq!(doc.message.as_deref(), Some("The resource you requested does not exist"));
        let b2 = b"<Error>\n  <Code>AccessDenied</Code>\n  <Message>Cannot upload files, storage cap exceeded.</Message>\n</Error>\n";
        assert_eq!(
            ErrorDocument::read(b2).and_then(|d| d.message).as_deref(),
            Some("Cannot upload files, storage cap exceeded.")
        );
        assert!(
            ErrorDocument::read(b"<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>")
                .is_none()
        );
        assert!(ErrorDocument::read(b"\xff not xml").is_none());
    }

    fn location(endpoint: &str) -> Location {
        Location {
            endpoint: endpoint.into(),
            region: "us-east-1".into(),
            bucket: "photos".into(),
            prefix: "alice".into(),
            access_key: "AKIA".into(),
            secret_key: "secret".into(),
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(Remote::new(&location("http://127.0.0.1:9000")).is_ok());
        assert!(Remote::new(&location("http://localhost:9000")).is_ok());
        assert!(Remote::new(&location("http://[::1]:9000")).is_ok());
        assert!(matches!(Remote::new(&location("http://192.168.1.5:9000")), Err(RemoteError::Insecure(_))));
        assert!(matches!(Remote::new(&location("http://localhost.evil.example")), Err(RemoteError::Insecure(_))));
        assert!(Remote::new(&location("https://s3.eu-central-003.backblazeb2.com")).is_ok());
        assert!(matches!(Remote::new(&location("ftp://x")), Err(RemoteError::BadAddress(_))));
    }

    #[test]
    fn s3_addresses_split_into_bucket_and_folder() {
        assert_eq!(parse_s3_url("s3://photos/alice/laptop/").unwrap(), ("photos".into(), "alice/laptop".into()));
        assert_eq!(parse_s3_url("s3://photos").unwrap(), ("photos".into(), String::new()));
        assert!(parse_s3_url("https://photos/x").is_err());
        assert!(parse_s3_url("s3:///x").is_err());
    }

    #[test]
    fn the_secret_key_is_never_printed() {
        let l = location("https://example.com");
        assert!(!format!("{l:?} {l}").contains("secret"));
    }
}
