"""Harvesters as the farm sees them: the farmer's view (topic `harvester`, filed under the farmer's
machine) joined with the machine each harvester runs on (topic `harvester_identity`, sent by the
client on that machine). Harvesters are told apart by node id, never by IP."""
from __future__ import annotations

from dataclasses import dataclass

from monitor.store.reader import StoreReader


@dataclass
class HarvesterView:
    node_id: str
    machine: str              # the machine it runs on when known, else the farmer's machine
    farmer_machine: str       # "" when no farmer reports it (a client on it, no farmer view)
    host: str = ""
    connected: bool = False
    disconnected_since: float = 0.0
    plots: int = 0
    invalid: int = 0
    missing_key: int = 0
    duplicate: int = 0
    size: int = 0
    effective_size: int = 0
    last_answer_time: float = 0.0

    @property
    def label(self) -> str:
        return harvester_label(self.machine, self.node_id)


def harvester_label(machine: str, node_id: str) -> str:
    """'machine 0a1b2c3d': the machine name plus a short node id, as every reply and alert shows it."""
    short = node_id[:8] if node_id else "?"
    return f"{machine} {short}" if machine else short


def machines_of(reader: StoreReader) -> dict[str, str]:
    """node id -> the machine whose client reports that harvester as its own."""
    return {r["id"]: r["machine"] for r in reader.query("SELECT machine, id FROM harvester_identity")}


def harvesters(reader: StoreReader) -> list[HarvesterView]:
    home = machines_of(reader)
    found: dict[str, HarvesterView] = {}
    for r in reader.query("SELECT * FROM harvester ORDER BY machine, id"):
        node = r["id"]
        view = HarvesterView(
            node_id=node, machine=home.get(node, r["machine"]), farmer_machine=r["machine"], host=r["host"] or "",
            connected=bool(r["connected"]), disconnected_since=r["disconnected_since"] or 0.0,
            plots=r["plots"] or 0, invalid=r["invalid_plots"] or 0, missing_key=r["missing_key_plots"] or 0,
            duplicate=r["duplicate_plots"] or 0, size=int(r["total_plot_size"] or 0),
            effective_size=int(r["total_effective_size"] or 0), last_answer_time=r["last_answer_time"] or 0.0)
        # two farmers seeing one harvester: keep the connected view
        if node not in found or (view.connected and not found[node].connected):
            found[node] = view
    for node, machine in home.items():
        found.setdefault(node, HarvesterView(node_id=node, machine=machine, farmer_machine=""))
    return sorted(found.values(), key=lambda h: (h.machine, h.node_id))
