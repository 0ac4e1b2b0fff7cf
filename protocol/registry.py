"""The explicit topic registry: which protobuf message is which topic, and how it is keyed.

A topic's name is its field name in UpdateEvent's `payload` oneof; it names the state table
(`<name>`) and the event table (`<name>_events`). State topics also appear in the ComputerInfo
snapshot (`snapshot_field`); facts (a proof, a minute of farming statistics) only ever append.
"""
from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from protocol import chia_pb2, copier_pb2, events_pb2, hardware_pb2


@dataclass(frozen=True)
class Topic:
    name: str
    message: type[Message]
    snapshot_field: str | None     # None: a fact, never in the snapshot, no state table
    keyed: bool                    # repeated in the snapshot, rows keyed by the message's `id`

    @property
    def is_fact(self) -> bool:
        return self.snapshot_field is None

    @property
    def state_table(self) -> str:
        return self.name

    @property
    def event_table(self) -> str:
        return f"{self.name}_events"


def _state(name: str, message: type[Message], snapshot_field: str, keyed: bool) -> Topic:
    return Topic(name, message, snapshot_field, keyed)


def _fact(name: str, message: type[Message]) -> Topic:
    return Topic(name, message, None, False)


TOPICS: tuple[Topic, ...] = (
    _state("machine_info", hardware_pb2.MachineInfo, "machine_info", False),
    _state("cpu", hardware_pb2.Cpu, "cpu", False),
    _state("ram", hardware_pb2.Ram, "ram", False),
    _state("disk", hardware_pb2.Disk, "disks", True),
    _state("process", hardware_pb2.Process, "processes", True),
    _state("chia_service", chia_pb2.ChiaService, "chia_services", True),
    _state("harvester", chia_pb2.Harvester, "harvesters", True),
    _state("harvester_identity", chia_pb2.HarvesterIdentity, "harvester_identities", True),
    _state("plot", chia_pb2.Plot, "plots", True),
    _state("farmer", chia_pb2.Farmer, "farmer", False),
    _state("full_node", chia_pb2.FullNode, "full_node", False),
    _state("wallet", chia_pb2.Wallet, "wallet", False),
    _state("pool", chia_pb2.Pool, "pools", True),
    _state("plotter_job", chia_pb2.PlotterJob, "plotter_jobs", True),
    _state("log_health", chia_pb2.LogHealth, "log_health", True),
    _state("copy_job", copier_pb2.CopyJob, "copy_jobs", True),
    _state("copy_target", copier_pb2.CopyTarget, "copy_targets", True),
    _state("smart", hardware_pb2.SmartSupport, "smart", False),
    _state("smart_disk", hardware_pb2.SmartDisk, "smart_disks", True),
    _state("wallet_transaction", chia_pb2.WalletTransaction, "wallet_transactions", True),
    _fact("farming", chia_pb2.FarmingBucket),
    _fact("signage", chia_pb2.SignageBucket),
    _fact("partial", chia_pb2.Partial),
    _fact("proof", chia_pb2.Proof),
    _fact("block", chia_pb2.BlockFarmed),
)

BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}
STATE_TOPICS: tuple[Topic, ...] = tuple(t for t in TOPICS if not t.is_fact)
FACT_TOPICS: tuple[Topic, ...] = tuple(t for t in TOPICS if t.is_fact)


def topic_of(event: events_pb2.UpdateEvent) -> Topic | None:
    """The topic an event carries, or None for a payload this version does not know."""
    name = event.WhichOneof("payload")
    return BY_NAME.get(name) if name else None


def _check_registry() -> None:
    oneof = {f.name for f in events_pb2.UpdateEvent.DESCRIPTOR.oneofs_by_name["payload"].fields}
    snapshot = {f.name for f in events_pb2.ComputerInfo.DESCRIPTOR.fields} - {"machine", "timestamp"}
    missing = (oneof - set(BY_NAME)) | (snapshot - {t.snapshot_field for t in STATE_TOPICS})
    if missing:
        raise RuntimeError(f"protocol fields without a registry entry: {sorted(missing)}")


_check_registry()
