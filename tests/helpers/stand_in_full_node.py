"""A stand-in full node for a REAL chia farmer (run with the chia venv's python, CHIA_ROOT set).

It accepts the farmer's outbound peer connection, does chia's handshake with chia's own classes and
pushes farmer_protocol.NewSignagePoint messages, which is what a real full node sends once a
timelord finished a signage point (offline there is no timelord). Index gaps within a sub-slot
(--skip-at) make the farmer see missed signage points. With --rpc-port it also answers the full
node RPC `get_blockchain_state` (mutual TLS, like chia) with its peak height, so a client can
compute the plot filter.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import time
from pathlib import Path

from aiohttp import WSMsgType, web
from chia import __version__
from chia.protocols import farmer_protocol
from chia.protocols.outbound_message import Message, NodeType, make_msg
from chia.protocols.protocol_message_types import ProtocolMessageTypes
from chia.protocols.shared_protocol import Handshake, default_capabilities, protocol_version
from chia_rs.sized_bytes import bytes32
from chia_rs.sized_ints import uint8, uint16, uint32, uint64

SSL_DIR = Path(os.environ["CHIA_ROOT"]) / "config" / "ssl"


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="the farmer's full_node_peers port")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between signage points")
    parser.add_argument("--count", type=int, default=100000, help="signage points to send")
    parser.add_argument("--skip-at", type=int, action="append", default=[],
                        help="before the Nth signage point, jump the index by --skip (repeatable)")
    parser.add_argument("--skip", type=int, default=5, help="index jump at each --skip-at")
    parser.add_argument("--peak-height", type=int, default=16_200_000)
    parser.add_argument("--network", default="testnet11")
    parser.add_argument("--rpc-port", type=int, default=0, help="also answer get_blockchain_state here")
    return parser.parse_args()


async def push_signage_points(ws: web.WebSocketResponse, args: argparse.Namespace) -> None:
    challenge, index = bytes32.random(), 0
    for sent in range(args.count):
        if ws.closed:
            return
        if sent in args.skip_at:
            index += args.skip
        if index >= 64:                       # a new sub-slot: new challenge, indexes start again
            challenge, index = bytes32.random(), 0
        sp_hash = challenge if index == 0 else bytes32.random()
        height = uint32(args.peak_height + sent // 3)
        sp = farmer_protocol.NewSignagePoint(challenge, sp_hash, bytes32.random(), uint64(1), uint64(67108864),
                                             uint8(index), height, height)
        await ws.send_bytes(bytes(make_msg(ProtocolMessageTypes.new_signage_point, sp)))
        log("-> new_signage_point", sent, index, challenge.hex()[:10])
        index += 1
        await asyncio.sleep(args.interval)


def peer_handler(args: argparse.Namespace):
    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=50 * 1024 * 1024)
        await ws.prepare(request)
        first = await ws.receive()
        handshake = Handshake.from_bytes(Message.from_bytes(first.data).data)
        remote = NodeType(handshake.node_type)
        log("handshake from", remote.name, handshake.software_version)
        reply = Handshake(args.network, protocol_version[remote], __version__, uint16(args.port),
                          uint8(NodeType.FULL_NODE.value), default_capabilities[NodeType.FULL_NODE])
        await ws.send_bytes(bytes(make_msg(ProtocolMessageTypes.handshake, reply)))
        pusher = asyncio.create_task(push_signage_points(ws, args))
        async for message in ws:              # declare_proof_of_space and friends: logged, not answered
            if message.type == WSMsgType.BINARY:
                log("<-", ProtocolMessageTypes(Message.from_bytes(message.data).type).name)
        pusher.cancel()
        return ws
    return handle


def rpc_app(args: argparse.Namespace) -> web.Application:
    started = time.time()

    async def blockchain_state(request: web.Request) -> web.Response:
        height = args.peak_height + int((time.time() - started) / args.interval) // 3
        return web.json_response({"success": True, "blockchain_state": {
            "peak": {"height": height, "timestamp": int(time.time())}, "difficulty": 1, "space": 18124430,
            "sync": {"synced": True, "sync_mode": False, "sync_progress_height": 0, "sync_tip_height": 0}}})

    async def version(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "version": f"{__version__} (stand-in)"})

    app = web.Application()
    app.router.add_post("/get_blockchain_state", blockchain_state)
    app.router.add_post("/get_version", version)
    app.router.add_post("/healthz", version)
    return app


def server_context(ca_files: list[str], cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for ca in ca_files:
        context.load_verify_locations(ca)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


async def main() -> None:
    args = parse_args()
    peer = web.Application()
    peer.router.add_route("GET", "/ws", peer_handler(args))
    runners = []
    # the farmer dials full nodes with their public certificate, signed by chia's public CA
    peer_ssl = server_context([str(SSL_DIR / "ca" / "chia_ca.crt"), str(SSL_DIR / "ca" / "private_ca.crt")],
                              str(SSL_DIR / "full_node" / "public_full_node.crt"),
                              str(SSL_DIR / "full_node" / "public_full_node.key"))
    sites = [(peer, args.port, peer_ssl)]
    if args.rpc_port:
        rpc_ssl = server_context([str(SSL_DIR / "ca" / "private_ca.crt")], str(SSL_DIR / "full_node" / "private_full_node.crt"),
                                 str(SSL_DIR / "full_node" / "private_full_node.key"))
        sites.append((rpc_app(args), args.rpc_port, rpc_ssl))
    for app, port, context in sites:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
        runners.append(runner)
    log("stand-in full node listening on", args.port, "rpc", args.rpc_port or "-")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
