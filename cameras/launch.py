"""How camera and detector processes are started: lean, from a fork server, tied to their parent.

A fork server (where the platform has one) imports the worker's modules once
(``cameras.preloaded``) and forks each camera from that state: a camera starts in a fraction of
a second instead of importing NumPy, PyAV, OpenCV and pydantic anew (on two cores, 100
spawned cameras took minutes to start), and the imported code and data stay shared between
cameras, page for page, until written. A spec holding a callable defined in ``__main__`` (a
script's own recognizer) cannot be unpickled there: such a child is spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

# glibc gives each thread that allocates its own malloc arena (up to 8 per core), each keeping
# the memory it freed: a camera process's few threads share two. Read by glibc at exec, so it is
# put in the environment the child (and the fork server) inherits; an operator's value is kept.
CHILD_ENV = {"MALLOC_ARENA_MAX": "2"}
PRELOAD = ["cameras.preloaded"]
_starting = threading.Lock()  # the environment and ``__main__`` are the process's


# "spawn" starts every camera from scratch (what ``rtcc bench video --start-method spawn``
# compares against); "forkserver" where the platform has it.
preferred = "forkserver"


def context(*, needs_main: bool = False) -> Any:
    """The multiprocessing context to start a camera or detector process with."""
    if needs_main or preferred != "forkserver" or preferred not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def from_main(obj: object) -> bool:
    return any(
        getattr(o, "__module__", None) in ("__main__", "__mp_main__") for o in (obj, type(obj))
    )


@contextlib.contextmanager
def lean_child(*, needs_main: bool = False) -> Iterator[None]:
    """Start a camera or detector process (or the fork server) lean. A spawned child first
    re-runs the parent's main script or module (the ``rtcc`` console script imports the whole
    CLI: SQLAlchemy, the models, every command; ~20 MB a process) unless ``__main__`` has
    neither spec nor file, and the fork server imports it too. Neither needs it (targets and
    specs are importable), so ``__main__`` is hidden while they start; not when the spec holds
    a callable defined there (``needs_main``)."""
    main = sys.modules["__main__"]
    saved: dict[str, Any] = {
        k: main.__dict__[k] for k in ("__spec__", "__file__") if k in main.__dict__
    }
    env = {k: v for k, v in CHILD_ENV.items() if k not in os.environ}
    with _starting:
        os.environ.update(env)
        if not needs_main:
            main.__spec__ = None
            main.__dict__.pop("__file__", None)
        try:
            yield
        finally:
            main.__dict__.update(saved)
            for key in env:
                os.environ.pop(key, None)


_lifeline: tuple[Any, Any] | None = None  # (read end for the children, write end kept here)
_lifeline_lock = threading.Lock()


def lifeline() -> Any:
    """The read end of this process's lifeline, for :func:`exit_with_parent` in a child: a pipe
    whose one write end stays in this process (not inheritable: a child gets only the read end,
    as an argument), so it reads EOF as soon as this process is gone, however it died."""
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None:
            _lifeline = mp.Pipe(duplex=False)
        return _lifeline[0]


def exit_with_parent(line: Any) -> None:
    """A worker whose host died (``kill -9`` of a camera node) exits at once: its camera may
    already be leased to another node, and must never run twice; a detector would keep its
    models loaded. Its parent is no sign of that: a forked process's parent is the fork server,
    which only exits once every process it forked is gone (each holds the server's "alive"
    pipe). ``line`` is the host's :func:`lifeline`, which ends only with the host."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                line.recv()  # nothing is ever sent: this waits for the end of the host
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
