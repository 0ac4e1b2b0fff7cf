"""One real Stream to a teafarm server, driven message by message (a client that misbehaves on purpose):
say hello, send batches, chunks and heartbeats, read each reply."""
from __future__ import annotations

import queue
import time

import grpc

from monitor.certs import CertPair
from monitor.tls import client_credentials
from protocol import events_pb2, service_pb2, service_pb2_grpc


class RawStream:
    def __init__(self, port: int, pair: CertPair, ca, outbox_id: str, client_time: float | None = None,
                 timeout: float = 60) -> None:
        self.outbox_id = outbox_id
        self._requests: queue.Queue = queue.Queue()
        self._channel = grpc.secure_channel(f"127.0.0.1:{port}", client_credentials(pair, ca),
                                            options=[("grpc.max_send_message_length", 64 << 20)])
        self._replies = service_pb2_grpc.MonitorStub(self._channel).Stream(iter(self._requests.get, None), timeout=timeout)
        self.send(service_pb2.ClientMessage(hello=service_pb2.Hello(
            outbox_id=outbox_id, client_time=time.time() if client_time is None else client_time, teafarm_version="test")))
        self.welcome = self.read().welcome

    def send(self, message: service_pb2.ClientMessage) -> None:
        self._requests.put(message)

    def read(self) -> service_pb2.ServerMessage:
        """The next reply (StopIteration: the server ended the stream)."""
        return next(self._replies)

    def chunk(self, batch_id: int, events: list[events_pb2.UpdateEvent], chunk: int = 0, chunks: int = 1) -> None:
        self.send(service_pb2.ClientMessage(batch=service_pb2.EventBatch(batch_id=batch_id, chunk=chunk, chunks=chunks,
                                                                         events=events)))

    def batch(self, batch_id: int, events: list[events_pb2.UpdateEvent]) -> service_pb2.ServerMessage:
        """Send a one-chunk batch and return the reply to it."""
        self.chunk(batch_id, events)
        return self.read()

    def hello_again(self) -> service_pb2.ServerMessage:
        """A second hello; its welcome says the server has handled every message sent before it."""
        self.send(service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id=self.outbox_id, teafarm_version="test")))
        return self.read()

    def heartbeat(self, client_time: float) -> None:
        self.send(service_pb2.ClientMessage(heartbeat=service_pb2.Heartbeat(client_time=client_time)))

    def close(self) -> None:
        self._requests.put(None)
        try:
            for _ in self._replies:
                pass
        except grpc.RpcError:
            pass   # the server had ended it
        self._channel.close()
