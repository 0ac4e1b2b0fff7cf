"""Alert rules on state transitions, the durable alert outbox and its delivery."""
