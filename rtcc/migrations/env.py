"""Alembic environment: the engine is handed over by ``rtcc.db.migrate``."""

from __future__ import annotations

from alembic import context

from rtcc.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only via rtcc.db.migrate
    raise RuntimeError("run migrations through rtcc.db.migrate(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
