"""`teafarm client`: collectors -> snapshot -> diff -> throttle -> outbox -> stream."""
