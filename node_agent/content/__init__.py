"""Filling /workspace (git clone, backup restore) and saving it (backup), all as byte streams."""
