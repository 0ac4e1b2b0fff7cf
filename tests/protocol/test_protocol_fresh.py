"""The committed generated modules are exactly what the pinned grpcio-tools makes of the .proto files."""
from __future__ import annotations

from pathlib import Path

from protocol.generate import PROTOCOL_DIR, generate


def test_generated_modules_match_the_proto_sources(tmp_path: Path):
    generate(tmp_path)
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "protocol").iterdir()}
    committed = {p.name: p.read_bytes() for p in PROTOCOL_DIR.iterdir() if p.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"))}
    assert sorted(fresh) == sorted(committed), "a generated module is missing or extra: run `make protocol`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated modules {stale}: run `make protocol` and commit them"
