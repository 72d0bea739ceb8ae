#!/usr/bin/env python3
"""Known-answer vectors for Secure Photo Gallery (vault format 3), computed independently
of the Rust code from docs/FORMAT.md alone, with the `cryptography` (AES-GCM, HKDF,
Argon2id, X25519), `pycryptodome` (XChaCha20-Poly1305), `blake3` and `mnemonic` (the BIP39
English word list) packages:

    pip install 'cryptography>=44' pycryptodome blake3 mnemonic

Writes, beside this file:
- crypto.json: the primitives, checked by tests/crypto_vectors.rs.
- vault.json: every row of a small vault of two accounts, one of which changed its
  password (generation 2), made from docs/FORMAT.md alone, with an email waiting in the
  outbox (its H in the profile's `outbox` list) and a login preview row of a generation-1
  photo written in generation 2 (so sealed under generation 2's key);
  tests/vault_vectors.rs puts the rows into a redb file and opens them with the crate's
  public API.
- backup.json: a backup of that account (FORMAT.md, "Backups"), which the same test
  restores into a new vault.

Every "random" value comes from `rnd` below, so the output is the same on every run.
Re-run only when docs/FORMAT.md changes on purpose.
"""
import hashlib, json, os, unicodedata
from blake3 import blake3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives import serialization
from Crypto.Cipher import ChaCha20_Poly1305
from mnemonic import Mnemonic

CHUNK_SIZE = 64 * 1024 - 80          # FORMAT.md: CHUNK = 65,456
SEGMENT_CHUNKS = 16
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FOLDER = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------
# Primitives (FORMAT.md, "Primitives")
# ---------------------------------------------------------------------------------------
def rnd(label, n):
    """The vectors' fixed stand-in for the OS random generator."""
    return hashlib.shake_256(b"spg vault vectors: " + label.encode()).digest(n)


def be64(x):
    return x.to_bytes(8, "big")


def be32(x):
    return x.to_bytes(4, "big")


def hkdf(ikm, info, salt=None):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def H(m):
    return blake3(m).digest()


def mac(k, m):
    return blake3(m, key=k).digest()


def padme(L):
    if L < 2:
        return L
    E = L.bit_length() - 1            # floor(log2 L)
    S = E.bit_length()                # floor(log2 E) + 1
    z = E - S
    mask = (1 << z) - 1
    return (L + mask) & ~mask


assert [padme(x) for x in (100, 1000, 1025, 99_999)] == [104, 1024, 1088, 100_352]


def pad(p):
    total = padme(4 + len(p))
    return be32(len(p)) + p + bytes(total - 4 - len(p))


def xchacha_seal(key, nonce, plaintext, aad):
    """Seal(K, AAD, P) with the nonce given: nonce (24 bytes) || ciphertext || tag."""
    c = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    c.update(aad)
    ct, tag = c.encrypt_and_digest(plaintext)
    return nonce + ct + tag


def xchacha_open(key, aad, sealed):
    c = ChaCha20_Poly1305.new(key=key, nonce=sealed[:24])
    c.update(aad)
    return c.decrypt_and_verify(sealed[24:-16], sealed[-16:])


def seal(k, aad, p, label):
    out = xchacha_seal(k, rnd("nonce " + label, 24), p, aad)
    assert len(out) == len(p) + 40
    return out


def seal_padded(k, aad, p, label):
    return seal(k, aad, pad(p), label)


def raw_pub(priv):
    return priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_pub(secret):
    return raw_pub(X25519PrivateKey.from_private_bytes(secret))


def seal_to_recovery(label, aad, s, xr, rnd_label):
    """SealToRecovery(label, AAD, S) = E || Seal(K, AAD, S), K = HKDF(E || XR, X25519(e, XR), label)."""
    e = X25519PrivateKey.from_private_bytes(rnd("ephemeral " + rnd_label, 32))
    e_pub = raw_pub(e)
    shared = e.exchange(X25519PublicKey.from_public_bytes(xr))
    assert shared != bytes(32)
    k = hkdf(shared, label, salt=e_pub + xr)
    out = e_pub + seal(k, aad, s, rnd_label)
    assert len(out) == 32 + 40 + len(s)
    return out


SUBKEY_LABELS = {
    "metadata": b"secure-photo-gallery v1 metadata",
    "thumbnail": b"secure-photo-gallery v1 thumbnail",
    "content-hash": b"secure-photo-gallery v1 content-hash",
    "verify": b"secure-photo-gallery v1 verify",
    "profile": b"secure-photo-gallery v1 profile",
    "manifest": b"secure-photo-gallery v1 manifest",
    "backup": b"secure-photo-gallery v2 backup",
    "backup names": b"secure-photo-gallery v2 backup names",
    "older keys": b"secure-photo-gallery v3 older keys",
    "address code": b"secure-photo-gallery v3 address code",
}


def subkey(k, purpose):
    """subkey_g(purpose) = HKDF(-, K_g, label)."""
    return hkdf(k, SUBKEY_LABELS[purpose])


RECOVERY_X25519 = b"secure-photo-gallery v1 recovery x25519"
RECOVERY_ACCOUNT_KEY = b"secure-photo-gallery v3 recovery account-key"
RECOVERY_PHOTO_KEY = b"secure-photo-gallery v1 recovery photo-key"
PHOTO_KEY_WRAP = b"secure-photo-gallery v1 photo-key-wrap"
PRIVATE_THUMBNAIL = b"secure-photo-gallery v2 private thumbnail"


def photo_wrap_key(k_g, photo_id, pw):
    return hkdf(k_g + pw.encode(), PHOTO_KEY_WRAP, salt=be64(photo_id))


def stream_encrypt(key, prefix, data):
    chunks = [data[i:i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)] or [b""]
    out = []
    for i, c in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        nonce = prefix + i.to_bytes(4, "big") + bytes([last])
        out.append(AESGCM(key).encrypt(nonce, c, b""))
    return out


# postcard 1.x, as FORMAT.md "Records (postcard)" describes it
def varint(n):
    assert n >= 0
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pc_u8(n):
    return bytes([n])


def pc_bool(b):
    return bytes([1 if b else 0])


def pc_i64(n):
    return varint(((n << 1) ^ (n >> 63)) & (2**64 - 1))


def pc_bytes(b):
    return varint(len(b)) + b


def pc_str(s):
    return pc_bytes(s.encode())


def pc_opt(v, enc):
    return b"\x00" if v is None else b"\x01" + enc(v)


def pc_vec(items, enc):
    return varint(len(items)) + b"".join(enc(i) for i in items)


# ---------------------------------------------------------------------------------------
# crypto.json
# ---------------------------------------------------------------------------------------
def pattern(n):
    return bytes((i * 31) % 251 for i in range(n))


def make_crypto():
    key = bytes(range(32))
    prefix = bytes([0xA0, 1, 2, 3, 4, 5, 6])
    v = {"chunk_size": CHUNK_SIZE, "stream": [], "subkeys": {}, "argon2id": [], "photo_wrap": [], "seal": [],
         "seal_padded": [], "padme": [], "recovery": [], "recovery_account": []}
    # STREAM without padding (FORMAT.md: the `stream` vectors encrypt data as it is given).
    for n in [0, 1, 100, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 5]:
        chunks = stream_encrypt(key, prefix, pattern(n))
        c = {"key": key.hex(), "prefix": prefix.hex(), "plaintext_len": n,
             "chunk_sha256": [hashlib.sha256(c).hexdigest() for c in chunks]}
        if n <= 100:
            c["chunks"] = [x.hex() for x in chunks]
        v["stream"].append(c)

    account_key = bytes(range(100, 132))
    v["account_key"] = account_key.hex()
    v["subkeys"] = {name: subkey(account_key, name).hex() for name in SUBKEY_LABELS}
    v["keyed_hash"] = {"key": account_key.hex(), "data": b"photo bytes".hex(),
                       "blake3_keyed": mac(account_key, b"photo bytes").hex()}
    v["private_thumbnail_key"] = {"photo_key": bytes(range(1, 33)).hex(),
                                  "key": hkdf(bytes(range(1, 33)), PRIVATE_THUMBNAIL).hex()}

    for pw, salt in [("correct horse battery staple", bytes([7] * 16)), ("p\u00e4ssw\u00f6rd", bytes(range(16)))]:
        for lanes in (1, 2):
            k = Argon2id(salt=salt, length=32, iterations=3, lanes=lanes, memory_cost=64 * 1024).derive(
                unicodedata.normalize("NFC", pw).encode())
            v["argon2id"].append({"password": pw, "salt": salt.hex(), "m_kib": 65536, "t": 3, "p": lanes,
                                  "key": k.hex()})

    for photo_id, pw in [(0x12345, "ABCDEFGHJKMNPQRSTVWX"), (2**60 - 1, "0123456789ABCDEFGHJK")]:
        v["photo_wrap"].append({"photo_id": photo_id, "password": pw,
                                "key": photo_wrap_key(account_key, photo_id, pw).hex()})

    nonce = bytes(range(24))
    aad = b"secure-photo-gallery v1 photo-key" + be64(0x12345)
    v["seal"].append({"key": key.hex(), "aad": aad.hex(), "plaintext": account_key.hex(),
                      "sealed": xchacha_seal(key, nonce, account_key, aad).hex()})
    for n in (0, 5, 100):
        plain = pattern(n)
        aad = b"secure-photo-gallery v1 profile" + be64(7)
        v["seal_padded"].append({"key": key.hex(), "aad": aad.hex(), "plaintext": plain.hex(),
                                 "sealed": xchacha_seal(key, bytes(range(24, 48)), pad(plain), aad).hex()})
    for L in (0, 1, 2, 3, 9, 100, 1000, 1025, 99_999, 100_000, 1_050_000):
        v["padme"].append([L, padme(L)])

    entropy = bytes(range(200, 232))
    rk_x = hkdf(entropy, RECOVERY_X25519)
    recipient = X25519PrivateKey.from_private_bytes(rk_x)
    rec_pub = raw_pub(recipient)
    words = Mnemonic("english").to_mnemonic(entropy)
    eph = X25519PrivateKey.from_private_bytes(bytes(range(50, 82)))
    eph_pub = raw_pub(eph)
    shared = eph.exchange(recipient.public_key())
    photo_key = bytes(range(1, 33))
    photo_id = 0xABCDE
    k = hkdf(shared, RECOVERY_PHOTO_KEY, salt=eph_pub + rec_pub)
    sealed = eph_pub + xchacha_seal(k, nonce, photo_key, be64(photo_id))
    v["recovery"].append({"entropy": entropy.hex(), "words": words, "public_key": rec_pub.hex(),
                          "photo_id": photo_id, "photo_key": photo_key.hex(), "sealed": sealed.hex()})
    # SealToRecovery of a generation's key: label `v3 recovery account-key`, AAD be64(account) || be32(g).
    for account, generation, eph_seed in [(1, 1, 90), (2**64 - 2, 7, 130)]:
        eph = X25519PrivateKey.from_private_bytes(bytes(range(eph_seed, eph_seed + 32)))
        eph_pub = raw_pub(eph)
        shared = eph.exchange(recipient.public_key())
        k = hkdf(shared, RECOVERY_ACCOUNT_KEY, salt=eph_pub + rec_pub)
        sealed = eph_pub + xchacha_seal(k, bytes(range(24, 48)), account_key, be64(account) + be32(generation))
        assert len(sealed) == 104
        v["recovery_account"].append({"entropy": entropy.hex(), "account": account, "generation": generation,
                                      "account_key": account_key.hex(), "sealed": sealed.hex()})
    return v


# ---------------------------------------------------------------------------------------
# vault.json: a whole small vault (format 3), written from docs/FORMAT.md alone.
# ---------------------------------------------------------------------------------------
def crockford_id(i):
    """IDs: 12 Crockford symbols, symbol k is bits 5(11-k) ... 5(11-k)+4."""
    assert 0 <= i < 2**60
    return "".join(CROCKFORD[(i >> (5 * (11 - k))) & 31] for k in range(12))


def password_symbols(label):
    bits = int.from_bytes(rnd("photo password " + label, 13), "big") >> 4   # 100 bits
    return "".join(CROCKFORD[(bits >> (95 - 5 * k)) & 31] for k in range(20))


def display_password(pw):
    return "-".join(pw[i:i + 5] for i in range(0, 20, 5))


def pattern_bytes(pat):
    """A photo's bytes: given as bytes, or (n, mul, add, mod) for bytes (i * mul + add) % mod, i < n."""
    if isinstance(pat, bytes):
        return pat
    n, mul, add, mod = pat
    return bytes((i * mul + add) % mod for i in range(n))


def bmp_4x4(seed):
    """A real 4 x 4 24-bit BMP (102 bytes), so the test can import the same file again and
    see the program find it by its content hash."""
    pixels = bytes((x * 60 + y * 5 + c * 90 + seed) % 256 for y in range(4) for x in range(4) for c in range(3))
    dib = (40).to_bytes(4, "little") + (4).to_bytes(4, "little") + (4).to_bytes(4, "little") \
        + (1).to_bytes(2, "little") + (24).to_bytes(2, "little") + bytes(4) + len(pixels).to_bytes(4, "little") \
        + (2835).to_bytes(4, "little") * 2 + bytes(8)
    size = 14 + len(dib) + len(pixels)
    return b"BM" + size.to_bytes(4, "little") + bytes(4) + (14 + len(dib)).to_bytes(4, "little") + dib + pixels


# An 8 x 6 grey JPEG (166 bytes, made once with Pillow): a sharp thumbnail the program can
# decode, for the photos it converts to another preview form when they are unlocked.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffc0000b080006000801011100ffc40014000100000000000000000000000000000003ffc4001810000203"
    "000000000000000000000000000001030623ffda0008010100003f003a6c2b33ffd9")
assert len(TINY_JPEG) == 166


def enc_meta(meta, size):
    """PhotoMeta: name, mime, bytes, width, height, orientation, taken_at, camera, has_gps, imported_at."""
    return (pc_str(meta["name"]) + pc_str(meta["mime"]) + varint(size) + varint(meta["width"])
            + varint(meta["height"]) + pc_u8(meta["orientation"]) + pc_opt(meta["taken_at"], pc_str)
            + pc_opt(meta["camera"], pc_str) + pc_bool(meta["has_gps"]) + pc_i64(meta["imported_at"]))


def enc_profile(p):
    """Profile: email, smtp Option<{url, from Option, ca_pem Option<bytes>}>, previews u8,
    backup Option<{endpoint, region, bucket, prefix, access_key, secret_key, last_at, snapshot}>,
    outbox Vec<[u8; 32]>, albums Vec<{id u64, digest [u8; 16]}>. A profile written before
    albums ends after `outbox` (p["albums"] is None here)."""
    def smtp(s):
        return pc_str(s["url"]) + pc_opt(s["from"], pc_str) + pc_opt(s["ca_pem"], lambda b: pc_bytes(b.encode()))

    def backup(b):
        return (pc_str(b["endpoint"]) + pc_str(b["region"]) + pc_str(b["bucket"]) + pc_str(b["prefix"])
                + pc_str(b["access_key"]) + pc_str(b["secret_key"]) + pc_i64(b["last_at"])
                + bytes.fromhex(b["snapshot"]))
    head = (pc_str(p["email"]) + pc_opt(p["smtp"], smtp) + pc_u8(p["previews"]) + pc_opt(p["backup"], backup)
            + pc_vec([bytes.fromhex(d) for d in p["outbox"]], lambda d: d))
    if p["albums"] is None:
        return head
    return head + pc_vec(p["albums"], lambda a: varint(a["id"]) + bytes.fromhex(a["digest"]))


def album_row(acc, album, label):
    """An `albums` row (FORMAT.md, "Albums"): be32(g) || SealPadded(subkey_g(metadata),
    AL(account, album, g), AlbumRecord), g the account's generation now; AlbumRecord is
    name, created_at i64, cover Option<u64>, photos Vec<u64> (ascending ids, each stored as
    its difference from the one before, the first as it is)."""
    ids = sorted(album["photos"])
    deltas = [b - a for a, b in zip([0] + ids, ids)]
    assert all(d > 0 for d in deltas[1:])
    record = (pc_str(album["name"]) + pc_i64(album["created_at"]) + pc_opt(album["cover"], varint)
              + pc_vec(deltas, varint))
    g = acc.n
    al = b"secure-photo-gallery v3 album" + be64(acc.id) + be64(album["id"]) + be32(g)
    return be32(g) + seal_padded(subkey(acc.k(), "metadata"), al, record, label)


def album_digest(album_id, row):
    """The profile's pin of an album: H("secure-photo-gallery v3 album row" || be64(album) || row)[..16]."""
    return H(b"secure-photo-gallery v3 album row" + be64(album_id) + row)[:16]


def row_digest(v):
    """row(absent) = byte(0); row(v) = byte(1) || be64(len(v)) || v."""
    return b"\x00" if v is None else b"\x01" + be64(len(v)) + v


def enc_entry(e):
    """Entry: id u64, generation u32, record [u8; 16], previews [u8; 16]."""
    return varint(e["id"]) + varint(e["generation"]) + e["record"] + e["previews"]


TABLES = {
    "header": ("&str", "&[u8]"),
    "accounts": ("u64", "&[u8]"),
    "usernames": ("&str", "u64"),
    "manifests": ("u64", "&[u8]"),
    "manifest_buckets": ("(u64, u64)", "&[u8]"),
    "photos": ("(u64, u64)", "&[u8]"),
    "chunks": ("(u64, u32)", "&[u8]"),
    "thumbnails": ("u64", "&[u8]"),
    "private_thumbnails": ("u64", "&[u8]"),
    "content_hashes": ("(u64, &[u8; 32])", "u64"),
    "deleted_photos": ("(u64, u64)", "i64"),
    "list_index": ("(u64, u32)", "&[u8]"),
    "list_front": ("u64", "&[u8]"),
    "albums": ("(u64, u64)", "&[u8]"),
}


class Account:
    def __init__(self, w, aid, username, email, previews, kdf, smtp=None, backup=None):
        self.w, self.id, self.username = w, aid, username
        self.email, self.previews, self.kdf = email, previews, kdf
        self.smtp, self.backup = smtp, backup
        self.outbox = []                  # H(M) of each queued email, as hex
        self.albums = []                  # the profile's pins {id, digest (hex)}; None: written before albums
        self.album_json = []              # each album as written, with its row's generation
        self.keys = []                    # K_1 ... K_n
        self.entropy = rnd(f"recovery entropy {aid}", 32)
        self.xr = x25519_pub(hkdf(self.entropy, RECOVERY_X25519))
        self.counter = 0
        self.heads = []                   # every head's stored bytes, oldest first
        self.entries = {}                 # photo id -> Entry
        self.photos = []                  # JSON of each photo
        self.index = []                   # (id, PhotoMeta postcard)
        self.record = None

    @property
    def n(self):
        return len(self.keys)

    def k(self, g=None):
        return self.keys[(g or self.n) - 1]

    def profile(self):
        return {"email": self.email, "smtp": self.smtp, "previews": self.previews, "backup": self.backup,
                "outbox": list(self.outbox), "albums": None if self.albums is None else list(self.albums)}

    def write_album(self, album, label):
        """Writes album `album` (a dict as AlbumRecord, with its `id`) and pins it in the
        profile (the caller writes the profile and the head: one transaction)."""
        row = album_row(self, album, label)
        self.w.set_row("albums", [self.id, album["id"]], row)
        pin = {"id": album["id"], "digest": album_digest(album["id"], row).hex()}
        self.albums = sorted([a for a in self.albums if a["id"] != album["id"]] + [pin], key=lambda a: a["id"])
        self.album_json.append(dict(album, generation=self.n, digest=pin["digest"]))

    def new_generation(self, password, changed_at):
        """Registration (generation 1) or a password change: a fresh key, record and profile."""
        g = self.n + 1
        self.keys.append(rnd(f"account key {self.id} generation {g}", 32))
        self.password, self.changed_at = password, changed_at
        self.salt = rnd(f"salt {self.id} generation {g}", 16)
        m_kib, t, p = self.kdf
        kp = Argon2id(salt=self.salt, length=32, iterations=t, lanes=p, memory_cost=m_kib).derive(
            unicodedata.normalize("NFC", password).encode())
        ak = b"secure-photo-gallery v3 account key" + be64(self.id) + be32(g)
        self.key_by_password = seal(kp, ak, self.k(), f"key_by_password {self.id} {g}")
        assert len(self.key_by_password) == 72
        self.key_by_recovery = seal_to_recovery(RECOVERY_ACCOUNT_KEY, be64(self.id) + be32(g), self.k(), self.xr,
                                                f"key_by_recovery {self.id} {g}")
        if g == 1:
            self.older = b""
        else:
            self.older = seal(subkey(self.k(), "older keys"),
                              b"secure-photo-gallery v3 older keys" + be64(self.id) + be32(g),
                              pc_vec(self.keys[:-1], lambda k: k), f"older keys {self.id} {g}")
        self.write_profile(f"profile {self.id} {g}")

    def write_profile(self, label):
        """The profile sealed (again) under subkey_n(profile), and the record that holds it;
        the rest of the record as it is. (The caller writes the manifest head: a profile
        change is a transaction of its own.)"""
        m_kib, t, p = self.kdf
        self.profile_pc = enc_profile(self.profile())
        sealed_profile = seal_padded(subkey(self.k(), "profile"), b"secure-photo-gallery v1 profile" + be64(self.id),
                                     self.profile_pc, label)
        self.record = (pc_u8(3) + pc_str(self.username) + varint(self.n) + pc_i64(self.changed_at)
                       + varint(m_kib) + varint(t) + varint(p) + self.salt
                       + pc_bytes(self.key_by_password) + pc_bytes(self.key_by_recovery) + self.xr
                       + pc_bytes(self.older) + pc_bytes(sealed_profile))

    def write_head(self, buckets):
        """One transaction's manifest head: counter + 1, `buckets` a list of (first, version, [ids]).
        Returns the head's postcard and the stored bytes; the bucket rows are not written here."""
        self.counter += 1
        km = subkey(self.k(), "manifest")
        digest = mac(km, b"secure-photo-gallery v3 account record" + self.record)
        recent = [H(h) for h in reversed(self.heads)][:32]
        head = (pc_u8(3) + varint(self.n) + varint(self.counter) + digest
                + varint(sum(len(ids) for _, _, ids in buckets))
                + pc_vec([(f, v) for f, v, _ in buckets], lambda b: varint(b[0]) + varint(b[1]))
                + pc_vec(recent, lambda h: h))
        ha = b"secure-photo-gallery v3 manifest" + self.w.vault_id + be64(self.id)
        stored = seal(km, ha, head, f"manifest {self.id} {self.counter}")
        self.heads.append(stored)
        return head, stored, digest, recent


class VaultWriter:
    def __init__(self):
        self.vault_id = rnd("vault_id", 16)
        self.rows = {name: [] for name in TABLES}
        self.row("header", "format_version", (3).to_bytes(4, "little"))
        self.row("header", "vault_id", self.vault_id)
        self.accounts = {}
        self.by_digest = set()
        self.prefixes = set()

    def row(self, table, key, value):
        self.rows[table].append((key, value))

    def set_row(self, table, key, value):
        """Writes a row again (value None: removes it), as a later transaction does."""
        self.rows[table] = [(k, v) for k, v in self.rows[table] if k != key]
        if value is not None:
            self.row(table, key, value)

    def new_run(self, label):
        """Photo IDs of one session: a random 44-bit prefix P (not 0) no photo of the vault uses
        yet, then P * 2^16 + 0, 1, 2, ..."""
        for attempt in range(100):
            p = int.from_bytes(rnd(f"id prefix {label} {attempt}", 6), "big") >> 4
            if p != 0 and p not in self.prefixes:
                self.prefixes.add(p)
                return p
        raise AssertionError

    def register(self, aid, username, password, email, previews, kdf, registered_at, smtp=None, backup=None,
                 albums=True):
        acc = Account(self, aid, username, email, previews, kdf, smtp, backup)
        if not albums:
            acc.albums = None
        acc.new_generation(password, registered_at)
        acc.write_head([(0, 1, [])])
        self.accounts[aid] = acc
        return acc

    def make_photo(self, acc, photo_id, pat, meta, thumbnail, form):
        """The rows of one photo of generation n (the account's current one). `form` is how
        its previews are stored: 0 sharp (thumbnail in `thumbnails`), 1 blurred (placeholder
        in `thumbnails`, thumbnail in `private_thumbnails`), 2 hidden (private row only)."""
        data = pattern_bytes(pat)
        g = acc.n
        kg = acc.k(g)
        label = f"photo {photo_id}"
        kf = rnd("photo key " + label, 32)
        pw = password_symbols(label)
        prefix = rnd("nonce prefix " + label, 7)
        # Photo bytes: padded to Padme(size), cut into chunks, STREAM-encrypted.
        padded = data + bytes(padme(len(data)) - len(data))
        chunks = stream_encrypt(kf, prefix, padded)
        assert len(chunks) == max(1, -(-len(padded) // CHUNK_SIZE))
        # Segments: groups of 16 chunks while they fit, then one chunk each.
        n = len(chunks)
        groups = [chunks[i:i + SEGMENT_CHUNKS] for i in range(0, n - n % SEGMENT_CHUNKS, SEGMENT_CHUNKS)]
        groups += [[c] for c in chunks[n - n % SEGMENT_CHUNKS:]]
        segments = [b"".join(gr) for gr in groups]
        assert len(segments) == n // 16 + n % 16
        ciphertext_mac = mac(subkey(kg, "verify"),
                             be64(photo_id) + b"".join(be32(s) + be64(len(seg)) + seg for s, seg in enumerate(segments)))
        content_hash = mac(subkey(kg, "content-hash"), H(data))
        kw = photo_wrap_key(kg, photo_id, pw)
        key_by_password = seal(kw, b"secure-photo-gallery v1 photo-key" + be64(photo_id), kf, "key_by_password " + label)
        key_by_recovery = seal_to_recovery(RECOVERY_PHOTO_KEY, be64(photo_id), kf, acc.xr, "key_by_recovery " + label)
        assert len(key_by_password) == 72 and len(key_by_recovery) == 104
        header = (pc_u8(3) + varint(g) + prefix + varint(len(chunks)) + pc_bytes(key_by_password)
                  + pc_bytes(key_by_recovery) + ciphertext_mac + content_hash)
        meta_pc = enc_meta(meta, len(data))
        sealed_meta = seal_padded(subkey(kg, "metadata"),
                                  b"secure-photo-gallery v1 metadata" + be64(acc.id) + be64(photo_id) + header,
                                  meta_pc, "metadata " + label)
        record = pc_bytes(header) + pc_bytes(sealed_meta)
        self.row("photos", [acc.id, photo_id], record)
        for s, seg in enumerate(segments):
            self.row("chunks", [photo_id, s], seg)
            if len(chunks) > 16:
                self.by_digest.add(("chunks", photo_id, s))
        self.row("content_hashes", [acc.id, content_hash.hex()], photo_id)
        entry = {"id": photo_id, "generation": g,
                 "record": H(b"secure-photo-gallery v3 record" + be64(photo_id) + record)[:16]}
        acc.entries[photo_id] = entry
        acc.index.append((photo_id, meta_pc))
        acc.photos.append({
            "id": photo_id, "id_text": crockford_id(photo_id), "generation": g,
            "password": display_password(pw), "password_canonical": pw, "photo_key": kf.hex(),
            "nonce_prefix": prefix.hex(), "bytes": len(data), "padded_bytes": len(padded),
            "chunk_count": len(chunks), "segments": len(segments), "sha256": hashlib.sha256(data).hexdigest(),
            "pattern": None if isinstance(pat, bytes) else dict(zip(("n", "mul", "add", "mod"), pat)),
            "file": data.hex() if isinstance(pat, bytes) else None,
            "chunks_inline": len(chunks) <= 16, "meta": meta,
            "thumbnail": thumbnail.hex(),
            "content_hash": content_hash.hex(), "ciphertext_mac": ciphertext_mac.hex(),
            "header_postcard": header.hex(), "meta_postcard": meta_pc.hex(),
            "record_digest": entry["record"].hex()})
        self.write_previews(acc, photo_id, form, "import")
        return data

    def write_previews(self, acc, photo_id, form, when):
        """A photo's preview rows in `form`: 0 sharp (thumbnail in `thumbnails`), 1 blurred
        (placeholder in `thumbnails`, thumbnail in `private_thumbnails`), 2 hidden (private
        row only). The `thumbnails` row is sealed under subkey_g(thumbnail) of the generation
        g current now (FORMAT.md, "Previews"), whatever the photo's own generation; the
        private row under KT. Updates the photo's entry (its `previews` digest); the caller
        writes the manifest (at import, with the photo; later, in a transaction of its own)."""
        photo = next(p for p in acc.photos if p["id"] == photo_id)
        g = acc.n
        label = f"photo {photo_id} {when} g{g}"
        thumbnail = bytes.fromhex(photo["thumbnail"])
        tk = subkey(acc.k(g), "thumbnail")
        thumb_row = private_row = None
        placeholder = b"blurred placeholder of " + photo["meta"]["name"].encode()
        if form == 0:
            thumb_row = seal_padded(tk, b"secure-photo-gallery v1 thumbnail" + be64(acc.id) + be64(photo_id),
                                    thumbnail, "thumbnail " + label)
        elif form == 1:
            thumb_row = seal_padded(tk, b"secure-photo-gallery v2 placeholder" + be64(acc.id) + be64(photo_id),
                                    placeholder, "placeholder " + label)
        if form != 0:
            kt = hkdf(bytes.fromhex(photo["photo_key"]), PRIVATE_THUMBNAIL)
            private_row = seal_padded(kt, b"secure-photo-gallery v2 private thumbnail" + be64(acc.id) + be64(photo_id),
                                      thumbnail, "private thumbnail " + label)
        self.set_row("thumbnails", photo_id, thumb_row)
        self.set_row("private_thumbnails", photo_id, private_row)
        entry = acc.entries[photo_id]
        entry["previews"] = H(b"secure-photo-gallery v3 previews" + be64(photo_id) + row_digest(thumb_row)
                              + row_digest(private_row))[:16]
        # What the rows hold: the form, what the login shows (none when hidden), the
        # generation whose thumbnail subkey sealed the `thumbnails` row (none when hidden);
        # `thumbnail` above is the sharp thumbnail (behind the photo key unless sharp).
        photo["stored_form"] = form
        photo["login_thumbnail"] = None if thumb_row is None else (thumbnail if form == 0 else placeholder).hex()
        photo["preview_generation"] = None if thumb_row is None else g
        photo["previews_digest"] = entry["previews"].hex()

    def bucket_rows(self, acc, buckets, stray=()):
        """The `manifest_buckets` rows of the head's buckets (first, version, [ids]), each
        its entries ascending by id sealed under subkey_n(manifest) with BA(first, version);
        and rows the head does not list (`stray`), which a reader must ignore."""
        km = subkey(acc.k(), "manifest")
        for first, version, ids in list(buckets) + list(stray):
            ba = (b"secure-photo-gallery v3 manifest bucket" + self.vault_id + be64(acc.id) + be64(first)
                  + be64(version))
            entries = [acc.entries.get(i) or {"id": i, "generation": 1, "record": bytes(16), "previews": bytes(16)}
                       for i in sorted(ids)]
            self.row("manifest_buckets", [acc.id, first],
                     seal(km, ba, pc_vec(entries, enc_entry), f"bucket {acc.id} {first} {version}"))

    def list_index(self, acc, segments):
        """`list_index` segments {number: [ids]} sealed under subkey_n(metadata)."""
        meta = dict(acc.index)
        for number, ids in segments.items():
            entries = pc_vec(ids, lambda i: varint(i) + meta[i])
            aad = b"secure-photo-gallery v2 list index" + self.vault_id + be64(acc.id) + be32(number)
            self.row("list_index", [acc.id, number],
                     seal_padded(subkey(acc.k(), "metadata"), aad, entries, f"list index {acc.id} {number} {acc.n}"))

    def list_front(self, acc, buckets, ids):
        """`list_front`: the photos `ids` (the list's first, in its order) and the state of
        the head's `buckets` (first, version, [ids]) they were taken from, sealed under
        subkey_n(metadata) (FORMAT.md, "The front of the list")."""
        meta = dict(acc.index)
        state = H(b"secure-photo-gallery v3 photos state" + be64(sum(len(i) for _, _, i in buckets))
                  + b"".join(be64(first) + be64(version) for first, version, _ in buckets))
        value = state + pc_vec(ids, lambda i: varint(i) + meta[i])
        aad = b"secure-photo-gallery v3 list front" + self.vault_id + be64(acc.id)
        self.row("list_front", acc.id,
                 seal_padded(subkey(acc.k(), "metadata"), aad, value, f"list front {acc.id} {acc.n}"))
        return state


def outbox_email(acc, photos, when, date):
    """A password email as the outbox keeps it: the message's bytes M, nothing added
    (FORMAT.md, "The password email and the outbox"); the account's profile lists H(M)
    while the program has not sent it."""
    lines = [f"Photo {p['id_text']} ({p['meta']['name']}): {p['password']}" for p in photos]
    html = "".join(f"<p>Photo {p['id_text']} ({p['meta']['name']}): <b>{p['password']}</b></p>" for p in photos)
    count = "1 photo" if len(photos) == 1 else f"{len(photos)} photos"
    m = "\r\n".join([
        f"From: {acc.email}",
        f"To: {acc.email}",
        f"Subject: Secure Photo Gallery: the password of {count}",
        f"Date: {date}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="spg-vectors"',
        "",
        "--spg-vectors",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        "Your photo passwords:",
        "",
        *lines,
        "",
        "--spg-vectors",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        f"<html><body>{html}</body></html>",
        "--spg-vectors--",
        "",
    ]).encode()
    name = f"{when} UTC - {acc.username} - {count}.eml"
    return {"path": f"outbox/{acc.username.lower()}/{name}", "message": m.hex(), "digest": H(m).hex(),
            "content": m.hex()}


def make_vault():
    w = VaultWriter()
    # alice (account 1): sharp previews, Argon2 cost above the default (t = 4). Generation 1:
    # she imports A, B and D in one session (one transaction); then changes her password
    # (generation 2), opens B, and imports E. B and D are stored in the blurred form (as if
    # her previews had been blurred then). B was opened with its key in generation 2, which
    # brought its previews into the sharp form: its `thumbnails` row is sealed under
    # subkey_2(thumbnail) although B is of generation 1 (FORMAT.md, "Previews"). D is still
    # blurred: the program brings it to the sharp form when the test unlocks it. E's password
    # email waits in the outbox (no SMTP server), H of it in her profile's `outbox` list.
    alice = w.register(1, "Alice", "first password of alice, since changed", "alice@example.com", previews=0,
                       kdf=(65536, 4, 2), registered_at=1_700_000_000)
    run1 = w.new_run("alice import 1")
    a_id, b_id, d_id = (run1 << 16) + 0, (run1 << 16) + 1, (run1 << 16) + 2
    files = {}
    files[a_id] = w.make_photo(alice, a_id, (70_000, 31, 0, 251), {
        "name": "IMG_0001 (A).jpg", "mime": "image/jpeg", "width": 4032, "height": 3024, "orientation": 1,
        "taken_at": "2024-06-15T10:30:00+03:00", "camera": "Python Vectors Cam", "has_gps": True,
        "imported_at": 1_718_447_400}, b"thumbnail of A", form=0)
    files[b_id] = w.make_photo(alice, b_id, bmp_4x4(0), {
        "name": "b\u00e9b\u00e9.bmp", "mime": "image/bmp", "width": 4, "height": 4, "orientation": 6,
        "taken_at": None, "camera": None, "has_gps": False, "imported_at": -86_400}, b"thumbnail of B", form=1)
    files[d_id] = w.make_photo(alice, d_id, (1_050_000, 37, 11, 253), {
        "name": "D.tif", "mime": "image/tiff", "width": 1, "height": 1, "orientation": 1,
        "taken_at": None, "camera": None, "has_gps": False, "imported_at": 1_718_447_401}, TINY_JPEG, form=1)
    # With the import, in its transaction: album 1, written in generation 1 (its row stays
    # sealed under generation 1's key after the password change below).
    alice.write_album({"id": 1, "name": "Passport \u2708 (ID scans)", "created_at": 1_718_447_500, "cover": d_id,
                       "photos": [d_id, a_id]}, "album 1 1")
    alice.write_profile("profile 1 1 albums")
    alice.write_head([(0, 2, [a_id, b_id, d_id])])                                      # counter 2
    alice.new_generation("correct horse battery staple", 1_730_000_000)
    alice.write_head([(0, 3, [a_id, b_id, d_id])])                                      # counter 3
    # B opened with its key: its previews brought into the account's (sharp) form, in one
    # transaction with its manifest entry; the new row sealed under the current generation.
    w.write_previews(alice, b_id, 0, "opened")
    alice.write_head([(0, 4, [a_id, b_id, d_id])])                                      # counter 4
    run2 = w.new_run("alice session 1")
    assert run2 > run1
    e_id = (run2 << 16) + 0
    files[e_id] = w.make_photo(alice, e_id, bmp_4x4(77), {
        "name": "E (copy) (2).bmp", "mime": "image/bmp", "width": 4, "height": 4, "orientation": 1,
        "taken_at": "2024:11:30 not a date", "camera": "Cam (E)", "has_gps": False,
        "imported_at": 1_733_047_200}, b"thumbnail of E", form=0)
    # The import saves E's password email in the outbox before its photos are stored: a
    # profile write (the outbox list), a transaction of its own. A second file beside it
    # (the same email with another Date line) was not written by the program: its H is not
    # in the list.
    e = next(p for p in alice.photos if p["id"] == e_id)
    outbox = [outbox_email(alice, [e], "2024-12-01 10.00", "Sun, 01 Dec 2024 10:00:00 +0000"),
              outbox_email(alice, [e], "2024-12-01 10.01", "Sun, 01 Dec 2024 10:01:00 +0000")]
    outbox[0]["listed_in_profile"] = True
    outbox[1]["listed_in_profile"] = False
    assert outbox[0]["digest"] != outbox[1]["digest"]
    alice.outbox = [outbox[0]["digest"]]
    # In the same profile write, album 2 (generation 2), naming a photo deleted since (the
    # `deleted_photos` row below): readers show the photos the account has.
    alice.write_album({"id": 2, "name": "Family", "created_at": 1_733_047_300, "cover": None,
                       "photos": [b_id, (run1 << 16) + 9, e_id]}, "album 1 2")
    alice.write_profile("profile 1 2 outbox")
    alice.write_head([(0, 4, [a_id, b_id, d_id])])                                      # counter 5
    # A layout the program would not write but a reader must accept: A alone in the first
    # bucket, B and D each in one of their own, an empty bucket, and E's; versions between 1
    # and the counter. Plus a row the head does not list (not part of the manifest).
    empty_first = (run1 + 1) << 16
    alice_buckets = [(0, 3, [a_id]), (b_id, 4, [b_id]), (d_id, 3, [d_id]), (empty_first, 2, []), (e_id, 6, [e_id])]
    head, stored, digest, recent = alice.write_head(alice_buckets)                      # counter 6
    w.bucket_rows(alice, alice_buckets, stray=[((run2 + 5) << 16, 4, [(run2 + 5) << 16])])
    # Her list index: two segments (numbers need not be contiguous), sealed under K_2.
    w.list_index(alice, {0: [a_id, b_id, d_id], 5: [e_id]})
    # The front of her list, taken from the head just written: A (the one date taken that
    # parses), then the others by import time, newest first.
    w.list_front(alice, alice_buckets, [a_id, e_id, d_id, b_id])
    alice_out = (head, stored, digest, recent, alice_buckets)

    # bob (account 2): blurred previews, SMTP and backup settings in his profile. The login
    # password is stored NFC ("ü" composed); the test types it decomposed. C is stored
    # blurred, F hidden (no `thumbnails` row), as if his previews had been hidden when F came.
    # bob's profile was written by a program from before albums: it ends after `outbox`.
    bob = w.register(2, "bob", "gr\u00fcn tea at n\u00efne", "bob@example.com", previews=1, kdf=(65536, 3, 1),
                     registered_at=1_699_000_000,
                     smtp={"url": "smtp://bob:secret@mail.example.com:587?tls=required",
                           "from": "photos@bob.example.com",
                           "ca_pem": "-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n"},
                     backup={"endpoint": "https://s3.example.com", "region": "eu-central-1", "bucket": "bobs-bucket",
                             "prefix": "vault/bob", "access_key": "AKIAVECTORS", "secret_key": "secret/key+1",
                             "last_at": 1_720_000_000, "snapshot": rnd("bob snapshot", 32).hex()},
                     albums=False)
    run3 = w.new_run("bob session 1")
    c_id, f_id = (run3 << 16) + 0, (run3 << 16) + 1
    files[c_id] = w.make_photo(bob, c_id, (1000, 13, 0, 256), {
        "name": "C.webp", "mime": "image/webp", "width": 640, "height": 480, "orientation": 1,
        "taken_at": "2023-01-02T03:04:05", "camera": None, "has_gps": False, "imported_at": 1_700_000_000},
        b"sharp thumbnail of C " * 30, form=1)
    files[f_id] = w.make_photo(bob, f_id, b"", {
        "name": "F (empty).gif", "mime": "image/gif", "width": 1, "height": 1, "orientation": 1,
        "taken_at": None, "camera": None, "has_gps": False, "imported_at": 1_700_000_001}, TINY_JPEG, form=2)
    bob_buckets = [(0, 2, [c_id, f_id])]
    bhead, bstored, bdigest, brecent = bob.write_head(bob_buckets)                      # counter 2
    w.bucket_rows(bob, bob_buckets)

    for acc, (head, stored, digest, recent, buckets) in ((alice, alice_out),
                                                           (bob, (bhead, bstored, bdigest, brecent, bob_buckets))):
        w.row("accounts", acc.id, acc.record)
        w.row("usernames", acc.username.lower(), acc.id)
        w.row("manifests", acc.id, stored)
    # Deleted here earlier (a photo whose rows are gone): a backup's --prune would remove it.
    w.row("deleted_photos", [1, (run1 << 16) + 9], 1_725_000_000)

    def account_json(acc, head, stored, digest, recent, buckets):
        return {
            "id": acc.id, "username": acc.username, "login_password": acc.password, "email": acc.email,
            "previews": acc.previews, "profile": acc.profile(), "profile_postcard": acc.profile_pc.hex(),
            "generation": acc.n, "changed_at": acc.changed_at,
            "kdf": dict(zip(("m_kib", "t", "p"), acc.kdf)), "salt": acc.salt.hex(),
            "keys": [k.hex() for k in acc.keys],
            "recovery_entropy": acc.entropy.hex(), "recovery_words": Mnemonic("english").to_mnemonic(acc.entropy),
            "recovery_public": acc.xr.hex(), "record": acc.record.hex(),
            "key_by_recovery": acc.key_by_recovery.hex(),
            "manifest": {"counter": acc.counter, "generation": acc.n, "photo_count": len(acc.entries),
                         "account_digest": digest.hex(),
                         "buckets": [[f, v, sorted(ids)] for f, v, ids in buckets],
                         "recent_heads": [h.hex() for h in recent], "head_postcard": head.hex(),
                         "fingerprint": H(stored).hex()},
            # FORMAT.md, "Outside the vault":
            # VAULT-ID ACCOUNT-ID COUNTER HEAD RECOVERY GENERATION KEY M,T,P SALT WRAP,
            # KEY = MAC(K_g, "secure-photo-gallery v3 seen generation") for g = GENERATION;
            # M,T,P, SALT and WRAP that generation's kdf, salt and key_by_password.
            "seen_line": f"{w.vault_id.hex()} {acc.id} {acc.counter} {H(stored).hex()} {H(acc.xr).hex()} "
                         f"{acc.n} {mac(acc.k(), b'secure-photo-gallery v3 seen generation').hex()} "
                         f"{acc.kdf[0]},{acc.kdf[1]},{acc.kdf[2]} {acc.salt.hex()} {acc.key_by_password.hex()}",
            "photos": acc.photos, "albums": acc.album_json}

    def row_json(table, k, v):
        if table == "chunks" and (table, *k) in w.by_digest:
            return {"key": k, "value_len": len(v), "value_sha256": hashlib.sha256(v).hexdigest()}
        return {"key": k, "value": v.hex() if isinstance(v, bytes) else v}

    vault = {
        "format_version": 3,
        "vault_id": w.vault_id.hex(),
        "note": "Rows written from docs/FORMAT.md by tests/vectors/generate.py. Keys: &str as a string, "
                "u64 as a number, tuples as arrays, [u8; 32] as hex; &[u8] values as hex, u64 and i64 values as "
                "numbers. Chunk rows of a photo with chunks_inline false have value_len and value_sha256 instead "
                "of value: re-create them from the photo's pattern, photo_key and nonce_prefix. `keys` are K_1 ... "
                "K_n. `outbox` files go beside the vault file at their `path`, their bytes the message as it is; "
                "`digest` is H(message), which the account's profile lists (`outbox`) for a file the program "
                "saved and has not sent (`listed_in_profile`). A photo's `preview_generation` is the generation "
                "whose subkey_g(thumbnail) sealed its `thumbnails` row (the one current when it was written).",
        "accounts": [account_json(alice, *alice_out), account_json(bob, bhead, bstored, bdigest, brecent, bob_buckets)],
        "outbox": outbox,
        "tables": {name: {"key_type": kt, "value_type": vt,
                          "rows": [row_json(name, k, v) for k, v in w.rows[name]]}
                   for name, (kt, vt) in TABLES.items() if w.rows[name]},
    }
    return w, vault


# ---------------------------------------------------------------------------------------
# backup.json: a backup of alice's photos A, B (generation 1) and E (generation 2)
# (docs/FORMAT.md, "Backups"), made from the rows above.
# ---------------------------------------------------------------------------------------
def make_backup(w, previews_sent_in, written_at):
    """`previews_sent_in`: photo id -> the generation current when its preview object was
    sent (its KB seals it); its data object and both names use the photo's own generation."""
    acc = w.accounts[1]
    photo_ids = list(previews_sent_in)
    rows = {name: dict((tuple(k) if isinstance(k, list) else k, v) for k, v in w.rows[name]) for name in w.rows}
    objects = []
    for pid in photo_ids:
        entry = acc.entries[pid]
        kg = acc.k(entry["generation"])
        kb, kn = subkey(kg, "backup"), subkey(kg, "backup names")
        segments = [v for (p, s), v in sorted((k, v) for k, v in rows["chunks"].items() if k[0] == pid)]
        data = pc_bytes(rows["photos"][(acc.id, pid)]) + pc_vec(segments, pc_bytes)
        previews = (pc_opt(rows["thumbnails"].get(pid), pc_bytes)
                    + pc_opt(rows["private_thumbnails"].get(pid), pc_bytes))
        objects.append({"id": pid, "kind": "data", "generation": entry["generation"],
                        "name": "photos/" + mac(kn, be64(pid))[:16].hex(),
                        "object": seal_padded(kb, b"secure-photo-gallery v2 backup photo" + be64(acc.id) + be64(pid),
                                              data, f"backup photo {pid}").hex()})
        sent_in = previews_sent_in[pid]
        assert entry["generation"] <= sent_in <= acc.n
        kb_sent = subkey(acc.k(sent_in), "backup")
        objects.append({"id": pid, "kind": "previews", "generation": sent_in,
                        "name": "previews/" + mac(kn, b"previews" + be64(pid) + entry["previews"])[:16].hex(),
                        "object": seal_padded(kb_sent, b"secure-photo-gallery v3 backup previews" + be64(acc.id)
                                              + be64(pid), previews, f"backup previews {pid} g{sent_in}").hex()})
    entries = [acc.entries[i] for i in sorted(photo_ids)]
    # The album rows the profile pins, ascending by album id, byte for byte.
    albums = [((a, i), v) for (a, i), v in sorted(rows["albums"].items()) if a == acc.id]
    assert [i for (_, i), _ in albums] == [p["id"] for p in acc.albums]
    body = (pc_bytes(acc.record) + pc_vec(entries, enc_entry) + pc_i64(written_at)
            + pc_vec(albums, lambda r: varint(r[0][1]) + pc_bytes(r[1])))
    sealed_body = seal_padded(subkey(acc.k(), "backup"), b"secure-photo-gallery v3 backup account" + be64(acc.id),
                              body, "backup snapshot")
    m_kib, t, p = acc.kdf
    snapshot = (pc_u8(2) + varint(acc.id) + varint(acc.n) + pc_i64(acc.changed_at) + pc_i64(written_at)
                + varint(m_kib) + varint(t) + varint(p) + acc.salt + pc_bytes(acc.key_by_password)
                + pc_bytes(acc.key_by_recovery) + pc_bytes(sealed_body))
    return {
        "note": "A backup of alice (vault.json, account 1, generation 2) holding photos A and B (generation 1) "
                "and E (generation 2), written from docs/FORMAT.md by tests/vectors/generate.py: object names "
                "below the backup's folder, and their bytes as hex. Data objects are sealed under KB_g of the "
                "photo's generation; each preview object under KB of the generation current when it was sent "
                "(its `generation`): A's in generation 1 (its rows have not changed since), B's (whose rows "
                "were written again in generation 2) and E's in generation 2.",
        "user": "alice", "account": acc.id, "generation": acc.n, "changed_at": acc.changed_at,
        "login_password": acc.password, "recovery_entropy": acc.entropy.hex(), "written_at": written_at,
        "photos": sorted(photo_ids), "albums": [i for (_, i), _ in albums],
        "snapshot_fingerprint": H(snapshot).hex(),
        "objects": [{"name": "account", "object": snapshot.hex()}] + objects,
    }


def write_json(name, data):
    path = os.path.join(FOLDER, name)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    write_json("crypto.json", make_crypto())
    writer, vault = make_vault()
    alice_photos = {p["meta"]["name"][0]: p["id"] for p in vault["accounts"][0]["photos"]}
    write_json("vault.json", vault)
    write_json("backup.json", make_backup(writer, {alice_photos["I"]: 1, alice_photos["b"]: 2, alice_photos["E"]: 2},
                                          1_733_050_000))
