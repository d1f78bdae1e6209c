"""Avro schemas of every event (the integration contract), the codec and the compatibility check."""
