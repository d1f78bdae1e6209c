"""The dashboard: one HTML page, its script and stylesheet. It reads and changes workspaces only through the
public API (same-origin fetches with the session cookie) and follows them live with server-sent events."""
