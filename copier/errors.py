"""Why a move failed; the copier decides what to do next from the kind, the message is for people."""
from __future__ import annotations


class MoveError(Exception):
    """A move that did not happen; the source is untouched and no partial file is left."""


class TargetFull(MoveError):
    """The target ran out of space (ENOSPC/EDQUOT): mark it full, put the plot elsewhere."""


class TargetFault(MoveError):
    """The target failed (I/O error, unmounted, folder gone, read-only): retire it, probe later."""


class NameTaken(MoveError):
    """A file with the plot's name appeared at the target: never overwrite, go elsewhere."""


class SourceFault(MoveError):
    """The source could not be read or changed while copying: try this plot again later."""


class SourceVanished(MoveError):
    """The source is gone (moved or deleted by someone else): nothing to do."""


class CopyAborted(MoveError):
    """The copier is stopping."""


class SameFile(MoveError):
    """The target path leads to the source file itself (overlapping folders, a bind mount, a hard
    link): comparing or copying it with itself would end with the only copy deleted."""


class DifferentFile(NameTaken):
    """The target already holds a file of the plot's name with other bytes: both stay, the job fails."""


class PartialVanished(MoveError):
    """Our partial file was removed or replaced by someone else during the copy; the disk is fine."""
