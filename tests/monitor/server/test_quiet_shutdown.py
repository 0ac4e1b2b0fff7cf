"""SIGTERM with clients connected ends their streams quietly (issue 10, point 6): no traceback and no
"Task exception was never retrieved" per stream in the server's log, exit status 0. A real `teafarm
server` process with idle streams, streams sending batches and one in the middle of a chunked batch."""
from __future__ import annotations

import threading

import grpc

from tests.helpers.backbone import client_pair, event
from tests.helpers.raw_stream import RawStream


def test_sigterm_with_streams_open_ends_them_without_a_traceback(farm, server):
    def open_stream(name: str) -> RawStream:
        return RawStream(farm.port, client_pair(farm.data_dir, name), farm.ca, name)

    def keep_sending(sender: RawStream, started: threading.Event) -> None:
        try:
            for batch_id in range(1, 100_000):
                sender.chunk(batch_id, [event("disk", id=f"/d{n}") for n in range(50)])
                sender.read()
                started.set()
        except (grpc.RpcError, StopIteration):
            pass   # the server stopped

    idle = [open_stream(f"idle{n}") for n in range(3)]
    halfway = open_stream("halfway")
    halfway.chunk(1, [event("disk", id="/h")], 0, 3)
    assert halfway.hello_again().HasField("welcome")
    senders, started = [open_stream(f"busy{n}") for n in range(2)], [threading.Event(), threading.Event()]
    threads = [threading.Thread(target=keep_sending, args=pair, daemon=True) for pair in zip(senders, started)]
    for thread in threads:
        thread.start()
    for flag in started:
        assert flag.wait(30)

    assert server.stop() == 0
    for thread in threads:
        thread.join(30)
    for stream in idle + [halfway] + senders:
        stream.close()
    log = server.log_text()
    assert "teafarm server stopped" in log
    for noise in ("Traceback", "Task exception was never retrieved", "CancelledError", "StopAsyncIteration"):
        assert noise not in log, log[-3000:]
