#!/usr/bin/env python3
"""Known-answer vectors for Secure Photo Gallery's crypto, computed independently of
the Rust code with the `cryptography`, `pycryptodome` (XChaCha20-Poly1305) and `blake3`
packages (pip install 'cryptography>=44' pycryptodome blake3).

Writes crypto.json beside this file. The Rust test tests/crypto_vectors.rs checks the
implementation against it. Re-run only when docs/FORMAT.md changes on purpose.
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
