//! Python's aiosmtpd as a real SMTP server on localhost for the mail tests (command line
//! and app): `tests/smtp_server.py`, started on a free loopback port with a certificate made
//! for the test; each message it receives is kept with what the session said.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A running test SMTP server; stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server in `mode` (`starttls`, `tls` or `plain`), with AUTH when `auth`.
    pub(crate) fn start(mode: &str, auth: Option<(&str, &str)>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script).args(["--mode", mode, "--dir"]).arg(dir.path());
        if let Some((user, password)) = auth {
            cmd.args(["--user", user, "--password", password]);
        }
        let (child, port) =
            super::start_server(cmd, "python3 with aiosmtpd (Debian: python3-aiosmtpd; scripts/test.sh installs it)");
        Server { child, port, dir }
    }

    /// The PEM file of the certificate the server presents.
    pub(crate) fn ca(&self) -> String {
        self.dir.path().join("cert.pem").display().to_string()
    }

    /// The SHA-256 fingerprint of the server's certificate as Python's `cryptography`
    /// computes it (an oracle apart from the program), in the form
    /// `openssl x509 -fingerprint -sha256` prints.
    pub(crate) fn fingerprint(&self) -> String {
        let script = "import sys; from cryptography import x509; from cryptography.hazmat.primitives import hashes; \
                      print(x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()).fingerprint(hashes.SHA256()).hex(':').upper())";
        let out = Command::new("/usr/bin/python3").args(["-c", script, &self.ca()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Every message received, with what the session said (JSON), in order.
    pub(crate) fn received(&self) -> Vec<(PathBuf, serde_json::Value)> {
        let mut out = Vec::new();
        for n in 1.. {
            let eml = self.dir.path().join(format!("mail-{n}.eml"));
            if !eml.exists() {
                break;
            }
            let meta = std::fs::read_to_string(self.dir.path().join(format!("mail-{n}.json"))).unwrap();
            out.push((eml, serde_json::from_str(&meta).unwrap()));
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The code in a code email the server received.
pub(crate) fn code_in(eml: &Path) -> String {
    let raw = std::fs::read(eml).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let text = message.body_text(0).unwrap().to_string();
    let line = text.lines().find(|l| l.starts_with("Your code is ")).expect("a code line");
    line["Your code is ".len()..].trim().to_string()
}
