"""A stand-in for chia's RPC servers and daemon websocket, answering with recorded payloads.

Real parts where it matters: a CHIA_ROOT laid out like chia's (config.yaml with ports, a private CA,
private_<service>.crt/.key), HTTPS with mutual TLS (a client without a certificate of that CA is
refused in the handshake, like chia), JSON over POST, and a daemon websocket that accepts
`register_service` and then pushes events. It runs in its own thread (or, for the bench, its own
process: `python -m tests.helpers.fake_chia --help`).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiohttp import WSMsgType, web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "chia"
SERVICES = ("daemon", "farmer", "harvester", "full_node", "wallet")


def recorded(name: str = "rpc-2.7.5-samples.json") -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_pair(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


def write_chia_root(root: Path, ports: dict[str, int], network: str = "testnet11") -> None:
    """config/config.yaml with these RPC ports and a private CA with one certificate per service."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Chia CA")).issuer_name(_name("Chia CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    ssl_dir = root / "config" / "ssl"
    _write_pair(ssl_dir / "ca", "private_ca", ca, ca_key)
    for service in SERVICES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name("Chia")).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("chia.net")]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write_pair(ssl_dir / service, f"private_{service}", cert, key)
    config = {"self_hostname": "localhost", "daemon_port": ports.get("daemon", 1), "selected_network": network}
    for service in SERVICES[1:]:
        config[service] = {"rpc_port": ports.get(service, 1), "selected_network": network,
                           "logging": {"log_level": "INFO"}}
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))


@dataclass
class Hang:
    """Answer only after this many seconds (a service that hangs)."""
    seconds: float


@dataclass
class Slow:
    """This answer, after this many seconds (a service still starting up)."""
    seconds: float
    answer: Any


@dataclass
class Status:
    """An HTTP error status with a body."""
    code: int
    body: str = "error"


@dataclass
class Raw:
    """These exact bytes as the body (broken JSON, a non-object)."""
    body: bytes


Answer = dict | Hang | Slow | Status | Raw | Callable[[dict], Any]


class FakeChia:
    """chia services on 127.0.0.1 answering from `routes[service][endpoint]`; missing: chia's own error."""

    def __init__(self, root: Path, routes: dict[str, dict[str, Answer]], ports: dict[str, int]) -> None:
        self.root = root
        self.routes = routes
        self.ports = ports
        self.calls: list[tuple[str, str]] = []
        self.registered: list[str] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def _context(self, service: str) -> ssl.SSLContext:
        ssl_dir = self.root / "config" / "ssl"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ssl_dir / "ca" / "private_ca.crt"))
        context.verify_mode = ssl.CERT_REQUIRED          # chia refuses clients without a private cert
        context.load_cert_chain(str(ssl_dir / service / f"private_{service}.crt"),
                                str(ssl_dir / service / f"private_{service}.key"))
        return context

    def _rpc_app(self, service: str) -> web.Application:
        async def handle(request: web.Request) -> web.StreamResponse:
            endpoint = request.match_info["endpoint"]
            self.calls.append((service, endpoint))
            try:
                body = await request.json()
            except ValueError:
                body = {}
            answer = self.routes.get(service, {}).get(endpoint)
            if isinstance(answer, Slow):
                await asyncio.sleep(answer.seconds)
                answer = answer.answer
            if answer is None:   # chia's aiohttp server: a route it does not have
                return web.Response(status=404, text="404: Not Found")
            if isinstance(answer, Hang):
                await asyncio.sleep(answer.seconds)
                return web.json_response({"success": True})
            if isinstance(answer, Status):
                return web.Response(status=answer.code, text=answer.body)
            if isinstance(answer, Raw):
                return web.Response(body=answer.body, content_type="application/json")
            result = answer(body) if callable(answer) else answer
            if isinstance(result, bytes):
                return web.Response(body=result, content_type="application/json")
            return web.json_response(result)

        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/{endpoint}", handle)
        return app

    def _daemon_app(self) -> web.Application:
        async def handle(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                request_json = json.loads(message.data)
                if request_json.get("command") == "register_service":
                    self.registered.append(request_json["data"]["service"])
                    self._sockets.append(ws)
                    await ws.send_str(json.dumps({"command": "register_service", "data": {"success": True},
                                                  "request_id": request_json.get("request_id"), "ack": True,
                                                  "origin": "daemon", "destination": request_json.get("origin")}))
            if ws in self._sockets:
                self._sockets.remove(ws)
            return ws

        app = web.Application()
        app.router.add_get("/", handle)
        return app

    async def _start(self, service: str) -> None:
        app = self._daemon_app() if service == "daemon" else self._rpc_app(service)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.ports[service], ssl_context=self._context(service)).start()
        self._runners.append(runner)

    def _run(self, coroutine: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self, services: tuple[str, ...] = SERVICES) -> FakeChia:
        if not self._thread.is_alive():
            self._thread.start()
        for service in services:
            self._run(self._start(service))
        return self

    def push(self, command: str, data: dict, origin: str = "chia_farmer") -> None:
        """Send an event to every registered daemon client."""
        text = json.dumps({"command": command, "data": data, "origin": origin, "destination": "metrics",
                           "ack": False, "request_id": "x"})

        async def send() -> None:
            for ws in list(self._sockets):
                await ws.send_str(text)
        self._run(send())

    def drop_daemon_clients(self) -> None:
        async def close() -> None:
            for ws in list(self._sockets):
                await ws.close()
        self._run(close())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return                      # never started, or stopped already

        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()
        self._run(cleanup(), timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def recorded_routes() -> dict[str, dict[str, Answer]]:
    """Answers recorded from chia 2.7.5: farmer and harvester (real), full node and wallet (simulator)."""
    routes: dict[str, dict[str, Answer]] = {s: {} for s in SERVICES}
    for name in ("rpc-2.7.5-samples.json", "rpc-2.7.5-simulator.json"):
        for key, value in recorded(name).items():
            service, _, endpoint = key.partition(".")
            if "(" not in endpoint and isinstance(value, dict) and "response" in value:
                routes[service][endpoint] = value["response"]
    # the simulator's wallet cannot sum its genesis rewards (uint64 overflow): the shape before them
    routes["wallet"]["get_farmed_amount"] = recorded("rpc-2.7.5-simulator.json")["wallet.get_farmed_amount(no peak)"]["response"]
    for service in SERVICES[1:]:
        routes[service].setdefault("get_version", {"success": True, "version": "2.7.5"})
        routes[service].setdefault("healthz", {"success": True})
    return routes


def wallet_transactions() -> tuple[dict, list[dict]]:
    """get_wallets' answer and get_transactions' rows in chia 2.7.5's shape (a farmer reward, a pool
    reward, an incoming transfer, a pending outgoing one), for routes a test adapts."""
    data = recorded("rpc-2.7.5-wallet.json")
    return data["wallet.get_wallets"]["response"], data["wallet.get_transactions"]["response"]["transactions"]


def plots_answer(count: int, node_folder: str = "/farm") -> bytes:
    """A harvester get_plots answer with `count` plots, in chia 2.7.5's exact shape (~600 bytes each)."""
    template = recorded()["harvester.get_plots"]["response"]["plots"][0]
    parts = []
    for i in range(count):
        plot_id = f"{i:064x}"
        entry = dict(template, plot_id="0x" + plot_id, filename=f"{node_folder}/disk{i // 1000:03d}/plot-k32-2026-11-28-01-42-{plot_id}.plot",
                     file_size=108_800_000_000 + i)
        parts.append(json.dumps(entry))
    return ('{"failed_to_open_filenames": [], "not_found_filenames": [], "plots": [' + ",".join(parts) + '], "success": true}').encode()


def main() -> None:
    """Serve a recorded-payload farmer + harvester (+ daemon) for bench/client_overhead.py."""
    parser = argparse.ArgumentParser(description="fake chia services with recorded 2.7.5 payloads")
    parser.add_argument("--root", type=Path, required=True, help="CHIA_ROOT to create (config + certificates)")
    parser.add_argument("--plots", type=int, default=100_000, help="plots on the one harvester")
    parser.add_argument("--ports", required=True, help="daemon,farmer,harvester,full_node,wallet ports")
    parser.add_argument("--sp-interval", type=float, default=600 / 64, help="seconds between signage points")
    args = parser.parse_args()
    ports = dict(zip(SERVICES, (int(p) for p in args.ports.split(","))))
    write_chia_root(args.root, ports)
    routes = recorded_routes()
    plots_body = plots_answer(args.plots)
    routes["harvester"]["get_plots"] = lambda body: plots_body
    summary = json.loads(json.dumps(routes["farmer"]["get_harvesters_summary"]))
    summary["harvesters"][0].update(plots=args.plots, total_plot_size=args.plots * 108_800_000_000,
                                    total_effective_plot_size=args.plots * 108_800_000_000)
    routes["farmer"]["get_harvesters_summary"] = summary
    fake = FakeChia(args.root, routes, ports).start()
    print("ready", flush=True)
    try:
        push_signage_points(fake, args.sp_interval, args.plots)
    finally:
        fake.stop()


def push_signage_points(fake: FakeChia, interval: float, plots: int) -> None:
    """Forever: a signage point and the harvester's answer every `interval` s, as the real farmer sends them."""
    events = recorded("daemon-events-2.7.5.json")
    node_id = events["new_farming_info"]["data"]["farming_info"]["node_id"]
    challenge, index = os.urandom(32).hex(), 0
    while True:
        sp_hash = os.urandom(32).hex()
        sp = json.loads(json.dumps(events["new_signage_point"]["data"]))
        sp["signage_point"].update(challenge_chain_sp="0x" + sp_hash, challenge_hash="0x" + challenge,
                                   signage_point_index=index)
        fake.push("new_signage_point", sp)
        info = json.loads(json.dumps(events["new_farming_info"]["data"]))
        info["farming_info"].update(signage_point="0x" + sp_hash, node_id=node_id, total_plots=plots,
                                    passed_filter=plots // 512, lookup_time=350_000)
        fake.push("new_farming_info", info)
        index = (index + 1) % 64
        if index == 0:
            challenge = os.urandom(32).hex()
        time.sleep(interval)


if __name__ == "__main__":
    main()
