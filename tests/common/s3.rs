//! moto's S3 server on localhost for the backup tests (command line and app), and boto3
//! as an independent S3 client: `tests/s3_server.py`, installed by scripts/test.sh.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The secret key the test server takes (it checks no signature), as the environment
/// variable the program reads.
pub(crate) const SECRET: (&str, &str) = ("SPG_S3_SECRET_KEY", "test-secret-key");

/// The Python that has moto and boto3 (scripts/test.sh makes it), or `SPG_TEST_S3_PYTHON`.
pub(crate) fn python() -> PathBuf {
    std::env::var_os("SPG_TEST_S3_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/s3-venv/bin/python3"),
        PathBuf::from,
    )
}

/// moto's S3 server on a free port of 127.0.0.1, with the bucket `photos`.
pub(crate) struct S3 {
    child: Child,
    port: u16,
}

impl S3 {
    pub(crate) fn start() -> S3 {
        S3::start_with(&[])
    }

    /// The server with the failures `faults` asks for (`--flaky`, `--cap BYTES`: see
    /// tests/s3_server.py).
    pub(crate) fn start_with(faults: &[&str]) -> S3 {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/s3_server.py");
        let mut cmd = Command::new(python());
        cmd.arg(script).arg("photos").args(faults).stderr(Stdio::null());
        let (child, port) = super::start_server(
            cmd,
            "the S3 test server's Python (scripts/test.sh installs moto into target/test-tools/s3-venv)",
        );
        S3 { child, port }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The folder `prefix` of the bucket `photos`, as the crate's own S3 client reaches it
    /// (for tests that read or replace objects as someone with the bucket's keys would).
    pub(crate) fn remote(&self, prefix: &str) -> spg_core::remote::Remote {
        spg_core::remote::Remote::new(&spg_core::remote::Location {
            endpoint: self.endpoint(),
            region: "us-east-1".into(),
            bucket: "photos".into(),
            prefix: prefix.into(),
            access_key: "test-access-key".into(),
            secret_key: super::s3::SECRET.1.into(),
        })
        .unwrap()
    }

    /// `--to`/`--from` value and the server flags.
    pub(crate) fn args(&self, command: &str, user: &str, address: &str) -> Vec<String> {
        let to = if command == "restore" { "--from" } else { "--to" };
        [command, "--user", user, to, address, "--endpoint", &self.endpoint(), "--access-key", "test-access-key"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Every object of the bucket as (key, size), and the needles (hex) found in any of
    /// them, read by boto3.
    pub(crate) fn inspect(&self, needles: &[&[u8]]) -> (Vec<(String, u64)>, Vec<String>) {
        let mut child = Command::new(python())
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/s3_server.py"))
            .args(["inspect", &self.endpoint(), "photos"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let input: String =
            needles.iter().map(|n| n.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n").collect();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let objects = text
            .lines()
            .filter(|l| !l.starts_with("FOUND "))
            .map(|l| {
                let (key, size) = l.rsplit_once(' ').unwrap();
                (key.to_string(), size.parse().unwrap())
            })
            .collect();
        (objects, text.lines().filter(|l| l.starts_with("FOUND ")).map(str::to_string).collect())
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
