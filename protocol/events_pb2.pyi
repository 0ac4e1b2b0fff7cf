from protocol import hardware_pb2 as _hardware_pb2
from protocol import chia_pb2 as _chia_pb2
from protocol import copier_pb2 as _copier_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    ADD: _ClassVar[EventType]
    UPDATE: _ClassVar[EventType]
    DELETE: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
ADD: EventType
UPDATE: EventType
DELETE: EventType

class ComputerInfo(_message.Message):
    __slots__ = ("machine", "timestamp", "machine_info", "cpu", "ram", "disks", "processes", "chia_services", "harvesters", "harvester_identities", "plots", "farmer", "full_node", "wallet", "pools", "plotter_jobs", "log_health", "copy_jobs", "copy_targets", "smart", "smart_disks", "wallet_transactions")
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MACHINE_INFO_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    RAM_FIELD_NUMBER: _ClassVar[int]
    DISKS_FIELD_NUMBER: _ClassVar[int]
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    CHIA_SERVICES_FIELD_NUMBER: _ClassVar[int]
    HARVESTERS_FIELD_NUMBER: _ClassVar[int]
    HARVESTER_IDENTITIES_FIELD_NUMBER: _ClassVar[int]
    PLOTS_FIELD_NUMBER: _ClassVar[int]
    FARMER_FIELD_NUMBER: _ClassVar[int]
    FULL_NODE_FIELD_NUMBER: _ClassVar[int]
    WALLET_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    PLOTTER_JOBS_FIELD_NUMBER: _ClassVar[int]
    LOG_HEALTH_FIELD_NUMBER: _ClassVar[int]
    COPY_JOBS_FIELD_NUMBER: _ClassVar[int]
    COPY_TARGETS_FIELD_NUMBER: _ClassVar[int]
    SMART_FIELD_NUMBER: _ClassVar[int]
    SMART_DISKS_FIELD_NUMBER: _ClassVar[int]
    WALLET_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    machine: str
    timestamp: float
    machine_info: _hardware_pb2.MachineInfo
    cpu: _hardware_pb2.Cpu
    ram: _hardware_pb2.Ram
    disks: _containers.RepeatedCompositeFieldContainer[_hardware_pb2.Disk]
    processes: _containers.RepeatedCompositeFieldContainer[_hardware_pb2.Process]
    chia_services: _containers.RepeatedCompositeFieldContainer[_chia_pb2.ChiaService]
    harvesters: _containers.RepeatedCompositeFieldContainer[_chia_pb2.Harvester]
    harvester_identities: _containers.RepeatedCompositeFieldContainer[_chia_pb2.HarvesterIdentity]
    plots: _containers.RepeatedCompositeFieldContainer[_chia_pb2.Plot]
    farmer: _chia_pb2.Farmer
    full_node: _chia_pb2.FullNode
    wallet: _chia_pb2.Wallet
    pools: _containers.RepeatedCompositeFieldContainer[_chia_pb2.Pool]
    plotter_jobs: _containers.RepeatedCompositeFieldContainer[_chia_pb2.PlotterJob]
    log_health: _containers.RepeatedCompositeFieldContainer[_chia_pb2.LogHealth]
    copy_jobs: _containers.RepeatedCompositeFieldContainer[_copier_pb2.CopyJob]
    copy_targets: _containers.RepeatedCompositeFieldContainer[_copier_pb2.CopyTarget]
    smart: _hardware_pb2.SmartSupport
    smart_disks: _containers.RepeatedCompositeFieldContainer[_hardware_pb2.SmartDisk]
    wallet_transactions: _containers.RepeatedCompositeFieldContainer[_chia_pb2.WalletTransaction]
    def __init__(self, machine: _Optional[str] = ..., timestamp: _Optional[float] = ..., machine_info: _Optional[_Union[_hardware_pb2.MachineInfo, _Mapping]] = ..., cpu: _Optional[_Union[_hardware_pb2.Cpu, _Mapping]] = ..., ram: _Optional[_Union[_hardware_pb2.Ram, _Mapping]] = ..., disks: _Optional[_Iterable[_Union[_hardware_pb2.Disk, _Mapping]]] = ..., processes: _Optional[_Iterable[_Union[_hardware_pb2.Process, _Mapping]]] = ..., chia_services: _Optional[_Iterable[_Union[_chia_pb2.ChiaService, _Mapping]]] = ..., harvesters: _Optional[_Iterable[_Union[_chia_pb2.Harvester, _Mapping]]] = ..., harvester_identities: _Optional[_Iterable[_Union[_chia_pb2.HarvesterIdentity, _Mapping]]] = ..., plots: _Optional[_Iterable[_Union[_chia_pb2.Plot, _Mapping]]] = ..., farmer: _Optional[_Union[_chia_pb2.Farmer, _Mapping]] = ..., full_node: _Optional[_Union[_chia_pb2.FullNode, _Mapping]] = ..., wallet: _Optional[_Union[_chia_pb2.Wallet, _Mapping]] = ..., pools: _Optional[_Iterable[_Union[_chia_pb2.Pool, _Mapping]]] = ..., plotter_jobs: _Optional[_Iterable[_Union[_chia_pb2.PlotterJob, _Mapping]]] = ..., log_health: _Optional[_Iterable[_Union[_chia_pb2.LogHealth, _Mapping]]] = ..., copy_jobs: _Optional[_Iterable[_Union[_copier_pb2.CopyJob, _Mapping]]] = ..., copy_targets: _Optional[_Iterable[_Union[_copier_pb2.CopyTarget, _Mapping]]] = ..., smart: _Optional[_Union[_hardware_pb2.SmartSupport, _Mapping]] = ..., smart_disks: _Optional[_Iterable[_Union[_hardware_pb2.SmartDisk, _Mapping]]] = ..., wallet_transactions: _Optional[_Iterable[_Union[_chia_pb2.WalletTransaction, _Mapping]]] = ...) -> None: ...

class UpdateEvent(_message.Message):
    __slots__ = ("event_type", "timestamp", "machine_info", "cpu", "ram", "disk", "process", "chia_service", "harvester", "harvester_identity", "plot", "farmer", "full_node", "wallet", "pool", "plotter_job", "log_health", "copy_job", "copy_target", "smart", "smart_disk", "wallet_transaction", "farming", "signage", "partial", "proof", "block")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MACHINE_INFO_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    RAM_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    CHIA_SERVICE_FIELD_NUMBER: _ClassVar[int]
    HARVESTER_FIELD_NUMBER: _ClassVar[int]
    HARVESTER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    PLOT_FIELD_NUMBER: _ClassVar[int]
    FARMER_FIELD_NUMBER: _ClassVar[int]
    FULL_NODE_FIELD_NUMBER: _ClassVar[int]
    WALLET_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    PLOTTER_JOB_FIELD_NUMBER: _ClassVar[int]
    LOG_HEALTH_FIELD_NUMBER: _ClassVar[int]
    COPY_JOB_FIELD_NUMBER: _ClassVar[int]
    COPY_TARGET_FIELD_NUMBER: _ClassVar[int]
    SMART_FIELD_NUMBER: _ClassVar[int]
    SMART_DISK_FIELD_NUMBER: _ClassVar[int]
    WALLET_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    FARMING_FIELD_NUMBER: _ClassVar[int]
    SIGNAGE_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    event_type: EventType
    timestamp: float
    machine_info: _hardware_pb2.MachineInfo
    cpu: _hardware_pb2.Cpu
    ram: _hardware_pb2.Ram
    disk: _hardware_pb2.Disk
    process: _hardware_pb2.Process
    chia_service: _chia_pb2.ChiaService
    harvester: _chia_pb2.Harvester
    harvester_identity: _chia_pb2.HarvesterIdentity
    plot: _chia_pb2.Plot
    farmer: _chia_pb2.Farmer
    full_node: _chia_pb2.FullNode
    wallet: _chia_pb2.Wallet
    pool: _chia_pb2.Pool
    plotter_job: _chia_pb2.PlotterJob
    log_health: _chia_pb2.LogHealth
    copy_job: _copier_pb2.CopyJob
    copy_target: _copier_pb2.CopyTarget
    smart: _hardware_pb2.SmartSupport
    smart_disk: _hardware_pb2.SmartDisk
    wallet_transaction: _chia_pb2.WalletTransaction
    farming: _chia_pb2.FarmingBucket
    signage: _chia_pb2.SignageBucket
    partial: _chia_pb2.Partial
    proof: _chia_pb2.Proof
    block: _chia_pb2.BlockFarmed
    def __init__(self, event_type: _Optional[_Union[EventType, str]] = ..., timestamp: _Optional[float] = ..., machine_info: _Optional[_Union[_hardware_pb2.MachineInfo, _Mapping]] = ..., cpu: _Optional[_Union[_hardware_pb2.Cpu, _Mapping]] = ..., ram: _Optional[_Union[_hardware_pb2.Ram, _Mapping]] = ..., disk: _Optional[_Union[_hardware_pb2.Disk, _Mapping]] = ..., process: _Optional[_Union[_hardware_pb2.Process, _Mapping]] = ..., chia_service: _Optional[_Union[_chia_pb2.ChiaService, _Mapping]] = ..., harvester: _Optional[_Union[_chia_pb2.Harvester, _Mapping]] = ..., harvester_identity: _Optional[_Union[_chia_pb2.HarvesterIdentity, _Mapping]] = ..., plot: _Optional[_Union[_chia_pb2.Plot, _Mapping]] = ..., farmer: _Optional[_Union[_chia_pb2.Farmer, _Mapping]] = ..., full_node: _Optional[_Union[_chia_pb2.FullNode, _Mapping]] = ..., wallet: _Optional[_Union[_chia_pb2.Wallet, _Mapping]] = ..., pool: _Optional[_Union[_chia_pb2.Pool, _Mapping]] = ..., plotter_job: _Optional[_Union[_chia_pb2.PlotterJob, _Mapping]] = ..., log_health: _Optional[_Union[_chia_pb2.LogHealth, _Mapping]] = ..., copy_job: _Optional[_Union[_copier_pb2.CopyJob, _Mapping]] = ..., copy_target: _Optional[_Union[_copier_pb2.CopyTarget, _Mapping]] = ..., smart: _Optional[_Union[_hardware_pb2.SmartSupport, _Mapping]] = ..., smart_disk: _Optional[_Union[_hardware_pb2.SmartDisk, _Mapping]] = ..., wallet_transaction: _Optional[_Union[_chia_pb2.WalletTransaction, _Mapping]] = ..., farming: _Optional[_Union[_chia_pb2.FarmingBucket, _Mapping]] = ..., signage: _Optional[_Union[_chia_pb2.SignageBucket, _Mapping]] = ..., partial: _Optional[_Union[_chia_pb2.Partial, _Mapping]] = ..., proof: _Optional[_Union[_chia_pb2.Proof, _Mapping]] = ..., block: _Optional[_Union[_chia_pb2.BlockFarmed, _Mapping]] = ...) -> None: ...
