"""The data directory is private to the service user, and a startup fault there is one line.

Plate reads, snapshots, video and the SQLite database are personal data: the directory and its
``media/``, ``video/`` and ``live/`` folders are made 0700 and the database files 0600 at every
start, whatever the umask was, and the entry point sets the umask to 077 so every file written
later (by the server and its camera workers, which inherit it) is private as well.
A directory that cannot be created or written raises ``ConfigError`` naming it (exit 2 in the
CLI) instead of failing with a traceback deep inside the first write.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from rtcc.errors import ConfigError

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
SUBDIRS = ("media", "video", "live")
_PROBE = ".rtcc-write-probe"


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


def private_database(url: str) -> None:
    """Make a SQLite database file (and its WAL and shared-memory files) 0600."""
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
