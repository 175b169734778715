"""The data directory is private to the service user, and a startup fault there is one line.

Plate reads, snapshots, video and the SQLite database are personal data: the directory and its
``media/``, ``video/`` and ``live/`` folders are made 0700 and the database files 0600 at every
start, whatever the umask was, and the entry point sets the umask to 077 so every file written
later (by the server and its camera workers, which inherit it) is private as well.
A directory that cannot be created or written raises ``ConfigError`` naming it (exit 2 in the
CLI) instead of failing with a traceback deep inside the first write.

:func:`write_atomic` is how a file in it is written: all or nothing, so a full disk or a crash
never leaves an empty, cut-off or temporary file, nor spoils the file it was replacing. A
process killed mid-write (a camera worker under ``kill -9``) does leave its temporary file;
:func:`sweep_temp_files` removes such leftovers at the next start.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from rtcc.errors import ConfigError

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
SUBDIRS = ("media", "video", "live")
# Worker messages waiting for the database (``rtcc.runtime.spool``; retention reads its size).
INGEST_SPOOL = Path("spool") / "ingest.sqlite"
_PROBE = ".rtcc-write-probe"
# The temporary files of :func:`write_atomic` (``tempfile.mkstemp``: 8 random characters).
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
STALE_TEMP_S = 60.0  # no write takes this long: an older temporary file's writer is gone


def make_private_umask() -> int:
    """Set the process umask to 077 (returns the previous one)."""
    return os.umask(PRIVATE_UMASK)


def prepare(data_dir: Path) -> None:
    """Create the data directory and its folders 0700; refuse one we cannot write."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(data_dir, DIR_MODE)
        for name in SUBDIRS:
            sub = data_dir / name
            sub.mkdir(exist_ok=True, mode=DIR_MODE)
            os.chmod(sub, DIR_MODE)
        probe = data_dir / _PROBE
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"data_dir: cannot create or write {data_dir}: {exc.strerror or exc}"
        ) from None


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` all or nothing: into a temporary file in the same folder, then
    renamed over ``path``. ``durable``: flushed to the disk (file and folder) first, so a power
    cut keeps the old or the new file whole; without it only a crash of this process is covered
    (enough for a file rewritten twice a second, such as a live frame). On failure (``OSError``:
    a full disk) the temporary file is removed, ``path`` is as it was, and the error is raised."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _sync_folder(path.parent)


def sweep_temp_files(folder: Path, *, now: float, min_age_s: float = STALE_TEMP_S) -> int:
    """Remove the temporary files of :func:`write_atomic` under ``folder`` (all depths) last
    modified more than ``min_age_s`` before ``now`` (epoch seconds): leftovers of a writer
    killed mid-write. Nothing else is touched, not even a file named alike but younger (a write
    in progress). How many were removed; a missing folder has none."""
    removed = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if TEMP_NAME.match(name) is None:
                continue
            path = Path(root) / name
            try:
                info = path.lstat()
                if not path.is_symlink() and now - info.st_mtime > min_age_s:
                    path.unlink()
                    removed += 1
            except OSError:  # gone meanwhile (renamed into place), or not ours to remove
                continue
    return removed


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems refuse it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def private_database(url: str) -> None:
    """Make a SQLite database file (and its WAL and shared-memory files) 0600."""
    from sqlalchemy.engine import make_url  # here: camera workers use this module without a DB

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{parsed.database}{suffix}")
        if path.exists():
            try:
                os.chmod(path, FILE_MODE)
            except OSError as exc:
                raise ConfigError(f"database: cannot restrict {path}: {exc.strerror}") from None
