"""chia debug.log: events, the parser, the rotation-safe follower, log health, the collector, and the replay and summary behind `teafarm chia parse-log`."""
