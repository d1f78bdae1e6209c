"""The API's routes, one module per resource; each module's `endpoints(gateway)` lists its endpoints
with their OpenAPI operations."""
