"""The user aggregate (`user-<username>` streams): accounts, roles, blocking and API tokens."""
