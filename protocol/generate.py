"""Regenerate the Python modules from the .proto files: `python -m protocol.generate [OUT_DIR]`.

The generated modules are committed; tests/test_protocol_fresh.py regenerates them into a temporary
folder and fails if they differ (grpcio-tools is pinned in pyproject.toml so the output is stable).
"""
from __future__ import annotations

import sys
from pathlib import Path

PROTOCOL_DIR = Path(__file__).resolve().parent
PROTO_FILES = sorted(PROTOCOL_DIR.glob("*.proto"))
SERVICE_FILES = ["service.proto"]  # the only file with a gRPC service


def generate(out_dir: Path) -> None:
    from grpc_tools import protoc  # test/dev dependency only

    root = PROTOCOL_DIR.parent
    include = str(Path(protoc.__file__).parent / "_proto")
    for proto in PROTO_FILES:
        args = ["protoc", f"-I{root}", f"-I{include}", f"--python_out={out_dir}", f"--pyi_out={out_dir}"]
        if proto.name in SERVICE_FILES:
            args.append(f"--grpc_python_out={out_dir}")
        args.append(str(proto.relative_to(root)))
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed on {proto}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTOCOL_DIR.parent)
