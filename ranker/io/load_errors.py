"""Why a photo could not be loaded (ImageLoadError, Damaged), its file named in text any terminal takes."""

from __future__ import annotations

import os
from pathlib import Path

#: a file name as the loaders take it: text, bytes (any name survives, even one not UTF-8) or a path object
AnyPath = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def as_path(path: AnyPath) -> Path:
    # os.fsdecode keeps undecodable bytes as surrogates, so the path still opens the same file.
    return Path(os.fsdecode(os.fspath(path)))


def printable_path(path: str | os.PathLike[str]) -> str:
    """The path as text any terminal or JSON file takes: bytes that are not UTF-8 shown escaped."""
    text = str(Path(os.fspath(path)))
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


class ImageLoadError(Exception):
    """Any failure to read a photo; str(e) == f"{path}: {reason}".

    A path that is not valid UTF-8 is shown with its bad bytes escaped (b"bad\\xff.jpg" reads
    "bad\\xff.jpg"), so the message can always be printed or logged.
    """

    def __init__(self, path: AnyPath, reason: str):
        self.path = as_path(path)
        self.reason = reason
        super().__init__(f"{printable_path(self.path)}: {reason}")

    def __reduce__(self) -> tuple[type[ImageLoadError], tuple[Path, str]]:
        # The default pickling passes only the message back to __init__; process pools need both.
        return (type(self), (self.path, self.reason))


class Damaged(Exception):
    """Decoded, but not the photo the file should hold; the message is the reason."""
