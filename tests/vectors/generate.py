#!/usr/bin/env python3
"""Known-answer vectors for Secure Photo Gallery's crypto, computed independently of
the Rust code with the `cryptography`, `pycryptodome` (XChaCha20-Poly1305) and `blake3`
packages (pip install 'cryptography>=44' pycryptodome blake3).

Writes crypto.json beside this file. The Rust test tests/crypto_vectors.rs checks the
implementation against it. Also writes vault.json: every row of a small vault (two
accounts, four photos) made from docs/FORMAT.md alone, which tests/vault_vectors.rs puts
into a redb file and opens with the crate's public API; and backup.json, a backup of one
account (FORMAT.md, "Backups"), which the same test restores. Re-run only when
docs/FORMAT.md changes on purpose.
"""
import hashlib, json, os
from blake3 import blake3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives import serialization
from Crypto.Cipher import ChaCha20_Poly1305

CHUNK_SIZE = 64 * 1024 - 80

def hkdf(ikm, info, salt=None):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)

def pattern(n):
    return bytes((i * 31) % 251 for i in range(n))

def stream_encrypt(key, prefix, data):
    chunks = [data[i:i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)] or [b""]
    out = []
    for i, c in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        nonce = prefix + i.to_bytes(4, "big") + bytes([last])
        out.append(AESGCM(key).encrypt(nonce, c, b""))
    return out

def xchacha_seal(key, nonce, plaintext, aad):
    """Seal(K, AAD, P) of FORMAT.md: nonce (24 bytes) || XChaCha20-Poly1305 ciphertext || tag."""
    c = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    c.update(aad)
    ct, tag = c.encrypt_and_digest(plaintext)
    return nonce + ct + tag

def raw_pub(priv):
    return priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

key = bytes(range(32))
prefix = bytes([0xA0, 1, 2, 3, 4, 5, 6])
vectors = {"chunk_size": CHUNK_SIZE, "stream": [], "subkeys": {}, "argon2id": [], "photo_wrap": [], "seal": [], "recovery": []}

for n in [0, 1, 100, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 5]:
    chunks = stream_encrypt(key, prefix, pattern(n))
    v = {"key": key.hex(), "prefix": prefix.hex(), "plaintext_len": n,
         "chunk_sha256": [hashlib.sha256(c).hexdigest() for c in chunks]}
    if n <= 100:
        v["chunks"] = [c.hex() for c in chunks]
    vectors["stream"].append(v)

master = bytes(range(100, 132))
vectors["master"] = master.hex()
for name, label in [("metadata", b"metadata"), ("thumbnail", b"thumbnail"), ("content-hash", b"content-hash"),
                    ("verify", b"verify"), ("profile", b"profile"), ("manifest", b"manifest")]:
    vectors["subkeys"][name] = hkdf(master, b"secure-photo-gallery v1 " + label)

vectors["subkeys"] = {k: v.hex() for k, v in vectors["subkeys"].items()}
vectors["keyed_hash"] = {"key": master.hex(), "data": b"photo bytes".hex(),
                         "blake3_keyed": blake3(b"photo bytes", key=master).hexdigest()}

for pw, salt in [("correct horse battery staple", bytes([7] * 16)), ("p\u00e4ssw\u00f6rd", bytes(range(16)))]:
    for lanes in (1, 2):
        k = Argon2id(salt=salt, length=32, iterations=3, lanes=lanes, memory_cost=64 * 1024).derive(pw.encode())
        vectors["argon2id"].append({"password": pw, "salt": salt.hex(), "m_kib": 65536, "t": 3, "p": lanes,
                                    "key": k.hex()})

for photo_id, pw in [(0x12345, "ABCDEFGHJKMNPQRSTVWX"), (2**40 - 1, "0123456789ABCDEFGHJK")]:
    k = hkdf(master + pw.encode(), b"secure-photo-gallery v1 photo-key-wrap", salt=photo_id.to_bytes(8, "big"))
    vectors["photo_wrap"].append({"photo_id": photo_id, "password": pw, "key": k.hex()})

nonce = bytes(range(24))
aad = b"secure-photo-gallery v1 photo-key" + (0x12345).to_bytes(8, "big")
sealed = xchacha_seal(key, nonce, master, aad)
vectors["seal"].append({"key": key.hex(), "aad": aad.hex(), "plaintext": master.hex(), "sealed": sealed.hex()})

entropy = bytes(range(200, 232))
rk_x = hkdf(entropy, b"secure-photo-gallery v1 recovery x25519")
recipient = X25519PrivateKey.from_private_bytes(rk_x)
eph = X25519PrivateKey.from_private_bytes(bytes(range(50, 82)))
eph_pub, rec_pub = raw_pub(eph), raw_pub(recipient)
shared = eph.exchange(recipient.public_key())
seal_key = hkdf(shared, b"secure-photo-gallery v1 recovery photo-key", salt=eph_pub + rec_pub)
photo_key = bytes(range(1, 33))
photo_id = 0xABCDE
sealed = eph_pub + xchacha_seal(seal_key, nonce, photo_key, photo_id.to_bytes(8, "big"))
vectors["recovery"].append({
    "entropy": entropy.hex(), "master_wrap_key": hkdf(entropy, b"secure-photo-gallery v1 recovery master-wrap").hex(),
    "public_key": rec_pub.hex(), "photo_id": photo_id, "photo_key": photo_key.hex(), "sealed": sealed.hex()})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crypto.json")
with open(path, "w") as f:
    json.dump(vectors, f, indent=1)
    f.write("\n")
print("wrote", path)


# ---------------------------------------------------------------------------------------
# vault.json: a whole small vault (format 2), written from docs/FORMAT.md alone. Every
# "random" value comes from `rnd` below, so the output is the same on every run. The Rust
# test tests/vault_vectors.rs inserts the rows into a fresh redb file and opens it with
# the crate's public API.
# ---------------------------------------------------------------------------------------
import unicodedata
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SEGMENT_CHUNKS = 16


def rnd(label, n):
    """The vectors' fixed stand-in for the OS random generator."""
    return hashlib.shake_256(b"spg vault vectors: " + label.encode()).digest(n)


def be64(x):
    return x.to_bytes(8, "big")


def be32(x):
    return x.to_bytes(4, "big")


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


def seal(k, aad, p, label):
    return xchacha_seal(k, rnd("nonce " + label, 24), p, aad)


def seal_padded(k, aad, p, label):
    return seal(k, aad, pad(p), label)


def mac(k, m):
    return blake3(m, key=k).digest()


def subkey(m, purpose):
    return hkdf(m, b"secure-photo-gallery v1 " + purpose.encode())


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


def photo_id_text(i):
    assert 0 <= i < 2**40
    return "".join(CROCKFORD[(i >> (35 - 5 * k)) & 31] for k in range(8))


def pattern_bytes(pat):
    """A photo's bytes: given as bytes, or (n, mul, add, mod) for bytes (i * mul + add) % mod, i < n."""
    if isinstance(pat, bytes):
        return pat
    n, mul, add, mod = pat
    return bytes((i * mul + add) % mod for i in range(n))


def bmp_4x4():
    """A real 4 x 4 24-bit BMP (102 bytes), so the test can import the same file again and
    see the program find it by its content hash."""
    pixels = bytes((x * 60 + y * 5 + c * 90) % 256 for y in range(4) for x in range(4) for c in range(3))
    dib = (40).to_bytes(4, "little") + (4).to_bytes(4, "little") + (4).to_bytes(4, "little") \
        + (1).to_bytes(2, "little") + (24).to_bytes(2, "little") + bytes(4) + len(pixels).to_bytes(4, "little") \
        + (2835).to_bytes(4, "little") * 2 + bytes(8)
    size = 14 + len(dib) + len(pixels)
    return b"BM" + size.to_bytes(4, "little") + bytes(4) + (14 + len(dib)).to_bytes(4, "little") + dib + pixels


# An 8 x 6 grey JPEG (166 bytes, made once with Pillow): a sharp thumbnail the program can
# decode, for the photo it converts from the blurred form when it is unlocked.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffc0000b080006000801011100ffc40014000100000000000000000000000000000003ffc4001810000203"
    "000000000000000000000000000001030623ffda0008010100003f003a6c2b33ffd9")
assert len(TINY_JPEG) == 166


def password_symbols(label):
    bits = int.from_bytes(rnd("photo password " + label, 13), "big") >> 4   # 100 bits
    return "".join(CROCKFORD[(bits >> (95 - 5 * k)) & 31] for k in range(20))


def display_password(pw):
    return "-".join(pw[i:i + 5] for i in range(0, 20, 5))


def x25519_pub(secret):
    return raw_pub(X25519PrivateKey.from_private_bytes(secret))


class VaultWriter:
    def __init__(self):
        self.vault_id = rnd("vault_id", 16)
        self.rows = {name: [] for name in TABLES}
        self.row("header", "format_version", (2).to_bytes(4, "little"))
        self.row("header", "vault_id", self.vault_id)
        self.accounts = {}
        self.out_accounts = []
        self.by_digest = set()

    def row(self, table, key, value):
        self.rows[table].append((key, value))

    def register(self, account, username, password, email, previews, kdf=(65536, 3, 2)):
        m = rnd(f"master {account}", 32)
        salt = rnd(f"salt {account}", 16)
        m_kib, t, p = kdf
        kp = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m_kib).derive(
            unicodedata.normalize("NFC", password).encode())
        r = rnd(f"recovery entropy {account}", 32)
        kr = hkdf(r, b"secure-photo-gallery v1 recovery master-wrap")
        xr = x25519_pub(hkdf(r, b"secure-photo-gallery v1 recovery x25519"))
        a = b"secure-photo-gallery v1 master" + be64(account)
        profile = pc_str(email) + pc_opt(None, None) + pc_u8(previews)
        record = (pc_u8(2) + pc_str(username) + varint(m_kib) + varint(t) + varint(p) + salt
                  + pc_bytes(seal(kp, a, m, f"master_by_password {account}"))
                  + pc_bytes(seal(kr, a, m, f"master_by_recovery {account}"))
                  + xr
                  + pc_bytes(seal_padded(subkey(m, "profile"), b"secure-photo-gallery v1 profile" + be64(account),
                                         profile, f"profile {account}")))
        self.row("accounts", account, record)
        self.row("usernames", username.lower(), account)
        acc = {"id": account, "m": m, "kp": kp, "xr": xr, "record": record, "counter": 1, "buckets": {},
               "bucket_versions": [0] * 256, "photos": [], "index": []}
        self.accounts[account] = acc
        self.out_accounts.append({
            "id": account, "username": username, "login_password": password, "email": email,
            "previews": previews, "kdf": {"m_kib": m_kib, "t": t, "p": p}, "salt": salt.hex(),
            "master_key": m.hex(), "recovery_entropy": r.hex(), "recovery_public": xr.hex(),
            "profile_postcard": profile.hex(), "photos": []})

    def store_photo(self, account, photo_id, pat, meta, thumbnail, placeholder=None, inline_chunks=True):
        """Stores a photo as one write: rows of the photo plus the manifest update. The file
        bytes are `pattern_bytes(pat)`. With inline_chunks False the chunk rows are given in
        the JSON by length and SHA-256 only (the test re-creates them from the photo key)."""
        data = pattern_bytes(pat)
        acc = self.accounts[account]
        out = next(a for a in self.out_accounts if a["id"] == account)
        # Two forms are written here: sharp (a `thumbnails` row only) in a sharp account, and
        # blurred (placeholder in `thumbnails`, thumbnail in `private_thumbnails`) in any
        # account. A photo whose form differs from the account's is converted when it is
        # unlocked, and the program decodes the thumbnail then: such a photo needs a real
        # JPEG (TINY_JPEG), and a sharp photo in a blurred account would need a placeholder
        # made from it, which is left out.
        assert placeholder is not None or out["previews"] == 0
        m = acc["m"]
        label = f"photo {photo_id}"
        kf = rnd("photo key " + label, 32)
        pw = password_symbols(label)
        prefix = rnd("nonce prefix " + label, 7)
        # Photo bytes: padded to Padmé(size), cut into chunks, STREAM-encrypted.
        padded = data + bytes(padme(len(data)) - len(data))
        chunks = stream_encrypt(kf, prefix, padded)
        assert len(chunks) == max(1, -(-len(padded) // CHUNK_SIZE))
        # Segments: groups of 16 chunks while they fit, then one chunk each.
        n = len(chunks)
        groups = [chunks[i:i + SEGMENT_CHUNKS] for i in range(0, n - n % SEGMENT_CHUNKS, SEGMENT_CHUNKS)]
        groups += [[c] for c in chunks[n - n % SEGMENT_CHUNKS:]]
        segments = [b"".join(g) for g in groups]
        assert len(segments) == n // 16 + n % 16
        ciphertext_mac = mac(subkey(m, "verify"),
                             be64(photo_id) + b"".join(be32(s) + be64(len(seg)) + seg for s, seg in enumerate(segments)))
        content_hash = mac(subkey(m, "content-hash"), data)
        # Photo key, sealed for the photo password and for the recovery key.
        kw = hkdf(m + pw.encode(), b"secure-photo-gallery v1 photo-key-wrap", salt=be64(photo_id))
        key_by_password = seal(kw, b"secure-photo-gallery v1 photo-key" + be64(photo_id), kf, "key_by_password " + label)
        e = X25519PrivateKey.from_private_bytes(rnd("ephemeral " + label, 32))
        e_pub = raw_pub(e)
        shared = e.exchange(X25519PublicKey.from_public_bytes(acc["xr"]))
        assert shared != bytes(32)
        k = hkdf(shared, b"secure-photo-gallery v1 recovery photo-key", salt=e_pub + acc["xr"])
        key_by_recovery = e_pub + seal(k, be64(photo_id), kf, "key_by_recovery " + label)
        assert len(key_by_password) == 72 and len(key_by_recovery) == 104
        header = (pc_u8(2) + prefix + varint(len(chunks)) + pc_bytes(key_by_password) + pc_bytes(key_by_recovery)
                  + ciphertext_mac + content_hash)
        meta_pc = (pc_str(meta["name"]) + pc_str(meta["mime"]) + varint(len(data)) + varint(meta["width"])
                   + varint(meta["height"]) + pc_u8(meta["orientation"]) + pc_opt(meta["taken_at"], pc_str)
                   + pc_opt(meta["camera"], pc_str) + pc_bool(meta["has_gps"]) + pc_i64(meta["imported_at"]))
        sealed_meta = seal_padded(subkey(m, "metadata"),
                                  b"secure-photo-gallery v1 metadata" + be64(account) + be64(photo_id) + header,
                                  meta_pc, "metadata " + label)
        self.row("photos", [account, photo_id], pc_bytes(header) + pc_bytes(sealed_meta))
        for s, seg in enumerate(segments):
            self.row("chunks", [photo_id, s], seg)
            if not inline_chunks:
                self.by_digest.add(("chunks", photo_id, s))
        login_thumbnail = thumbnail if placeholder is None else placeholder
        # The login's preview: the thumbnail, or a placeholder under its own associated data.
        login_aad = (b"secure-photo-gallery v1 thumbnail" if placeholder is None
                     else b"secure-photo-gallery v2 placeholder") + be64(account) + be64(photo_id)
        self.row("thumbnails", photo_id,
                 seal_padded(subkey(m, "thumbnail"), login_aad, login_thumbnail, "thumbnail " + label))
        if placeholder is not None:
            kt = hkdf(kf, b"secure-photo-gallery v2 private thumbnail")
            self.row("private_thumbnails", photo_id,
                     seal_padded(kt, b"secure-photo-gallery v2 private thumbnail" + be64(account) + be64(photo_id),
                                 thumbnail, "private thumbnail " + label))
        self.row("content_hashes", [account, content_hash.hex()], photo_id)
        # The write's manifest update.
        acc["counter"] += 1
        b = photo_id % 256
        acc["buckets"].setdefault(b, []).append(photo_id)
        acc["bucket_versions"][b] = acc["counter"]
        acc["photos"].append(photo_id)
        acc["index"].append((photo_id, meta_pc))
        out["photos"].append({
            "id": photo_id, "id_text": photo_id_text(photo_id), "password": display_password(pw),
            "password_canonical": pw, "photo_key": kf.hex(), "nonce_prefix": prefix.hex(),
            "bytes": len(data), "padded_bytes": len(padded), "chunk_count": len(chunks), "segments": len(segments),
            "sha256": hashlib.sha256(data).hexdigest(),
            "pattern": None if isinstance(pat, bytes) else dict(zip(("n", "mul", "add", "mod"), pat)),
            "file": data.hex() if isinstance(pat, bytes) else None,
            "chunks_inline": inline_chunks, "meta": meta,
            "thumbnail": thumbnail.hex(),
            "login_thumbnail": login_thumbnail.hex(), "unlocked_thumbnail": thumbnail.hex(),
            "stored_previews": 0 if placeholder is None else 1,
            # What the login shows once the photo was unlocked: converted to the account's mode.
            "login_thumbnail_after_unlock": (thumbnail if out["previews"] == 0 else login_thumbnail).hex(),
            "content_hash": content_hash.hex(), "ciphertext_mac": ciphertext_mac.hex(),
            "header_postcard": header.hex(), "meta_postcard": meta_pc.hex()})

    def finish(self, indexed=()):
        """Writes each account's manifest head and bucket rows as of its last write, and
        for the accounts `indexed` a list index of one segment (FORMAT.md, "The list
        index"); the others have none, which the program writes at their first list."""
        for account in indexed:
            acc = self.accounts[account]
            entries = pc_vec(acc["index"], lambda e: varint(e[0]) + e[1])
            aad = b"secure-photo-gallery v2 list index" + self.vault_id + be64(account) + be32(0)
            self.row("list_index", [account, 0],
                     seal_padded(subkey(acc["m"], "metadata"), aad, entries, f"list index {account} 0"))
        for account, acc in self.accounts.items():
            km = subkey(acc["m"], "manifest")
            for b, ids in sorted(acc["buckets"].items()):
                v = acc["bucket_versions"][b]
                ba = (b"secure-photo-gallery v2 manifest bucket" + self.vault_id + be64(account) + bytes([b])
                      + be64(v))
                self.row("manifest_buckets", [account, b],
                         seal(km, ba, pc_vec(sorted(ids), varint), f"bucket {account} {b}"))
            digest = mac(km, b"secure-photo-gallery v2 account record" + acc["record"])
            head = (pc_u8(2) + varint(acc["counter"]) + digest + varint(sum(len(i) for i in acc["buckets"].values()))
                    + pc_vec(acc["bucket_versions"], varint)
                    # recent_heads: the fingerprints of earlier heads (none are written here, so
                    # none are listed; a reader cannot then tell a fork, which is allowed).
                    + varint(0))
            ha = b"secure-photo-gallery v2 manifest" + self.vault_id + be64(account)
            self.row("manifests", account, seal(km, ha, head, f"manifest {account}"))
            out = next(a for a in self.out_accounts if a["id"] == account)
            out["manifest"] = {"counter": acc["counter"], "photo_count": len(acc["photos"]),
                               "account_digest": digest.hex(),
                               "bucket_versions": {str(b): v for b, v in enumerate(acc["bucket_versions"]) if v},
                               "head_postcard": head.hex()}


# table: (redb key type, redb value type), as in FORMAT.md's "Tables"
TABLES = {
    "header": ("&str", "&[u8]"),
    "accounts": ("u64", "&[u8]"),
    "usernames": ("&str", "u64"),
    "manifests": ("u64", "&[u8]"),
    "manifest_buckets": ("(u64, u8)", "&[u8]"),
    "photos": ("(u64, u64)", "&[u8]"),
    "chunks": ("(u64, u32)", "&[u8]"),
    "thumbnails": ("u64", "&[u8]"),
    "private_thumbnails": ("u64", "&[u8]"),
    "content_hashes": ("(u64, &[u8; 32])", "u64"),
    "list_index": ("(u64, u32)", "&[u8]"),
}


def make_vault():
    w = VaultWriter()
    # alice: sharp previews (0); photos A, B and D.
    w.register(1, "alice", "correct horse battery staple", "alice@example.com", previews=0)
    # bob: blurred previews (1); the login password is stored NFC ("ü" composed) and is
    # typed decomposed ("u" + U+0308) by the test, which NFC makes the same password. Photo C.
    w.register(2, "bob", "gr\u00fcn tea at n\u00efne", "bob@example.com", previews=1)
    # A: 2 chunks (2 segments); D: 17 chunks (one segment of 16, then one of 1), in the
    # same manifest bucket as A (0x11) with a smaller id, so the bucket lists [D, A]. D is
    # stored in the blurred form although alice's previews are sharp (as if she changed
    # the setting after storing it): the program converts it when it is next unlocked.
    a_id, b_id, c_id, d_id = 0x3A_5C96_0E11, 0x07_D2B4_41A2, 0xF1_0000_2BC3, 0x00_1234_5611
    w.store_photo(1, a_id, (70_000, 31, 0, 251), {
        "name": "IMG_0001 (A).jpg", "mime": "image/jpeg", "width": 4032, "height": 3024, "orientation": 1,
        "taken_at": "2024-06-15T10:30:00", "camera": "Python Vectors Cam", "has_gps": True,
        "imported_at": 1_718_447_400}, b"thumbnail of A")
    w.store_photo(1, b_id, bmp_4x4(), {
        "name": "b\u00e9b\u00e9.bmp", "mime": "image/bmp", "width": 4, "height": 4, "orientation": 6,
        "taken_at": None, "camera": None, "has_gps": False, "imported_at": -86_400}, b"thumbnail of B")
    w.store_photo(2, c_id, (1000, 13, 0, 256), {
        "name": "C.webp", "mime": "image/webp", "width": 640, "height": 480, "orientation": 1,
        "taken_at": "2023-01-02T03:04:05", "camera": None, "has_gps": False, "imported_at": 1_700_000_000},
        b"sharp thumbnail of C " * 30, placeholder=b"blurred placeholder of C")
    w.store_photo(1, d_id, (1_050_000, 37, 11, 253), {
        "name": "D.tif", "mime": "image/tiff", "width": 1, "height": 1, "orientation": 1,
        "taken_at": None, "camera": None, "has_gps": False, "imported_at": 1_718_447_401},
        TINY_JPEG, placeholder=b"blurred placeholder of D", inline_chunks=False)
    # alice's list index holds A, B and D; bob has none.
    w.finish(indexed=[1])

    def row_json(table, k, v):
        if table == "chunks" and (table, *k) in w.by_digest:
            return {"key": k, "value_len": len(v), "value_sha256": hashlib.sha256(v).hexdigest()}
        return {"key": k, "value": v.hex() if isinstance(v, bytes) else v}

    return w, {
        "format_version": 2,
        "vault_id": w.vault_id.hex(),
        "note": "Rows written from docs/FORMAT.md by tests/vectors/generate.py. Keys: &str as a string, "
                "u64 as a number, tuples as arrays, [u8; 32] as hex; &[u8] values as hex, u64 values as numbers. "
                "Chunk rows of a photo with chunks_inline false have value_len and value_sha256 instead of value: "
                "re-create them from the photo's pattern, photo_key and nonce_prefix.",
        "accounts": w.out_accounts,
        "tables": {name: {"key_type": kt, "value_type": vt,
                          "rows": [row_json(name, k, v) for k, v in w.rows[name]]}
                   for name, (kt, vt) in TABLES.items() if w.rows[name]},
    }


# ---------------------------------------------------------------------------------------
# backup.json: a backup of alice's photos A and B (docs/FORMAT.md, "Backups"), made from
# the rows above: the snapshot and the two photo objects with their names. The Rust test
# (tests/vault_vectors.rs) restores it into a new vault and opens the photos.
# ---------------------------------------------------------------------------------------
def make_backup(w, photo_ids):
    account = 1
    acc = w.accounts[account]
    m = acc["m"]
    kb = hkdf(m, b"secure-photo-gallery v2 backup")
    kn = hkdf(m, b"secure-photo-gallery v2 backup names")
    rows = {name: dict((tuple(k) if isinstance(k, list) else k, v) for k, v in w.rows[name]) for name in w.rows}
    out = next(a for a in w.out_accounts if a["id"] == account)
    mode = out["previews"]
    objects = []
    for pid in photo_ids:
        segments = [v for (p, s), v in sorted((k, v) for k, v in rows["chunks"].items() if k[0] == pid)]
        data = pc_bytes(rows["photos"][(account, pid)]) + pc_vec(segments, pc_bytes)
        previews = pc_opt(rows["thumbnails"].get(pid), pc_bytes) + pc_opt(rows["private_thumbnails"].get(pid), pc_bytes)
        objects.append({"id": pid, "name": "photos/" + mac(kn, be64(pid))[:16].hex(),
                        "object": seal_padded(kb, b"secure-photo-gallery v2 backup photo" + be64(account) + be64(pid),
                                              data, f"backup photo {pid}").hex()})
        objects.append({"id": pid, "name": "previews/" + mac(kn, b"previews" + bytes([mode]) + be64(pid))[:16].hex(),
                        "object": seal_padded(kb, b"secure-photo-gallery v2 backup previews" + be64(account)
                                              + be64(pid) + bytes([mode]), previews, f"backup previews {pid}").hex()})
    record = acc["record"]
    # The clear fields are the record's own: parse them back out of its postcard bytes.
    kdf = out["kdf"]
    body = pc_bytes(record) + pc_vec(sorted(photo_ids), varint) + pc_i64(1_733_000_000)
    wraps = record[1 + 1 + len(out["username"]) + len(varint(kdf["m_kib"]) + varint(kdf["t"]) + varint(kdf["p"])) + 16:]
    n1 = wraps[0]  # each wrap is 72 bytes: a one-byte varint length
    by_password, rest = wraps[1:1 + n1], wraps[1 + n1:]
    by_recovery = rest[1:1 + rest[0]]
    assert len(by_password) == 72 and len(by_recovery) == 72
    snapshot_aad = b"secure-photo-gallery v2 backup account" + be64(account)
    sealed_body = seal_padded(kb, snapshot_aad, body, "backup snapshot")
    # Signed with a key from the login password's key KP (not from M).
    body_mac = mac(hkdf(acc["kp"], b"secure-photo-gallery v2 backup snapshot"), snapshot_aad + sealed_body)
    snapshot = (pc_u8(1) + varint(account) + varint(kdf["m_kib"]) + varint(kdf["t"]) + varint(kdf["p"])
                + bytes.fromhex(out["salt"]) + pc_bytes(by_password) + pc_bytes(by_recovery)
                + pc_bytes(sealed_body) + body_mac)
    return {
        "note": "A backup of alice (vault.json) holding photos A and B, written from docs/FORMAT.md by "
                "tests/vectors/generate.py: object names below the backup's folder, and their bytes as hex.",
        "user": "alice", "login_password": out["login_password"], "recovery_entropy": out["recovery_entropy"],
        "written_at": 1_733_000_000,
        "objects": [{"name": "account", "object": snapshot.hex()}] + objects,
    }


folder = os.path.dirname(os.path.abspath(__file__))
writer, vault = make_vault()
for name, data in (("vault.json", vault), ("backup.json", make_backup(writer, [0x3A_5C96_0E11, 0x07_D2B4_41A2]))):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", path)
