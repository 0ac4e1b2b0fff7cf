"""The shared piece: command line, typed configuration, logging and data paths."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("teafarm")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+checkout"
