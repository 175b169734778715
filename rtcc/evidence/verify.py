"""Offline verification of an evidence package (a folder or a zip): no database, no server.

Checks the manifest's minisign signature, then every file against the manifest's SHA-256 and
size, and names each file that was changed, added or removed; then the custody log's own
signature. A public key given by the caller (the one the installation publishes) is preferred
to the package's ``key.pub``, which only proves the package is self-consistent.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from rtcc.evidence.minisign import PublicKey, SignatureError, parse_public_key
from rtcc.evidence.package import (
    CUSTODY_LOG,
    CUSTODY_SIG,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    UNLISTED,
)


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # changed | added | removed | signature | invalid
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.message}"


@dataclass
class Report:
    key_id: str | None = None
    key_from_package: bool = True
    trusted_comment: str | None = None
    files_checked: int = 0
    custody_entries: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Tree(Protocol):
    def names(self) -> list[str]: ...
    def open(self, name: str) -> IO[bytes]: ...


class _Dir:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix()
                      for p in self.root.rglob("*") if p.is_file())

    def open(self, name: str) -> IO[bytes]:
        return (self.root / name).open("rb")


class _Zip:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        entries = [n for n in zf.namelist() if not n.endswith("/")]
        tops = {n.split("/", 1)[0] for n in entries}
        single = len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in entries
        self.prefix = f"{next(iter(tops))}/" if single else ""
        self._names = sorted(n[len(self.prefix):] for n in entries)

    def names(self) -> list[str]:
        return self._names

    def open(self, name: str) -> IO[bytes]:
        return self.zf.open(self.prefix + name)


@contextmanager
def open_tree(path: Path) -> Iterator[Tree]:
    if path.is_dir():
        yield _Dir(path)
        return
    try:
        with zipfile.ZipFile(path) as zf:
            yield _Zip(zf)
    except zipfile.BadZipFile:
        raise SignatureError(f"{path}: neither a folder nor a zip file") from None


def _read(tree: Tree, name: str) -> bytes:
    with tree.open(name) as fh:
        return fh.read()


def _digest(tree: Tree, name: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with tree.open(name) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def verify(path: Path, *, public_key: str | None = None) -> Report:
    """Check ``path`` (folder or zip); the report lists every problem found."""
    report = Report()
    with open_tree(path) as tree:
        names = set(tree.names())
        for needed in (MANIFEST, SIGNATURE):
            if needed not in names:
                report.problems.append(Problem(needed, "removed", "missing: cannot verify"))
        if report.problems:
            return report
        key = _key(tree, names, public_key, report)
        body = _read(tree, MANIFEST)
        if key is not None:
            try:
                report.trusted_comment = key.verify(body, _read(tree, SIGNATURE).decode())
            except (SignatureError, UnicodeDecodeError) as exc:
                report.problems.append(Problem(MANIFEST, "signature", f"{exc} (edited?)"))
        try:
            report.manifest = json.loads(body)
            listed = {f["path"]: f for f in report.manifest["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(Problem(MANIFEST, "invalid", f"not a manifest: {exc}"))
            return report
        _check_files(tree, names, listed, report)
        if key is not None:
            _check_custody(tree, names, key, report)
    return report


def _key(tree: Tree, names: set[str], given: str | None, report: Report) -> PublicKey | None:
    try:
        if given is not None:
            key = parse_public_key(given)
            report.key_from_package = False
            packaged = parse_public_key(_read(tree, PUBLIC_KEY).decode()) \
                if PUBLIC_KEY in names else None
            if packaged is not None and packaged.raw != key.raw:
                report.problems.append(Problem(PUBLIC_KEY, "changed", "not the key given"))
        elif PUBLIC_KEY in names:
            key = parse_public_key(_read(tree, PUBLIC_KEY).decode())
        else:
            report.problems.append(Problem(PUBLIC_KEY, "removed", "missing and no key given"))
            return None
    except (SignatureError, UnicodeDecodeError) as exc:
        report.problems.append(Problem(PUBLIC_KEY, "invalid", str(exc)))
        return None
    report.key_id = key.id_text
    return key


def _check_files(tree: Tree, names: set[str], listed: dict[str, Any], report: Report) -> None:
    for rel, entry in sorted(listed.items()):
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            report.problems.append(Problem(rel, "invalid", "path leaves the package"))
            continue
        if rel not in names:
            report.problems.append(Problem(rel, "removed", "listed in the manifest, missing"))
            continue
        sha, size = _digest(tree, rel)
        report.files_checked += 1
        if sha != entry.get("sha256") or size != entry.get("bytes"):
            report.problems.append(Problem(
                rel, "changed",
                f"sha256 {sha[:16]}… ({size} bytes), manifest says "
                f"{str(entry.get('sha256'))[:16]}… ({entry.get('bytes')} bytes)",
            ))
    for rel in sorted(names - set(listed) - UNLISTED):
        report.problems.append(Problem(rel, "added", "not listed in the manifest"))


def _check_custody(tree: Tree, names: set[str], key: PublicKey, report: Report) -> None:
    for needed in (CUSTODY_LOG, CUSTODY_SIG):
        if needed not in names:
            report.problems.append(Problem(needed, "removed", "custody log missing"))
            return
    data = _read(tree, CUSTODY_LOG)
    try:
        key.verify(data, _read(tree, CUSTODY_SIG).decode())
    except (SignatureError, UnicodeDecodeError) as exc:
        report.problems.append(Problem(CUSTODY_LOG, "signature", str(exc)))
        return
    lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    report.custody_entries = len(lines)
    if any(p.path == MANIFEST for p in report.problems):
        return  # the manifest is not trusted: comparing with it would only repeat that
    created = report.manifest.get("created", {})
    first = lines[0] if lines else {}
    if any(first.get(k) != v for k, v in created.items()):
        report.problems.append(Problem(
            CUSTODY_LOG, "invalid", "first entry does not match the manifest's creation record"
        ))
