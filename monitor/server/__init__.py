"""`teafarm server`: the gRPC ingest service over mutual TLS."""
