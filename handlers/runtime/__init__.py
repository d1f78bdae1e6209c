"""The one small runtime every worker shares: sources, per-stream dispatch, retries, dead letters."""
