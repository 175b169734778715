"""The minisign format, checked against the real ``minisign`` binary where installed."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtcc.evidence.minisign import SignatureError, SigningKey, load_or_create, parse_public_key

MINISIGN = shutil.which("minisign")


def test_key_is_created_once_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "k" / "signing.key"
    key = load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create(path).public.raw == key.public.raw
    text = key.public.file_text()
    assert text.startswith(f"untrusted comment: minisign public key {key.public.id_text}\n")
    assert parse_public_key(text).raw == key.public.raw


def test_sign_and_verify_and_every_kind_of_forgery(tmp_path: Path) -> None:
    key = SigningKey(Ed25519PrivateKey.generate())
    sig = key.sign(b"manifest", trusted_comment="export 1", untrusted_comment="u")
    assert key.public.verify(b"manifest", sig) == "export 1"
    with pytest.raises(SignatureError, match="does not match the file"):
        key.public.verify(b"manifesT", sig)
    forged = sig.replace("trusted comment: export 1", "trusted comment: export 2")
    with pytest.raises(SignatureError, match="trusted comment was altered"):
        key.public.verify(b"manifest", forged)
    other = SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match=f"not by key {other.public.id_text}"):
        other.public.verify(b"manifest", sig)
    with pytest.raises(SignatureError, match="not in minisign format"):
        key.public.verify(b"manifest", "garbage")
    with pytest.raises(ValueError, match="one line"):
        key.sign(b"x", trusted_comment="a\nb", untrusted_comment="u")


def test_legacy_ed_signatures_are_accepted() -> None:
    """minisign before 0.10 signed the file itself (algorithm "Ed")."""
    key = SigningKey(Ed25519PrivateKey.generate())
    raw = key.private.sign(b"data")
    glob = key.private.sign(raw + b"old")
    blob = base64.b64encode(b"Ed" + key.public.key_id + raw).decode()
    text = (f"untrusted comment: x\n{blob}\ntrusted comment: old\n"
            f"{base64.b64encode(glob).decode()}\n")
    assert key.public.verify(b"data", text) == "old"


@pytest.mark.skipif(MINISIGN is None, reason="minisign is not installed")
def test_the_real_minisign_accepts_our_files_and_we_accept_its(tmp_path: Path) -> None:
    key = load_or_create(tmp_path / "ours.key")
    (tmp_path / "ours.pub").write_text(key.public.file_text())
    (tmp_path / "doc.txt").write_bytes(b"chain of custody\n")
    (tmp_path / "doc.txt.minisig").write_text(key.sign(
        b"chain of custody\n", trusted_comment="case 42", untrusted_comment="test"))
    ok = subprocess.run([str(MINISIGN), "-Vm", "doc.txt", "-p", "ours.pub"], cwd=tmp_path,
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "Trusted comment: case 42" in ok.stdout, ok.stderr
    # and the other way round: a key pair and signature made by minisign itself
    subprocess.run([str(MINISIGN), "-G", "-W", "-p", "theirs.pub", "-s", "theirs.key"],
                   cwd=tmp_path, check=True, capture_output=True)
    subprocess.run([str(MINISIGN), "-S", "-s", "theirs.key", "-m", "doc.txt", "-x", "t.sig",
                    "-t", "signed by minisign"], cwd=tmp_path, check=True, capture_output=True)
    theirs = parse_public_key((tmp_path / "theirs.pub").read_text())
    sig = (tmp_path / "t.sig").read_text()
    assert theirs.verify(b"chain of custody\n", sig) == "signed by minisign"
    with pytest.raises(SignatureError):
        theirs.verify(b"chain of custody!\n", sig)
