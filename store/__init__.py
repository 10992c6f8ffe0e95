"""Everything persistent: SQLModel tables, the engine, repositories and Alembic migrations."""
