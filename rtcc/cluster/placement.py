"""Which node should run a camera: pins first, then weighted rendezvous hashing.

Rendezvous (highest random weight) hashing gives each camera a score per node; the best live
node wins. Removing a node moves only that node's cameras; adding one takes a fair share from
every other. The weight spreads cameras by capacity: ``score = -capacity / ln(u)`` with ``u``
a uniform hash of (node, camera) in (0, 1).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping


def _uniform(node_id: str, camera_id: str) -> float:
    digest = hashlib.sha256(f"{node_id}\x1f{camera_id}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    return (value + 1) / (2**64 + 2)  # strictly inside (0, 1)


def score(node_id: str, camera_id: str, capacity: float) -> float:
    return -capacity / math.log(_uniform(node_id, camera_id))


def place(camera_id: str, live: Mapping[str, float], *, pin: str | None = None) -> str | None:
    """The node (among ``live``: id -> capacity) that should run the camera, or None.

    A pinned camera runs only on its pin (a trailer's cameras stay on the trailer), and nowhere
    while that node is down.
    """
    if pin is not None:
        return pin if pin in live else None
    if not live:
        return None
    return max(sorted(live), key=lambda node: score(node, camera_id, live[node]))


def assignment(
    cameras: Mapping[str, str | None], live: Mapping[str, float]
) -> dict[str, str | None]:
    """camera id -> node for every camera (``cameras``: id -> pin)."""
    return {cam: place(cam, live, pin=pin) for cam, pin in cameras.items()}
