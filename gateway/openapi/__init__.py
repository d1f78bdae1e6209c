"""The OpenAPI 3.1 document, generated from the metadata kept next to each route."""
