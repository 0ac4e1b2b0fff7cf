from __future__ import annotations

import pytest

import monitor.client.stream as stream


@pytest.fixture
def backoff_steps(monkeypatch) -> list[int]:
    """Stands in for stream.BACKOFF: records which step each wait took (the list returned), waits 0.1 s."""
    steps: list[int] = []
    length = len(stream.BACKOFF)

    class RecordedBackoff:
        def __len__(self) -> int:
            return length

        def __getitem__(self, step: int) -> float:
            steps.append(step)
            return 0.1

    monkeypatch.setattr(stream, "BACKOFF", RecordedBackoff())
    return steps
