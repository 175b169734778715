"""Ed25519 signatures in the minisign format (https://jedisct1.github.io/minisign/).

Public key file::

    untrusted comment: minisign public key <KEY ID>
    base64("Ed" + key id (8 bytes) + public key (32 bytes))

Signature file (``<file>.minisig``)::

    untrusted comment: <free text>
    base64("ED" + key id + Ed25519(BLAKE2b-512(file)))
    trusted comment: <text, covered by the global signature>
    base64(Ed25519(signature + trusted comment))

We sign pre-hashed (``ED``, minisign's default since 0.10, and what ``minisign -V -H`` demands);
the verifier also accepts the legacy ``Ed`` form (the file itself signed). The key id is the
first 8 bytes of SHA-256 of the public key, so the private key file holds the key alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rtcc.errors import RtccError

KEY_ALG = b"Ed"
SIG_PREHASHED = b"ED"
SIG_LEGACY = b"Ed"
UNTRUSTED = "untrusted comment: "
TRUSTED = "trusted comment: "


class SignatureError(RtccError):
    """A signature or key file is malformed, from another key, or does not match."""

    code = "bad_signature"


def key_id_text(key_id: bytes) -> str:
    """The key id as minisign prints it (a little-endian 64-bit number in hex)."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes
    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def id_text(self) -> str:
        return key_id_text(self.key_id)

    def file_text(self) -> str:
        blob = base64.b64encode(KEY_ALG + self.key_id + self.raw).decode()
        return f"{UNTRUSTED}minisign public key {self.id_text}\n{blob}\n"

    def verify(self, message: bytes, signature_text: str) -> str:
        """Check a .minisig file's text over ``message``; return its trusted comment."""
        alg, key_id, sig, trusted, global_sig = _parse_signature(signature_text)
        if key_id != self.key_id:
            raise SignatureError(
                f"signed by key {key_id_text(key_id)}, not by key {self.id_text}"
            )
        signed = hashlib.blake2b(message, digest_size=64).digest() if alg == SIG_PREHASHED \
            else message
        try:
            self.key.verify(sig, signed)
        except InvalidSignature:
            raise SignatureError("signature does not match the file") from None
        try:
            self.key.verify(global_sig, sig + trusted.encode())
        except InvalidSignature:
            raise SignatureError("trusted comment was altered (global signature fails)") from None
        return trusted


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        pub = self.private.public_key()
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(key_id=hashlib.sha256(raw).digest()[:8], key=pub)

    def sign(self, message: bytes, *, trusted_comment: str, untrusted_comment: str) -> str:
        """A minisign signature file for ``message`` (deterministic: Ed25519 has no nonce)."""
        for text in (trusted_comment, untrusted_comment):
            if "\n" in text or "\r" in text:
                raise ValueError("minisign comments are one line")
        pub = self.public
        sig = self.private.sign(hashlib.blake2b(message, digest_size=64).digest())
        global_sig = self.private.sign(sig + trusted_comment.encode())
        return (
            f"{UNTRUSTED}{untrusted_comment}\n"
            f"{base64.b64encode(SIG_PREHASHED + pub.key_id + sig).decode()}\n"
            f"{TRUSTED}{trusted_comment}\n"
            f"{base64.b64encode(global_sig).decode()}\n"
        )


def _b64(line: str, what: str) -> bytes:
    try:
        return base64.b64decode(line.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what}: not base64") from None


def _parse_signature(text: str) -> tuple[bytes, bytes, bytes, str, bytes]:
    lines = text.splitlines()
    if len(lines) < 4 or not lines[0].startswith(UNTRUSTED) or not lines[2].startswith(TRUSTED):
        raise SignatureError("signature file: not in minisign format (4 lines expected)")
    blob = _b64(lines[1], "signature")
    if len(blob) != 74 or blob[:2] not in (SIG_PREHASHED, SIG_LEGACY):
        raise SignatureError("signature: unsupported algorithm or wrong length")
    global_sig = _b64(lines[3], "global signature")
    if len(global_sig) != 64:
        raise SignatureError("global signature: wrong length")
    return blob[:2], blob[2:10], blob[10:], lines[2][len(TRUSTED):], global_sig


def parse_public_key(text: str) -> PublicKey:
    """A minisign public key: the file's text, or only its base64 line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith(UNTRUSTED):
        lines = lines[1:]
    if not lines:
        raise SignatureError("public key: empty")
    blob = _b64(lines[0], "public key")
    if len(blob) != 42 or blob[:2] != KEY_ALG:
        raise SignatureError("public key: not a minisign Ed25519 key")
    return PublicKey(key_id=blob[2:10], key=Ed25519PublicKey.from_public_bytes(blob[10:]))


def load_or_create(path: Path) -> SigningKey:
    """The product's signing key (PKCS#8 PEM, mode 0600), created on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, never replaces a key another process just made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path}: not an Ed25519 private key")
    return SigningKey(key)
