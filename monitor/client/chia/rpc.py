"""Async client for one chia service's RPC: HTTPS POST with chia's mutual TLS.

Errors come in two kinds so the collector can report a service's state quietly:
ServiceDown (nothing listens: not running) and RpcFailed (it answered, but not usefully:
an error answer, bad JSON, a timeout).
"""
from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from typing import Any

import aiohttp

from monitor.client.chia.chia_root import ChiaRoot


class ServiceDown(Exception):
    """Nothing answers on the service's port (not running, or not installed)."""


class RpcFailed(Exception):
    """The service answered, but with an error, a bad payload or too late."""


class ChiaRpc:
    def __init__(self, root: ChiaRoot, service: str, timeout: float = 10.0) -> None:
        self.root = root
        self.service = service
        self.port = root.rpc_port(service)
        self._url = f"https://{root.hostname}:{self.port}/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            try:
                context = self.root.ssl_context(self.service)
            except (OSError, ssl.SSLError) as exc:
                raise ServiceDown(f"{self.service}: no usable certificate ({exc})") from exc
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=2),
                                                  timeout=self._timeout)
        return self._session

    async def call(self, endpoint: str, body: dict[str, Any] | None = None,
                   object_hook: Callable[[dict], Any] | None = None) -> dict[str, Any]:
        """POST `endpoint`; the answer's dict when chia says success.

        object_hook lets a caller shrink a huge answer (a 100k-plot get_plots) while it is parsed.
        """
        session = self._open()
        try:
            async with session.post(self._url + endpoint, json=body or {}) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc, aiohttp.ClientSSLError):
                raise RpcFailed(f"{self.service} {endpoint}: TLS failed ({exc})") from exc
            raise ServiceDown(f"{self.service}: not answering on port {self.port}") from exc
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise RpcFailed(f"{self.service} {endpoint}: no answer in {self._timeout.total:g} s") from exc
        except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
            raise RpcFailed(f"{self.service} {endpoint}: {exc.__class__.__name__} {exc}") from exc
        if status != 200:
            raise RpcFailed(f"{self.service} {endpoint}: HTTP {status}")
        try:
            answer = json.loads(raw, object_hook=object_hook)
        except ValueError as exc:
            raise RpcFailed(f"{self.service} {endpoint}: answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise RpcFailed(f"{self.service} {endpoint}: answer is not an object")
        if answer.get("success") is False:
            raise RpcFailed(f"{self.service} {endpoint}: {str(answer.get('error') or 'failed')[:200]}")
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
