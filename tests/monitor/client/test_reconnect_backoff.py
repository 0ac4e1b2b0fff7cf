"""A client whose server went away after working (a bot restart) comes back at the first step of its
backoff, however many restarts came before: the backoff counts failed attempts in a row, not lost
sessions. Found by the restart matrix: after four bot restarts a client waited 30 s for the fifth,
and said nothing (its warning was down to DEBUG). Real `teafarm server` processes; the client's
uplink runs here, its backoff recorded instead of waited."""
from __future__ import annotations

import asyncio

import monitor.client.stream as stream
from monitor.client.outbox import Outbox
from monitor.tls import client_credentials
from tests.helpers.backbone import TeafarmProcess, client_pair
from tests.helpers.waiting import wait_until, wait_until_async


def test_the_backoff_starts_over_after_a_session_that_worked(farm, backoff_steps, tmp_path):
    log = farm.folder / "server.log"

    def start_server() -> TeafarmProcess:
        listening = log.read_text().count("listening on") if log.exists() else 0
        server = TeafarmProcess(["server", "--config", str(farm.config)], log)
        wait_until(lambda: log.read_text().count("listening on") > listening, 30, "the server")
        return server

    server = start_server()
    pair = client_pair(farm.data_dir, "testbox")
    outbox = Outbox(tmp_path / "outbox.db")
    lost_after_working: list[int] = []      # how many waits had happened when a working session was lost

    async def scenario() -> None:
        nonlocal server
        uplink = stream.Uplink(f"127.0.0.1:{farm.port}", client_credentials(pair, farm.ca), outbox, "testbox", 30.0,
                               lambda state: None)
        task = asyncio.create_task(uplink.run())
        try:
            for _ in range(2):   # a count of lost sessions would make the second first-wait step 2
                await wait_until_async(uplink.connected.is_set, 30, "connected")
                lost_after_working.append(len(backoff_steps))
                server.kill9()
                await wait_until_async(lambda: not uplink.connected.is_set(), 30, "the session lost")
                server = await asyncio.to_thread(start_server)
            await wait_until_async(uplink.connected.is_set, 30, "connected again")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
        outbox.close()
    first_waits = [backoff_steps[i] for i in lost_after_working]
    assert first_waits == [1, 1], backoff_steps
