"""Read models built from events, with checkpoints kept beside them; rebuildable by replay."""
