"""Chia collection: RPC, daemon websocket events, debug.log parsing, plotter logs."""
