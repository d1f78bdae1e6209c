"""Authentication and authorization: users and tokens as events, bearer tokens and session cookies,
and the pure decisions of who may touch what."""
