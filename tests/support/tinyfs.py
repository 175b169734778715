"""A real, small file system that fills up (a tmpfs mount), and a PostgreSQL database whose files
live on one (a tablespace), so disk-full tests see the errors a full disk really gives.

Mounting needs root with CAP_SYS_ADMIN (as in the test container); elsewhere the test is skipped
with the reason. The mount point is outside pytest's private tmp folders so the PostgreSQL
server's own user can reach a tablespace in it.
"""

from __future__ import annotations

import errno
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from rtcc.clock import Clock
from rtcc.config import Settings
from rtcc.runtime.services import Services, build_services
from tests.support.paths import POSTGRES_URL
from tests.support.pgdb import scratch_database

MIB = 1024 * 1024


@contextmanager
def tmpfs(size_mb: int) -> Iterator[Path]:
    """A fresh tmpfs of ``size_mb`` MiB, unmounted (and removed) afterwards."""
    mount = Path(tempfile.mkdtemp(prefix="rtcc-tinyfs-"))
    mount.chmod(0o755)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` read-only for everyone, root included (a read-only bind mount over itself);
    files already open for writing keep working, as when a disk is remounted read-only."""
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount: {done.stderr.decode(errors='replace').strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(folder: Path, *, leave_bytes: int = 0) -> Path:
    """Write a filler file in ``folder`` until its file system is full (or has only about
    ``leave_bytes`` free); delete the returned file to free the space again."""
    filler = folder / f"filler-{uuid.uuid4().hex[:8]}"
    with filler.open("wb", buffering=0) as f:
        while (free := shutil.disk_usage(folder).free) > leave_bytes:
            try:
                f.write(b"\0" * min(MIB, free - leave_bytes))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler


@contextmanager
def postgres_database_on(folder: Path, admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database stored in ``folder`` (a tablespace there); its URL.
    The server must run on this host (as the test PostgreSQL does)."""
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no local postgres user: the PostgreSQL server is not on this host")
    folder.mkdir(mode=0o700)
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    name = f"rtcc_full_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE TABLESPACE {name} LOCATION '{folder}'"))
        with scratch_database(admin_url, prefix="rtcc_full", tablespace=name) as url:
            try:
                yield url
            finally:
                # Give the disk back before the drop: the server may still hold dirty pages
                # of this database that it can only write (at the drop's checkpoint, or any
                # other test's) once there is room.
                for filler in folder.parent.rglob("filler-*"):
                    filler.unlink(missing_ok=True)
        with admin.connect() as conn:
            conn.execute(text(f"DROP TABLESPACE IF EXISTS {name}"))
    finally:
        admin.dispose()


@contextmanager
def services_on_tmpfs(
    database: str,
    make_settings: Callable[..., Settings],
    clock: Clock,
    *,
    size_mb: int = 48,
    **settings: Any,
) -> Iterator[tuple[Services, Path]]:
    """Services whose data folder ("sqlite": and database) live on a fresh tmpfs; for
    "postgres" the database lives on the same tmpfs (a tablespace). Yields (services, mount)."""
    with ExitStack() as stack:
        mount = stack.enter_context(tmpfs(size_mb))
        url = None
        if database == "postgres":
            if not POSTGRES_URL:
                pytest.skip("RTCC_TEST_POSTGRES_URL not set")
            url = stack.enter_context(postgres_database_on(mount / "pg", POSTGRES_URL))
        built = make_settings(data_dir=str(mount / "data"), database={"url": url}, **settings)
        services = build_services(built, clock=clock)
        stack.callback(services.engine.dispose)
        yield services, mount
