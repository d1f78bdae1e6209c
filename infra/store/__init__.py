"""The event store (source of truth): one contract, SQLite and PostgreSQL implementations."""
