//! Mail delivery against a real SMTP server (Python's aiosmtpd, started by each test on
//! a free loopback port with a certificate made for the test): STARTTLS and implicit TLS
//! with AUTH, wrong credentials, a server that is down or silent, an untrusted
//! certificate, and that the message received parses and its passwords open the photos.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::smtp::{Server, code_in};
use common::*;

fn photos(env: &Env, n: u32) -> PathBuf {
    let src = env.path("photos");
    for i in 0..n {
        write(&src, &format!("photo-{i}.jpg"), &jpeg(160, 120, 100 + i));
    }
    src
}

/// Sets up `url` for alice as a person does: the server is checked and a code sent (nothing
/// is saved yet), then the code from that email is given back. Returns the second output.
fn set_up(env: &Env, server: &Server, url: &str, more: &[&str], envs: &[(&str, &str)]) -> String {
    let args = [&["mail", "--user", "alice", "--smtp-url", url], more].concat();
    let before = server.received().len();
    let first = env.ok(&args, envs);
    assert!(first.contains("a code was sent to alice@example.com") && first.contains("--code"), "{first}");
    let received = server.received();
    assert_eq!(received.len(), before + 1, "one code email");
    assert_eq!(received[before].1["rcpt_tos"], serde_json::json!(["alice@example.com"]));
    // Not saved before the code: an import still goes to the outbox.
    let code = code_in(&received[before].0);
    assert!(env.run(&[&args[..], &["--code", "AAAA-AAAA"]].concat(), envs).status.code() == Some(1), "a wrong code");
    env.ok(&[&args[..], &["--code", &code]].concat(), envs)
}

fn import_with(env: &Env, src: &Path, envs: &[(&str, &str)]) -> std::process::Output {
    env.run(&["import", "--user", "alice", src.to_str().unwrap()], envs)
}

#[test]
fn starttls_with_auth_delivers_one_message_whose_passwords_open_the_photos() {
    let server = Server::start("starttls", Some(("mailer", "s3cret pass")));
    let env = Env::new();
    env.register("alice");
    let url = format!("smtp://mailer:s3cret%20pass@127.0.0.1:{}?tls=required", server.port);
    let ca = server.ca();
    let out = set_up(&env, &server, &url, &["--from", "gallery@example.org"], &[("SPG_SMTP_CA_FILE", &ca)]);
    assert!(out.contains("STARTTLS") && !out.contains("s3cret"), "{out}");

    // The CA file given with the settings is kept with them: the import needs none.
    let src = photos(&env, 3);
    let out = import_with(&env, &src, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret") && !stdout(&out).contains("s3cret"));
    let received = server.received();
    assert_eq!(received.len(), 2, "the code, then exactly one message");
    let (eml, meta) = &received[1];
    assert_eq!(meta["authenticated"], true);
    assert_eq!(meta["tls"], true);
    assert_eq!(meta["rcpt_tos"], serde_json::json!(["alice@example.com"]));
    assert_eq!(meta["mail_from"], "gallery@example.org");

    let raw = std::fs::read(eml).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(message.subject().unwrap().contains("3 photos"));
    assert!(message.date().is_some() && message.message_id().is_some());
    assert_eq!(message.text_body.len(), 1);
    assert_eq!(message.html_body.len(), 1);
    assert!(message.body_html(0).unwrap().contains("<table"));
    assert!(env.emails().is_empty(), "the outbox stays empty");

    let saved = env.path("received.eml");
    std::fs::write(&saved, &raw).unwrap();
    let out_dir = env.path("restored");
    env.export_all("alice", &out_dir, &[saved]);
    for i in 0..3 {
        let name = format!("photo-{i}.jpg");
        assert_eq!(std::fs::read(out_dir.join(&name)).unwrap(), std::fs::read(src.join(&name)).unwrap());
    }
}

#[test]
fn implicit_tls_works_and_outbox_switches_back() {
    let server = Server::start("tls", Some(("mailer", "pw")));
    let env = Env::new();
    env.register("alice");
    let ca = server.ca();
    let url = format!("smtps://mailer:pw@localhost:{}", server.port);
    set_up(&env, &server, &url, &[], &[("SPG_SMTP_CA_FILE", &ca)]);
    let src = photos(&env, 1);
    let out = import_with(&env, &src, &[("SPG_SMTP_CA_FILE", &ca)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.received().len(), 2);
    assert_eq!(server.received()[1].1["tls"], true);

    env.ok(&["mail", "--user", "alice", "--outbox"], &[]);
    let more = env.path("more");
    write(&more, "another.jpg", &jpeg(90, 90, 7));
    let out = import_with(&env, &more, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.received().len(), 2, "nothing more went to the server");
    assert_eq!(env.emails().len(), 1, "the outbox has it");
    let queued = std::fs::read(&env.emails()[0]).unwrap();

    // Back to the server: the queued email is offered, then sent and deleted from disk.
    let back = set_up(&env, &server, &url, &[], &[("SPG_SMTP_CA_FILE", &ca)]);
    assert!(back.contains("1 password email(s) of alice wait in the outbox"), "{back}");
    let sent = env.ok(&["mail", "--user", "alice", "--send-outbox"], &[("SPG_SMTP_CA_FILE", &ca)]);
    assert!(sent.starts_with("sent "), "{sent}");
    assert!(env.emails().is_empty(), "a sent email is deleted from the outbox");
    let received = server.received();
    assert_eq!(received.len(), 4);
    let photo_line =
        |m: &[u8]| String::from_utf8_lossy(m).lines().find(|l| l.starts_with("Photo ")).map(str::to_string).unwrap();
    assert_eq!(photo_line(&std::fs::read(&received[3].0).unwrap()), photo_line(&queued), "the very email that waited");
    let again = env.ok(&["mail", "--user", "alice", "--send-outbox"], &[("SPG_SMTP_CA_FILE", &ca)]);
    assert!(again.contains("holds no email"), "{again}");
}

#[test]
fn the_outbox_cannot_be_sent_without_a_server() {
    let env = Env::new();
    env.register("alice");
    let out = env.run(&["mail", "--user", "alice", "--send-outbox"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no SMTP server is set up"), "{}", stderr(&out));
}

/// Import through `url` must fail with `message` and leave the vault unchanged.
fn assert_import_refused(env: &Env, src: &Path, url: &str, ca: Option<&str>, message: &str) {
    let mut envs = vec![("SPG_SMTP_URL", url)];
    if let Some(ca) = ca {
        envs.push(("SPG_SMTP_CA_FILE", ca));
    }
    let started = Instant::now();
    let out = import_with(env, src, &envs);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{url}");
    let err = stderr(&out);
    assert!(err.contains(message), "{url}: {err}");
    assert!(!err.contains("wrong-pw") && !err.contains("pw@"), "the password is never printed: {err}");
    assert!(!stdout(&out).contains("imported"), "{}", stdout(&out));
    assert!(env.list_json("alice").is_empty(), "nothing stored");
    assert!(env.emails().is_empty());
}

#[test]
fn wrong_credentials_a_closed_port_and_an_untrusted_certificate_store_nothing() {
    let server = Server::start("starttls", Some(("mailer", "right")));
    let env = Env::new();
    env.register("alice");
    let src = photos(&env, 2);
    let ca = server.ca();
    let port = server.port;
    assert_import_refused(
        &env,
        &src,
        &format!("smtp://mailer:wrong-pw@127.0.0.1:{port}?tls=required"),
        Some(&ca),
        &format!("SMTP login refused by 127.0.0.1:{port}: check the user name and password"),
    );
    assert_import_refused(
        &env,
        &src,
        &format!("smtp://mailer:right@127.0.0.1:{port}?tls=required"),
        None,
        "SPG_SMTP_CA_FILE",
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_import_refused(
        &env,
        &src,
        &format!("smtps://mailer:wrong-pw@127.0.0.1:{closed}"),
        Some(&ca),
        &format!("cannot reach the SMTP server 127.0.0.1:{closed}"),
    );
    // A server that offers no STARTTLS is said to be one, not unreachable.
    let plain = Server::start("plain", None);
    assert_import_refused(
        &env,
        &src,
        &format!("smtp://127.0.0.1:{}?tls=required", plain.port),
        None,
        &format!("127.0.0.1:{} does not offer STARTTLS", plain.port),
    );
    assert!(plain.received().is_empty());
    assert!(server.received().is_empty());
    // And with the right settings the same files go in.
    let out = import_with(
        &env,
        &src,
        &[("SPG_SMTP_URL", &format!("smtp://mailer:right@127.0.0.1:{port}?tls=required")), ("SPG_SMTP_CA_FILE", &ca)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.list_json("alice").len(), 2);
}

#[test]
fn a_silent_server_fails_the_import_in_time() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and never say a word.
    let _holder = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(2).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(conns);
    });
    let env = Env::new();
    env.register("alice");
    let src = photos(&env, 1);
    assert_import_refused(&env, &src, &format!("smtps://u:wrong-pw@127.0.0.1:{port}"), None, "no answer in time");
}

#[test]
fn mail_settings_are_checked_before_they_are_saved() {
    let server = Server::start("starttls", Some(("mailer", "right")));
    let env = Env::new();
    env.register("alice");
    let url = format!("smtp://mailer:wrong-pw@127.0.0.1:{}?tls=required", server.port);
    let out = env.run(&["mail", "--user", "alice", "--smtp-url", &url], &[("SPG_SMTP_CA_FILE", &server.ca())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SMTP login refused"), "{}", stderr(&out));
    // Still the outbox.
    let src = photos(&env, 1);
    assert_eq!(import_with(&env, &src, &[]).status.code(), Some(0));
    assert_eq!(env.emails().len(), 1);
    // A plain URL to another machine is refused outright.
    let out = env.run(&["mail", "--user", "alice", "--smtp-url", "smtp://u:p@mail.example.com:25"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unencrypted"), "{}", stderr(&out));
}

#[test]
fn attack_4_only_the_programs_own_emails_leave_the_outbox() {
    let server = Server::start("starttls", Some(("mailer", "pw")));
    let env = Env::new();
    env.register("alice");
    let src = photos(&env, 1);
    assert_eq!(import_with(&env, &src, &[]).status.code(), Some(0));
    let ours = env.emails();
    assert_eq!(ours.len(), 1, "the password email waits in the outbox");
    // Whoever can write the folder (it may be someone who knew the password, before the
    // owner changed it) leaves emails of their own there: one for a stranger, one that
    // looks like the program's own, with a sender of their choosing.
    let outbox = env.outbox_of("alice");
    let planted = "From: alice@example.com\r\nTo: bob.accountant@example.com\r\nSubject: Invoice\r\n\r\nPlease wire 9,000 EUR today.\r\n";
    std::fs::write(outbox.join("2026-01-01 10.00 UTC - alice - 1 photo.eml"), planted).unwrap();
    let phishing = "From: security@bank.example\r\nTo: alice@example.com\r\nSubject: Your new photo password\r\n\r\nYour vault was locked. Confirm your identity at https://evil.example/login\r\n";
    let forged = outbox.join("2026-01-01 10.01 UTC - alice - 1 photo.eml");
    std::fs::write(&forged, phishing).unwrap();
    let new_password = ("SPG_PASSWORD", "a brand new password nobody knows");
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", new_password.1)]);
    let url = format!("smtp://mailer:pw@127.0.0.1:{}?tls=required", server.port);
    let ca = server.ca();
    set_up(&env, &server, &url, &["--from", "gallery@example.org"], &[("SPG_SMTP_CA_FILE", &ca), new_password]);
    let own = std::fs::read(&ours[0]).unwrap();
    let sent = env.run(&["mail", "--user", "alice", "--send-outbox"], &[new_password]);
    assert_eq!(sent.status.code(), Some(1), "not all was sent: {}", stdout(&sent));
    // The program's own email went (the password change kept it the account's) and is gone
    // from disk; the two others stayed, named, and nothing reached the server for them.
    assert!(stdout(&sent).contains(&ours[0].display().to_string()), "{}", stdout(&sent));
    assert!(!ours[0].exists());
    let refused = stderr(&sent);
    assert_eq!(refused.matches("not written by Secure Photo Gallery").count(), 2, "{refused}");
    assert!(forged.exists());
    let received = server.received();
    assert_eq!(received.len(), 2, "the code, then the program's own email");
    for (eml, meta) in &received {
        assert_eq!(meta["rcpt_tos"], serde_json::json!(["alice@example.com"]), "{meta}");
        assert_eq!(meta["mail_from"], serde_json::json!("gallery@example.org"), "the account's sender: {meta}");
        let text = std::fs::read_to_string(eml).unwrap();
        assert!(!text.contains("wire") && !text.contains("evil.example"), "{text}");
    }
    // An email once sent and put back in the folder is not sent a second time.
    std::fs::write(&ours[0], own).unwrap();
    let again = env.run(&["mail", "--user", "alice", "--send-outbox"], &[new_password]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert_eq!(stderr(&again).matches("not written by Secure Photo Gallery").count(), 3, "{}", stderr(&again));
    assert_eq!(server.received().len(), 2, "nothing more reached the server");
}

#[test]
fn a_servers_own_certificate_is_fetched_for_its_fingerprint_and_trusted_as_its_authority() {
    for mode in ["starttls", "tls"] {
        let server = Server::start(mode, Some(("mailer", "pw")));
        let url = match mode {
            "tls" => format!("smtps://mailer:pw@localhost:{}", server.port),
            _ => format!("smtp://mailer:pw@localhost:{}?tls=required", server.port),
        };
        let certificate = spg_core::service::server_certificate(&url).unwrap();
        assert_eq!(certificate.to_pem(), std::fs::read(server.ca()).unwrap(), "{mode}: the certificate it presents");
        assert_eq!(certificate.fingerprint(), server.fingerprint(), "{mode}");
        assert!(!certificate.is_authority, "{mode}: a self-signed certificate, no chain");
        assert!(server.received().is_empty(), "{mode}: looking sends nothing");
        // Untrusted, a test email fails; trusted by that certificate, it goes.
        let test = |ca: Option<&[u8]>| spg_core::service::send_test_email(&url, ca, "a@example.com", "b@example.com");
        assert!(matches!(test(None), Err(spg_core::mail::MailError::Tls { .. })), "{mode}");
        test(Some(&certificate.to_pem())).unwrap();
        assert_eq!(server.received().len(), 1, "{mode}");
    }
    // A server that offers no STARTTLS says so, and a closed port is unreachable.
    let plain = Server::start("plain", None);
    let no_tls = spg_core::service::server_certificate(&format!("smtp://localhost:{}?tls=required", plain.port));
    assert!(matches!(no_tls, Err(spg_core::mail::MailError::NoStartTls { .. })), "{no_tls:?}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed = spg_core::service::server_certificate(&format!("smtps://127.0.0.1:{port}"));
    assert!(matches!(closed, Err(spg_core::mail::MailError::Unreachable { .. })), "{closed:?}");
}
