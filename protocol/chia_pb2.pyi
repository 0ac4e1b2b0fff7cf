from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_STATE_UNKNOWN: _ClassVar[ServiceState]
    NOT_INSTALLED: _ClassVar[ServiceState]
    STOPPED: _ClassVar[ServiceState]
    RUNNING: _ClassVar[ServiceState]
    FAILING: _ClassVar[ServiceState]

class PlotStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLOT_STATUS_UNKNOWN: _ClassVar[PlotStatus]
    VALID: _ClassVar[PlotStatus]
    INVALID: _ClassVar[PlotStatus]
    MISSING_KEY: _ClassVar[PlotStatus]
    DUPLICATE: _ClassVar[PlotStatus]
SERVICE_STATE_UNKNOWN: ServiceState
NOT_INSTALLED: ServiceState
STOPPED: ServiceState
RUNNING: ServiceState
FAILING: ServiceState
PLOT_STATUS_UNKNOWN: PlotStatus
VALID: PlotStatus
INVALID: PlotStatus
MISSING_KEY: PlotStatus
DUPLICATE: PlotStatus

class ChiaService(_message.Message):
    __slots__ = ("id", "state", "version", "rpc_port", "error", "log_level")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RPC_PORT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: ServiceState
    version: str
    rpc_port: int
    error: str
    log_level: str
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[ServiceState, str]] = ..., version: _Optional[str] = ..., rpc_port: _Optional[int] = ..., error: _Optional[str] = ..., log_level: _Optional[str] = ...) -> None: ...

class Harvester(_message.Message):
    __slots__ = ("id", "node_id", "host", "connected", "last_answer_time", "plots", "invalid_plots", "missing_key_plots", "duplicate_plots", "total_plot_size", "total_effective_size", "syncing", "last_sync_time", "disconnected_since")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    LAST_ANSWER_TIME_FIELD_NUMBER: _ClassVar[int]
    PLOTS_FIELD_NUMBER: _ClassVar[int]
    INVALID_PLOTS_FIELD_NUMBER: _ClassVar[int]
    MISSING_KEY_PLOTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_PLOTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PLOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EFFECTIVE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SYNCING_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_TIME_FIELD_NUMBER: _ClassVar[int]
    DISCONNECTED_SINCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    node_id: str
    host: str
    connected: bool
    last_answer_time: float
    plots: int
    invalid_plots: int
    missing_key_plots: int
    duplicate_plots: int
    total_plot_size: int
    total_effective_size: int
    syncing: bool
    last_sync_time: float
    disconnected_since: float
    def __init__(self, id: _Optional[str] = ..., node_id: _Optional[str] = ..., host: _Optional[str] = ..., connected: _Optional[bool] = ..., last_answer_time: _Optional[float] = ..., plots: _Optional[int] = ..., invalid_plots: _Optional[int] = ..., missing_key_plots: _Optional[int] = ..., duplicate_plots: _Optional[int] = ..., total_plot_size: _Optional[int] = ..., total_effective_size: _Optional[int] = ..., syncing: _Optional[bool] = ..., last_sync_time: _Optional[float] = ..., disconnected_since: _Optional[float] = ...) -> None: ...

class HarvesterIdentity(_message.Message):
    __slots__ = ("id", "node_id", "plot_directories")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PLOT_DIRECTORIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    node_id: str
    plot_directories: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., node_id: _Optional[str] = ..., plot_directories: _Optional[_Iterable[str]] = ...) -> None: ...

class Plot(_message.Message):
    __slots__ = ("id", "harvester_node_id", "filename", "k", "compression", "file_size", "time_modified", "status", "disk", "v2")
    ID_FIELD_NUMBER: _ClassVar[int]
    HARVESTER_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TIME_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    V2_FIELD_NUMBER: _ClassVar[int]
    id: str
    harvester_node_id: str
    filename: str
    k: int
    compression: int
    file_size: int
    time_modified: float
    status: PlotStatus
    disk: str
    v2: bool
    def __init__(self, id: _Optional[str] = ..., harvester_node_id: _Optional[str] = ..., filename: _Optional[str] = ..., k: _Optional[int] = ..., compression: _Optional[int] = ..., file_size: _Optional[int] = ..., time_modified: _Optional[float] = ..., status: _Optional[_Union[PlotStatus, str]] = ..., disk: _Optional[str] = ..., v2: _Optional[bool] = ...) -> None: ...

class FarmingBucket(_message.Message):
    __slots__ = ("harvester_node_id", "minute", "sp_expected", "sp_answered", "sp_missed", "sp_late_5s", "sp_late_28s", "lookup_p50", "lookup_p95", "lookup_max", "eligible_plots", "expected_eligible", "proofs", "total_plots", "sp_missed_disconnected")
    HARVESTER_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    SP_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    SP_ANSWERED_FIELD_NUMBER: _ClassVar[int]
    SP_MISSED_FIELD_NUMBER: _ClassVar[int]
    SP_LATE_5S_FIELD_NUMBER: _ClassVar[int]
    SP_LATE_28S_FIELD_NUMBER: _ClassVar[int]
    LOOKUP_P50_FIELD_NUMBER: _ClassVar[int]
    LOOKUP_P95_FIELD_NUMBER: _ClassVar[int]
    LOOKUP_MAX_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_PLOTS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    PROOFS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PLOTS_FIELD_NUMBER: _ClassVar[int]
    SP_MISSED_DISCONNECTED_FIELD_NUMBER: _ClassVar[int]
    harvester_node_id: str
    minute: float
    sp_expected: int
    sp_answered: int
    sp_missed: int
    sp_late_5s: int
    sp_late_28s: int
    lookup_p50: float
    lookup_p95: float
    lookup_max: float
    eligible_plots: int
    expected_eligible: float
    proofs: int
    total_plots: int
    sp_missed_disconnected: int
    def __init__(self, harvester_node_id: _Optional[str] = ..., minute: _Optional[float] = ..., sp_expected: _Optional[int] = ..., sp_answered: _Optional[int] = ..., sp_missed: _Optional[int] = ..., sp_late_5s: _Optional[int] = ..., sp_late_28s: _Optional[int] = ..., lookup_p50: _Optional[float] = ..., lookup_p95: _Optional[float] = ..., lookup_max: _Optional[float] = ..., eligible_plots: _Optional[int] = ..., expected_eligible: _Optional[float] = ..., proofs: _Optional[int] = ..., total_plots: _Optional[int] = ..., sp_missed_disconnected: _Optional[int] = ...) -> None: ...

class SignageBucket(_message.Message):
    __slots__ = ("minute", "seen", "skipped")
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    SEEN_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    minute: float
    seen: int
    skipped: int
    def __init__(self, minute: _Optional[float] = ..., seen: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...

class Farmer(_message.Message):
    __slots__ = ("running", "harvesters_connected", "full_node_connected", "last_signage_point_time")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    HARVESTERS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    FULL_NODE_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    LAST_SIGNAGE_POINT_TIME_FIELD_NUMBER: _ClassVar[int]
    running: bool
    harvesters_connected: int
    full_node_connected: bool
    last_signage_point_time: float
    def __init__(self, running: _Optional[bool] = ..., harvesters_connected: _Optional[int] = ..., full_node_connected: _Optional[bool] = ..., last_signage_point_time: _Optional[float] = ...) -> None: ...

class FullNode(_message.Message):
    __slots__ = ("synced", "syncing", "peak_height", "sync_tip_height", "sync_progress_height", "peak_time", "netspace_bytes", "difficulty", "network")
    SYNCED_FIELD_NUMBER: _ClassVar[int]
    SYNCING_FIELD_NUMBER: _ClassVar[int]
    PEAK_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SYNC_TIP_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SYNC_PROGRESS_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PEAK_TIME_FIELD_NUMBER: _ClassVar[int]
    NETSPACE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    synced: bool
    syncing: bool
    peak_height: int
    sync_tip_height: int
    sync_progress_height: int
    peak_time: float
    netspace_bytes: float
    difficulty: int
    network: str
    def __init__(self, synced: _Optional[bool] = ..., syncing: _Optional[bool] = ..., peak_height: _Optional[int] = ..., sync_tip_height: _Optional[int] = ..., sync_progress_height: _Optional[int] = ..., peak_time: _Optional[float] = ..., netspace_bytes: _Optional[float] = ..., difficulty: _Optional[int] = ..., network: _Optional[str] = ...) -> None: ...

class Wallet(_message.Message):
    __slots__ = ("synced", "syncing", "height", "farmed_amount", "pool_reward_amount", "farmer_reward_amount", "fee_amount", "last_height_farmed", "blocks_won")
    SYNCED_FIELD_NUMBER: _ClassVar[int]
    SYNCING_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FARMED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    POOL_REWARD_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FARMER_REWARD_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_HEIGHT_FARMED_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_WON_FIELD_NUMBER: _ClassVar[int]
    synced: bool
    syncing: bool
    height: int
    farmed_amount: int
    pool_reward_amount: int
    farmer_reward_amount: int
    fee_amount: int
    last_height_farmed: int
    blocks_won: int
    def __init__(self, synced: _Optional[bool] = ..., syncing: _Optional[bool] = ..., height: _Optional[int] = ..., farmed_amount: _Optional[int] = ..., pool_reward_amount: _Optional[int] = ..., farmer_reward_amount: _Optional[int] = ..., fee_amount: _Optional[int] = ..., last_height_farmed: _Optional[int] = ..., blocks_won: _Optional[int] = ...) -> None: ...

class WalletTransaction(_message.Message):
    __slots__ = ("id", "wallet_id", "fingerprint", "type", "amount", "fee_amount", "confirmed", "confirmed_at_height", "created_at_time", "to_address", "history_session")
    ID_FIELD_NUMBER: _ClassVar[int]
    WALLET_ID_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SESSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    wallet_id: int
    fingerprint: int
    type: int
    amount: int
    fee_amount: int
    confirmed: bool
    confirmed_at_height: int
    created_at_time: float
    to_address: str
    history_session: float
    def __init__(self, id: _Optional[str] = ..., wallet_id: _Optional[int] = ..., fingerprint: _Optional[int] = ..., type: _Optional[int] = ..., amount: _Optional[int] = ..., fee_amount: _Optional[int] = ..., confirmed: _Optional[bool] = ..., confirmed_at_height: _Optional[int] = ..., created_at_time: _Optional[float] = ..., to_address: _Optional[str] = ..., history_session: _Optional[float] = ...) -> None: ...

class Pool(_message.Message):
    __slots__ = ("id", "launcher_id", "pool_url", "current_points", "current_difficulty", "points_found_24h", "points_acknowledged_24h", "pool_errors_24h", "last_error", "reachable")
    ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCHER_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_URL_FIELD_NUMBER: _ClassVar[int]
    CURRENT_POINTS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FOUND_24H_FIELD_NUMBER: _ClassVar[int]
    POINTS_ACKNOWLEDGED_24H_FIELD_NUMBER: _ClassVar[int]
    POOL_ERRORS_24H_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    launcher_id: str
    pool_url: str
    current_points: int
    current_difficulty: int
    points_found_24h: int
    points_acknowledged_24h: int
    pool_errors_24h: int
    last_error: str
    reachable: bool
    def __init__(self, id: _Optional[str] = ..., launcher_id: _Optional[str] = ..., pool_url: _Optional[str] = ..., current_points: _Optional[int] = ..., current_difficulty: _Optional[int] = ..., points_found_24h: _Optional[int] = ..., points_acknowledged_24h: _Optional[int] = ..., pool_errors_24h: _Optional[int] = ..., last_error: _Optional[str] = ..., reachable: _Optional[bool] = ...) -> None: ...

class Partial(_message.Message):
    __slots__ = ("launcher_id", "harvester_node_id", "accepted", "error")
    LAUNCHER_ID_FIELD_NUMBER: _ClassVar[int]
    HARVESTER_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    launcher_id: str
    harvester_node_id: str
    accepted: bool
    error: str
    def __init__(self, launcher_id: _Optional[str] = ..., harvester_node_id: _Optional[str] = ..., accepted: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class Proof(_message.Message):
    __slots__ = ("harvester_node_id", "signage_point", "plot")
    HARVESTER_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAGE_POINT_FIELD_NUMBER: _ClassVar[int]
    PLOT_FIELD_NUMBER: _ClassVar[int]
    harvester_node_id: str
    signage_point: str
    plot: str
    def __init__(self, harvester_node_id: _Optional[str] = ..., signage_point: _Optional[str] = ..., plot: _Optional[str] = ...) -> None: ...

class BlockFarmed(_message.Message):
    __slots__ = ("header_hash", "height", "signage_point_index")
    HEADER_HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SIGNAGE_POINT_INDEX_FIELD_NUMBER: _ClassVar[int]
    header_hash: str
    height: int
    signage_point_index: int
    def __init__(self, header_hash: _Optional[str] = ..., height: _Optional[int] = ..., signage_point_index: _Optional[int] = ...) -> None: ...

class PlotterJob(_message.Message):
    __slots__ = ("id", "plotter", "plot_id", "k", "compression", "phase", "progress", "start_time", "eta_seconds", "log_file")
    ID_FIELD_NUMBER: _ClassVar[int]
    PLOTTER_FIELD_NUMBER: _ClassVar[int]
    PLOT_ID_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LOG_FILE_FIELD_NUMBER: _ClassVar[int]
    id: str
    plotter: str
    plot_id: str
    k: int
    compression: int
    phase: str
    progress: float
    start_time: float
    eta_seconds: float
    log_file: str
    def __init__(self, id: _Optional[str] = ..., plotter: _Optional[str] = ..., plot_id: _Optional[str] = ..., k: _Optional[int] = ..., compression: _Optional[int] = ..., phase: _Optional[str] = ..., progress: _Optional[float] = ..., start_time: _Optional[float] = ..., eta_seconds: _Optional[float] = ..., log_file: _Optional[str] = ...) -> None: ...

class LogHealth(_message.Message):
    __slots__ = ("id", "file", "parser", "lines_matched", "last_match_time", "blind", "chia_log_level")
    ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    PARSER_FIELD_NUMBER: _ClassVar[int]
    LINES_MATCHED_FIELD_NUMBER: _ClassVar[int]
    LAST_MATCH_TIME_FIELD_NUMBER: _ClassVar[int]
    BLIND_FIELD_NUMBER: _ClassVar[int]
    CHIA_LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    id: str
    file: str
    parser: str
    lines_matched: int
    last_match_time: float
    blind: bool
    chia_log_level: str
    def __init__(self, id: _Optional[str] = ..., file: _Optional[str] = ..., parser: _Optional[str] = ..., lines_matched: _Optional[int] = ..., last_match_time: _Optional[float] = ..., blind: _Optional[bool] = ..., chia_log_level: _Optional[str] = ...) -> None: ...
