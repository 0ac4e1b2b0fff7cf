"""Free TCP ports on the loopback interface."""
from __future__ import annotations

import socket
from contextlib import closing


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; it may be taken again before use)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
