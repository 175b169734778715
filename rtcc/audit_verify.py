"""Check an audit trail against signed checkpoints, with nothing but the public key.

The trail comes from the database or from a JSONL export (``rtcc audit export``), so an auditor
can verify on their own machine. Findings name what was found: the first broken row of the
chain, rows deleted from the newest end, rows rewritten with a recomputed chain (the first
checkpoint that no longer matches, and the rows it covers), a missing, forged or unreadable
checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from rtcc.audit import GENESIS, AuditRow, check_row, row_fields
from rtcc.audit_anchor import CHECKPOINT_ACTION, Checkpoint, key_id, read_dir
from rtcc.clock import as_utc
from rtcc.errors import InvalidInputError


@dataclass(frozen=True)
class TrailRow:
    """One exported audit row (the fields of ``AuditEvent`` the hash covers, plus the hash)."""

    id: int
    at: datetime
    username: str | None
    role: str | None
    source: str | None
    credential: str | None
    action: str
    target: str | None
    outcome: str
    case_number: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str


def export_line(row: AuditRow) -> str:
    return json.dumps({**row_fields(row), "hash": row.hash}, sort_keys=True, default=str)


def read_trail(path: Path) -> Iterator[TrailRow]:
    """Rows of a JSONL export; a bad line is an :class:`InvalidInputError` naming it."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                data["at"] = as_utc(datetime.fromisoformat(data["at"]))
                data.setdefault("credential", None)
                yield TrailRow(**data)
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidInputError(f"{path} line {number}: not an audit row: {exc}",
                                        line=number) from None


@dataclass(frozen=True)
class Finding:
    kind: str  # chain | truncated | rewritten | missing_checkpoint | forged_checkpoint | ...
    message: str
    row_id: int | None = None
    checkpoint: str | None = None


@dataclass
class Verification:
    rows: int = 0
    last_id: int = 0
    last_hash: str = GENESIS
    checkpoints: int = 0  # valid checkpoints checked
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _load_checkpoints(
    directory: Path, public_key: Ed25519PublicKey, out: Verification
) -> list[tuple[str, Checkpoint]]:
    """Signed checkpoints in seq order; forged, unreadable and missing ones become findings."""
    if not directory.is_dir():
        out.findings.append(Finding("missing_checkpoint", f"{directory}: no such directory"))
        return []
    good: list[tuple[str, Checkpoint]] = []
    kid = key_id(public_key)
    for path, cp in read_dir(directory):
        if isinstance(cp, str):
            out.findings.append(Finding("forged_checkpoint", f"checkpoint {path.name} {cp}",
                                        checkpoint=path.name))
        elif not cp.signed_by(public_key):
            why = "signed by another key" if cp.key_id != kid else "signature does not verify"
            out.findings.append(Finding(
                "forged_checkpoint", f"checkpoint {path.name} forged: {why} (seq {cp.seq}, "
                f"row {cp.row_id})", row_id=cp.row_id, checkpoint=path.name))
        else:
            good.append((path.name, cp))
    good.sort(key=lambda item: item[1].seq)
    expected, prev_digest = 1, None
    for name, cp in good:
        if cp.seq > expected:
            gap = f"seq {expected}" if cp.seq == expected + 1 else f"seqs {expected}-{cp.seq - 1}"
            out.findings.append(Finding("missing_checkpoint",
                                        f"checkpoint {gap} missing (before {name})",
                                        checkpoint=name))
        elif cp.seq == expected and cp.prev_checkpoint != prev_digest:
            out.findings.append(Finding(
                "missing_checkpoint", f"checkpoint {name} does not follow checkpoint seq "
                f"{cp.seq - 1}: that one was replaced or removed", checkpoint=name))
        expected, prev_digest = cp.seq + 1, cp.digest
    if not good:
        out.findings.append(Finding("missing_checkpoint",
                                    f"{directory}: no valid checkpoint to verify against"))
    return good


def verify_trail(
    rows: Iterable[AuditRow], *, directory: Path, public_key: Ed25519PublicKey
) -> Verification:
    """Walk the trail once; compare it with every valid checkpoint in ``directory``."""
    out = Verification()
    checkpoints = _load_checkpoints(directory, public_key, out)
    wanted = {cp.row_id for _, cp in checkpoints}
    seen_hash: dict[int, str] = {0: GENESIS}
    recorded: dict[int, int] = {}  # checkpoint seq -> row that recorded it
    expected_id, prev_hash, broken = 1, GENESIS, False
    for row in rows:
        if not broken:
            problem = check_row(row, expected_id=expected_id, prev_hash=prev_hash)
            if problem is not None:
                broken = True
                out.findings.append(Finding("chain", f"chain broken at row {problem.row_id} "
                                            f"({problem.kind}): {problem.message}",
                                            row_id=problem.row_id))
        if row.id in wanted:
            seen_hash[row.id] = row.hash
        if row.action == CHECKPOINT_ACTION and isinstance(row.details, dict):
            seq = row.details.get("seq")
            if isinstance(seq, int):
                recorded[seq] = row.id
        expected_id, prev_hash = row.id + 1, row.hash
        out.rows += 1
        out.last_id, out.last_hash = row.id, row.hash
    _compare(out, checkpoints, seen_hash, recorded)
    return out


def _compare(
    out: Verification, checkpoints: list[tuple[str, Checkpoint]],
    seen_hash: dict[int, str], recorded: dict[int, int],
) -> None:
    ok_row = 0  # last row a checkpoint confirmed
    rewritten = False
    for name, cp in checkpoints:
        out.checkpoints += 1
        if cp.row_id > out.last_id:
            out.findings.append(Finding(
                "truncated", f"rows {out.last_id + 1}-{cp.row_id} deleted from the newest end: "
                f"checkpoint {name} (seq {cp.seq}, {cp.made_at}) signed row {cp.row_id}, "
                f"the trail ends at row {out.last_id}", row_id=out.last_id + 1, checkpoint=name))
            break
        have = seen_hash.get(cp.row_id)
        if have != cp.row_hash:
            if not rewritten:
                out.findings.append(Finding(
                    "rewritten", f"rows {ok_row + 1}-{cp.row_id} rewritten with a recomputed "
                    f"chain: checkpoint {name} (seq {cp.seq}) signed row {cp.row_id} as "
                    f"{cp.row_hash[:16]}, the trail has {(have or 'nothing')[:16]}",
                    row_id=ok_row + 1, checkpoint=name))
            rewritten = True
        elif not rewritten:
            ok_row = cp.row_id
    newest = max((cp.seq for _, cp in checkpoints), default=0)  # older gaps: reported above
    for seq, row_id in sorted(recorded.items()):
        if seq > newest:
            out.findings.append(Finding(
                "missing_checkpoint", f"checkpoint seq {seq} recorded in row {row_id} is not in "
                "the checkpoint directory", row_id=row_id, checkpoint=f"seq {seq}"))
