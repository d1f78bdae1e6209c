"""Adapters to the outside world: stores, Kafka, blobs, git, settings, logging, metrics."""
