"""Monitoring backend: client (collectors, diff, throttle, outbox, stream), server (gRPC), store."""
