"""Signed checkpoints of the audit chain head: an insider who rewrites the table cannot re-sign.

The hash chain (``rtcc.audit``) shows that rows were changed only if the attacker cannot
recompute it; anyone with write access to the database can. A checkpoint is the head of the
chain (row id and hash) signed with an Ed25519 key kept outside the database and written to a
directory the auditor controls. Checkpoints are numbered and each names the digest of the one
before, and every checkpoint is also recorded in the trail (action ``audit.checkpoint``), so a
deleted checkpoint file is as visible as a deleted row. ``rtcc.audit_verify`` checks them.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit, datadir
from rtcc.audit import GENESIS, SYSTEM, Actor
from rtcc.config import Settings
from rtcc.errors import ConfigError, ConflictError
from rtcc.models import AuditEvent

CHECKPOINT_ACTION = "audit.checkpoint"
PUBLIC_PREFIX = "ed25519:"
_FILE_GLOB = "checkpoint-*.json"


class AuditChainBrokenError(ConflictError):
    """The chain no longer matches the last checkpoint (or itself): nothing is signed."""

    code = "audit_chain_broken"


# --- keys ----------------------------------------------------------------------------------


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at ``path``; created (mode 0600) when the file does not exist.

    A key file that others may read is refused: it would let them forge checkpoints.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: audit signing key is readable by others (mode {mode:o}); "
                          "chmod 600 it")
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not a PEM private key: {exc}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 key")
    return loaded


def public_text(key: Ed25519PublicKey) -> str:
    """One printable line: ``ed25519:<base64 of the 32 raw bytes>``."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def parse_public_key(value: str) -> Ed25519PublicKey:
    """A public key given as ``ed25519:…`` text, a PEM, or a file holding either."""
    text = value.strip()
    if not text.startswith((PUBLIC_PREFIX, "-----")) and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8").strip()
    try:
        if text.startswith(PUBLIC_PREFIX):
            raw = base64.b64decode(text[len(PUBLIC_PREFIX):], validate=True)
            return Ed25519PublicKey.from_public_bytes(raw)
        loaded = serialization.load_pem_public_key(text.encode())
    except ValueError as exc:
        raise ConfigError(f"public key: cannot read {value!r}: {exc}") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise ConfigError("public key: not an Ed25519 key")
    return loaded


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    made_at: str  # ISO UTC
    row_id: int  # last row of the chain when signed (0: empty chain)
    row_hash: str
    rows: int
    prev_checkpoint: str | None  # digest of the previous checkpoint's payload
    key_id: str
    reason: str  # scheduled | retention | manual
    signature: str = ""

    def payload(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.payload()).hexdigest()

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(base64.b64decode(self.signature), self.payload())
        except (InvalidSignature, ValueError):
            return False
        return True


def checkpoint_from_json(data: Any) -> Checkpoint:
    """Raises ValueError/TypeError/KeyError on a malformed file (the verifier reports it)."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    fields = {name: data[name] for name in Checkpoint.__dataclass_fields__}
    cp = Checkpoint(**fields)
    if not isinstance(cp.seq, int) or not isinstance(cp.row_id, int):
        raise ValueError("seq and row_id must be integers")
    return cp


def file_name(cp: Checkpoint) -> str:
    return f"checkpoint-{cp.seq:08d}.json"


def read_dir(directory: Path) -> list[tuple[Path, Checkpoint | str]]:
    """Every checkpoint file in name order: the parsed checkpoint or why it is unreadable."""
    out: list[tuple[Path, Checkpoint | str]] = []
    for path in sorted(directory.glob(_FILE_GLOB)):
        try:
            out.append((path, checkpoint_from_json(json.loads(path.read_text("utf-8")))))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            out.append((path, f"unreadable: {exc}"))
    return out


@contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    with open(directory / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Anchor:
    """Makes checkpoints with one key into one directory (safe across threads and processes)."""

    def __init__(self, *, key_path: Path, directory: Path) -> None:
        self.key_path = key_path
        self.directory = directory
        self._key: Ed25519PrivateKey | None = None

    @property
    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_or_create_key(self.key_path)
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint; refuses to go on from a forged or unreadable one."""
        if not self.directory.is_dir():
            return None
        paths = sorted(self.directory.glob(_FILE_GLOB))
        if not paths:
            return None
        try:
            cp = checkpoint_from_json(json.loads(paths[-1].read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise AuditChainBrokenError(f"checkpoint {paths[-1].name} unreadable: {exc}; "
                                        "not signing") from None
        if not cp.signed_by(self.public_key):
            raise AuditChainBrokenError(f"checkpoint {paths[-1].name} is not signed by this key;"
                                        " not signing", checkpoint=paths[-1].name)
        return cp

    def checkpoint(
        self, session: Session, *, now: datetime, reason: str = "manual",
        actor: Actor = SYSTEM, skip_if_idle: bool = False,
    ) -> Checkpoint | None:
        """Verify the chain since the last checkpoint, sign its head, write the file and record
        it in the trail (flushes; the caller commits). ``skip_if_idle``: None when nothing was
        appended since the last checkpoint. Raises :class:`AuditChainBrokenError`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with _dir_lock(self.directory):
            last = self.latest()
            head = session.execute(
                select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)
            ).first()
            if skip_if_idle and last is not None and head is not None \
                    and head.action == CHECKPOINT_ACTION and head.id == last.row_id + 1:
                return None
            report = _verified_head(session, last)
            cp = Checkpoint(
                seq=(last.seq + 1) if last else 1,
                made_at=now.isoformat(),
                row_id=report.last_id,
                row_hash=report.last_hash,
                rows=(last.rows if last else 0) + report.rows,
                prev_checkpoint=last.digest if last else None,
                key_id=key_id(self.public_key),
                reason=reason,
            )
            signature = base64.b64encode(self.key.sign(cp.payload())).decode()
            cp = Checkpoint(**{**asdict(cp), "signature": signature})
            body = json.dumps(asdict(cp), indent=2, sort_keys=True) + "\n"
            datadir.write_atomic(self.directory / file_name(cp), body.encode("utf-8"))
        audit.record(session, now=now, actor=actor, action=CHECKPOINT_ACTION,
                     target=file_name(cp),
                     details={"seq": cp.seq, "row_id": cp.row_id, "row_hash": cp.row_hash,
                              "reason": reason})
        return cp


def _verified_head(session: Session, last: Checkpoint | None) -> audit.ChainReport:
    """Walk the chain from the last checkpoint on (whole chain when none); refuse if broken."""
    if last is None or last.row_id == 0:
        report = audit.check_chain(session)
    else:
        row = session.get(AuditEvent, last.row_id)
        if row is None or row.hash != last.row_hash:
            raise AuditChainBrokenError(
                f"row {last.row_id} signed by checkpoint {last.seq} is "
                + ("missing" if row is None else "rewritten")
                + "; not signing", row_id=last.row_id, checkpoint=last.seq)
        report = audit.check_chain(session, start_id=last.row_id + 1, prev_hash=last.row_hash)
    if report.problem is not None:
        raise AuditChainBrokenError(f"audit chain broken: {report.problem.message}; not signing",
                                    row_id=report.problem.row_id)
    if report.last_id == 0:
        return audit.ChainReport(0, 0, GENESIS, None)
    return report


def anchor_from_settings(settings: Settings) -> Anchor:
    """The anchor of a :class:`rtcc.config.Settings` (key file and checkpoint directory)."""
    return Anchor(key_path=settings.audit_signing_key, directory=settings.audit_checkpoint_dir)
