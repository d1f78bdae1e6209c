"""Authentication: API tokens (stored hashed, compared in constant time)."""
