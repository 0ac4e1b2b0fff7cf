"""One piece of work in a forked child process, its result coming back pickled through a pipe.

parse-log reads the pieces of a big log in parallel this way: a process pool would cost more to
import and start than such a child lives. Only where os.fork exists (Linux, macOS)."""
from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any


class Forked:
    def __init__(self, work: Callable[[Any], Any], argument: Any) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            self._child(work, argument, read, write)      # never returns
        os.close(write)
        self._read = read

    @staticmethod
    def _child(work: Callable[[Any], Any], argument: Any, read: int, write: int) -> None:
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                pickle.dump(work(argument), out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except KeyboardInterrupt:  # Ctrl-C reached the whole process group: the parent says so
            pass
        except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(status)

    def result(self) -> Any:
        """Wait for the child and return what its work returned."""
        with os.fdopen(self._read, "rb") as source:
            data = source.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"a forked worker failed (wait status {status}; its traceback is above)")
        return pickle.loads(data)

    def cancel(self) -> None:
        """Stop a child whose result is no longer wanted (the parent failed meanwhile)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
            os.close(self._read)
        except OSError:
            pass
