"""Settings of chia collection (config section `chia`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChiaSettings:
    enabled: bool = True
    root: str = ""                     # "" -> $CHIA_ROOT, else ~/.chia/mainnet
