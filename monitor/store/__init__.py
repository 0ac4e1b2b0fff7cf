"""Protobuf <-> sqlite: an event table and a state table per topic."""
