"""Lists managed by a configuration file: read-only everywhere but in their file."""

from __future__ import annotations

from rtcc.errors import ConflictError
from rtcc.models import Hotlist


def ensure_editable(hotlist: Hotlist) -> None:
    """A list loaded from the configuration file is read-only in the console and the API: a
    change made there would be lost when the file is loaded again at the next start."""
    if hotlist.managed_file:
        raise ConflictError(
            f"hotlist {hotlist.name!r} is managed by file {hotlist.managed_file}: change that "
            "file (it is loaded again at every start); the console and API cannot edit it",
            managed_file=hotlist.managed_file,
        )
