"""Prometheus `/metrics` for farms that outgrow one chat (config section `bot.metrics`).

The figures come from the state tables and the bot's running totals, read on the HTTP server's
own thread through its own read-only connections, never by scanning events:
settings (where to listen) -> server (prometheus_client's HTTP thread) -> collector (one read
transaction per scrape) -> one module per part of the farm (ingest, hardware, smart,
harvesters, chain, copying, alerts), each yielding metric families.
"""
