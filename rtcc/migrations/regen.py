"""Regenerate the initial migration from ``rtcc.models`` (before the first release only).

    python -m rtcc.migrations.regen

Writes ``versions/0001_initial.py`` by autogenerating against an empty SQLite database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from rtcc.db import MIGRATIONS_DIR, alembic_config, make_engine


def main() -> None:
    target = MIGRATIONS_DIR / "versions" / "0001_initial.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    produced = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    if produced != target:
        produced.rename(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
