from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SmartHealth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SMART_HEALTH_UNKNOWN: _ClassVar[SmartHealth]
    SMART_HEALTH_PASSED: _ClassVar[SmartHealth]
    SMART_HEALTH_FAILED: _ClassVar[SmartHealth]
SMART_HEALTH_UNKNOWN: SmartHealth
SMART_HEALTH_PASSED: SmartHealth
SMART_HEALTH_FAILED: SmartHealth

class MachineInfo(_message.Message):
    __slots__ = ("hostname", "teafarm_version", "os", "python_version", "boot_time")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    TEAFARM_VERSION_FIELD_NUMBER: _ClassVar[int]
    OS_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    BOOT_TIME_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    teafarm_version: str
    os: str
    python_version: str
    boot_time: float
    def __init__(self, hostname: _Optional[str] = ..., teafarm_version: _Optional[str] = ..., os: _Optional[str] = ..., python_version: _Optional[str] = ..., boot_time: _Optional[float] = ...) -> None: ...

class Cpu(_message.Message):
    __slots__ = ("usage_percent", "frequency_mhz", "temperature_c", "cores", "physical_cores", "load_1m")
    USAGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_MHZ_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    CORES_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_CORES_FIELD_NUMBER: _ClassVar[int]
    LOAD_1M_FIELD_NUMBER: _ClassVar[int]
    usage_percent: float
    frequency_mhz: float
    temperature_c: float
    cores: int
    physical_cores: int
    load_1m: float
    def __init__(self, usage_percent: _Optional[float] = ..., frequency_mhz: _Optional[float] = ..., temperature_c: _Optional[float] = ..., cores: _Optional[int] = ..., physical_cores: _Optional[int] = ..., load_1m: _Optional[float] = ...) -> None: ...

class Ram(_message.Message):
    __slots__ = ("total_bytes", "used_bytes", "available_bytes", "percent", "swap_total_bytes", "swap_used_bytes", "swap_percent")
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    SWAP_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    SWAP_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    SWAP_PERCENT_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    used_bytes: int
    available_bytes: int
    percent: float
    swap_total_bytes: int
    swap_used_bytes: int
    swap_percent: float
    def __init__(self, total_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., available_bytes: _Optional[int] = ..., percent: _Optional[float] = ..., swap_total_bytes: _Optional[int] = ..., swap_used_bytes: _Optional[int] = ..., swap_percent: _Optional[float] = ...) -> None: ...

class Disk(_message.Message):
    __slots__ = ("id", "mountpoint", "device", "fstype", "total_bytes", "used_bytes", "free_bytes", "percent", "network", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    MOUNTPOINT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    FSTYPE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    used_bytes: int
    free_bytes: int
    percent: float
    network: bool
    error: str
    def __init__(self, id: _Optional[str] = ..., mountpoint: _Optional[str] = ..., device: _Optional[str] = ..., fstype: _Optional[str] = ..., total_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., free_bytes: _Optional[int] = ..., percent: _Optional[float] = ..., network: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class Process(_message.Message):
    __slots__ = ("id", "pid", "name", "cmdline", "create_time", "cpu_percent", "rss_bytes", "username")
    ID_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CMDLINE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    pid: int
    name: str
    cmdline: str
    create_time: float
    cpu_percent: float
    rss_bytes: int
    username: str
    def __init__(self, id: _Optional[str] = ..., pid: _Optional[int] = ..., name: _Optional[str] = ..., cmdline: _Optional[str] = ..., create_time: _Optional[float] = ..., cpu_percent: _Optional[float] = ..., rss_bytes: _Optional[int] = ..., username: _Optional[str] = ...) -> None: ...

class SmartSupport(_message.Message):
    __slots__ = ("available", "reason", "smartctl_version")
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SMARTCTL_VERSION_FIELD_NUMBER: _ClassVar[int]
    available: bool
    reason: str
    smartctl_version: str
    def __init__(self, available: _Optional[bool] = ..., reason: _Optional[str] = ..., smartctl_version: _Optional[str] = ...) -> None: ...

class SmartDisk(_message.Message):
    __slots__ = ("id", "device", "device_type", "model", "capacity_bytes", "health", "temperature_c", "reallocated_sectors", "pending_sectors", "power_on_hours", "exit_status", "standby", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    REALLOCATED_SECTORS_FIELD_NUMBER: _ClassVar[int]
    PENDING_SECTORS_FIELD_NUMBER: _ClassVar[int]
    POWER_ON_HOURS_FIELD_NUMBER: _ClassVar[int]
    EXIT_STATUS_FIELD_NUMBER: _ClassVar[int]
    STANDBY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    device: str
    device_type: str
    model: str
    capacity_bytes: int
    health: SmartHealth
    temperature_c: float
    reallocated_sectors: int
    pending_sectors: int
    power_on_hours: int
    exit_status: int
    standby: bool
    error: str
    def __init__(self, id: _Optional[str] = ..., device: _Optional[str] = ..., device_type: _Optional[str] = ..., model: _Optional[str] = ..., capacity_bytes: _Optional[int] = ..., health: _Optional[_Union[SmartHealth, str]] = ..., temperature_c: _Optional[float] = ..., reallocated_sectors: _Optional[int] = ..., pending_sectors: _Optional[int] = ..., power_on_hours: _Optional[int] = ..., exit_status: _Optional[int] = ..., standby: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...
