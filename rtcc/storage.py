"""Is there room to write? The data folder's state, and which failures mean "the disk is full".

:func:`check` measures the data folder's free space (``shutil.disk_usage``) against the configured
minimum and writes a small probe file, so a folder that is full, read-only or gone is seen before
a recording or a database write fails. :func:`is_disk_full` recognises the disk-full failures of
the file system (``ENOSPC``, ``EDQUOT``), SQLite (``database or disk is full``) and PostgreSQL
(SQLSTATE 53100, ``DiskFull``), whether raw or wrapped by SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from rtcc.vocab import StorageState

MIB = 1024 * 1024
PROBE_NAME = ".rtcc-storage-probe"
PROBE_BYTES = 4096  # a whole page: a full file system refuses it, an empty file would pass
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL = 13  # SQLITE_FULL
_PG_DISK_FULL = "53100"  # PostgreSQL disk_full


@dataclass(frozen=True)
class StorageStatus:
    state: StorageState
    path: Path
    free_bytes: int | None  # None: the folder could not be measured
    detail: str  # one plain sentence

    @property
    def ok(self) -> bool:
        return self.state is StorageState.OK


def check(data_dir: Path, *, min_free_bytes: int) -> StorageStatus:
    """The data folder's state: unwritable, full, under the free-space minimum, or ok."""
    try:
        free: int | None = shutil.disk_usage(data_dir).free
    except OSError:
        free = None
    problem = _probe(data_dir)
    if problem is not None:
        full = problem.errno in _FULL_ERRNOS
        state = StorageState.FULL if full else StorageState.UNWRITABLE
        why = "no space left" if full else (problem.strerror or str(problem))
        return StorageStatus(state, data_dir, free, f"cannot write to {data_dir}: {why}")
    if free is not None and free < min_free_bytes:
        return StorageStatus(
            StorageState.DEGRADED,
            data_dir,
            free,
            f"{data_dir}: {free // MIB} MiB free, under the {min_free_bytes // MIB} MiB minimum",
        )
    return StorageStatus(StorageState.OK, data_dir, free, f"{data_dir}: writable")


def _probe(data_dir: Path) -> OSError | None:
    """Write and remove a page-sized file; the error if the write fails (nothing left behind)."""
    path = data_dir / f"{PROBE_NAME}-{os.getpid()}-{threading.get_ident()}"  # one per thread
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        return exc
    try:
        if os.write(fd, b"\0" * PROBE_BYTES) < PROBE_BYTES:  # a short write: the last bytes left
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
    return None


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error SQLAlchemy wrapped in it) means no space is left."""
    cause: object = getattr(exc, "orig", None) or exc
    if isinstance(cause, OSError):
        return cause.errno in _FULL_ERRNOS
    if getattr(cause, "sqlstate", None) == _PG_DISK_FULL:
        return True
    code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
        return True
    return "database or disk is full" in str(cause)
