"""Storage of read models (projections' documents) with their checkpoints, in SQLite or PostgreSQL."""
