#!/usr/bin/python3
"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd, python3-cryptography).

    smtp_server.py --mode starttls|tls|plain --dir DIR [--user U --password P]

Makes a self-signed certificate for localhost/127.0.0.1 in DIR (cert.pem, key.pem), listens
on a free loopback port, prints "PORT <n>" once ready, and stores each message it accepts
as DIR/mail-N.eml with DIR/mail-N.json ({"mail_from", "rcpt_tos", "authenticated", "tls"}).
It exits when its standard input closes, so it never outlives the test that started it.
"""
import argparse, datetime, ipaddress, json, logging, os, socket, ssl, sys, warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def make_cert(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        # A leaf, not a CA: rustls refuses a CA certificate as a server certificate.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


class Store:
    def __init__(self, directory):
        self.directory, self.count = directory, 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"mail-{self.count}")
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "authenticated": bool(session.authenticated),
                       "tls": server.transport.get_extra_info("ssl_object") is not None}, f)
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    # Refused handshakes and logins are what some tests want: keep the log quiet.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["starttls", "tls", "plain"], required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    ctx = make_cert(args.dir)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
        return AuthResult(success=ok, handled=False)

    kwargs = {}
    if args.user:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.mode == "starttls")
    if args.mode == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    port = free_port()
    controller = Controller(Store(args.dir), hostname="127.0.0.1", port=port,
                            ssl_context=ctx if args.mode == "tls" else None, server_hostname="localhost", **kwargs)
    # aiosmtpd checks readiness by connecting to itself; with implicit TLS that client
    # must trust our certificate.
    if args.mode == "tls":
        ssl._create_default_https_context = ssl._create_unverified_context
    controller.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()  # until the test closes our stdin (or exits)
    controller.stop()


if __name__ == "__main__":
    main()
