"""Workspace images: the spec's cache key, local image resolution, and the Docker builder."""
