"""One module per chia service (farmer, harvester, full node, wallet, and the daemon's event feed),
each owning what its service said; ChiaCollector schedules them and assembles the snapshot."""
