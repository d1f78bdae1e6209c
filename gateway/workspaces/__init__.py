"""Workspace commands and views for the API."""
