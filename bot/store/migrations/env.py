"""Alembic's entry point: upgrade the connection `bot.store.database.migrate` passes in (no alembic.ini)."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
