"""Read a file written by `torch.save` into plain Python and NumPy arrays, without torch.

torch's format (since 1.6) is a zip archive: `<name>/data.pkl` pickles the object with each tensor
storage as a persistent id, `<name>/data/<key>` holds each storage's raw bytes, `<name>/byteorder`
their byte order. The unpickler below is an allow-list, like torch's own `weights_only=True`: it
rebuilds containers, numbers, strings and tensors and refuses every other global, so a malicious
file cannot run code. Anything outside that list raises UnsupportedTorchFile (callers may fall
back to torch.load(weights_only=True)).
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: torch storage classes → the NumPy dtype of their elements (bfloat16 has no NumPy dtype: refused)
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsupportedTorchFile(ValueError):
    """Not a zip-format torch file, or it holds something this reader does not rebuild."""


class _Storage:
    """One tensor storage: a flat NumPy array read lazily from the archive."""

    def __init__(self, archive: zipfile.ZipFile, member: str, dtype: type[np.generic], numel: int, order: str):
        self.archive, self.member, self.dtype, self.numel, self.order = archive, member, dtype, numel, order
        self._array: np.ndarray | None = None

    def array(self) -> np.ndarray:
        if self._array is None:
            data = self.archive.read(self.member)
            dtype = np.dtype(self.dtype).newbyteorder("<" if self.order == "little" else ">")
            array = np.frombuffer(data, dtype=dtype)
            if array.size < self.numel:
                raise UnsupportedTorchFile(f"storage {self.member} holds {array.size} of {self.numel} elements")
            self._array = array[: self.numel].astype(np.dtype(self.dtype).newbyteorder("="), copy=False)
        return self._array


def _rebuild_tensor(
    storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_ignored: Any
) -> np.ndarray:
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])."""
    flat = storage.array()
    if not size:
        return np.array(flat[offset])
    span = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if any(n == 0 for n in size):
        return np.zeros(size, dtype=flat.dtype)
    if offset < 0 or span > flat.size:
        raise UnsupportedTorchFile(f"a tensor of shape {tuple(size)} reaches past its storage")
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=tuple(size), strides=tuple(s * flat.itemsize for s in stride)
    )
    return np.array(view)  # a private, contiguous, writable copy


def _rebuild_parameter(data: np.ndarray, *_ignored: Any) -> np.ndarray:
    return data


_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, order: str):
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.order = archive, prefix, order
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _GLOBALS:
            return _GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise UnsupportedTorchFile(f"refusing to load {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        # ('storage', storage class (a dtype here), key, location, numel)
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsupportedTorchFile(f"unknown persistent id {pid!r}")
        _, dtype, key, _location, numel = pid
        if not isinstance(dtype, type) or not issubclass(dtype, np.generic):
            raise UnsupportedTorchFile(f"unsupported storage type {dtype!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(self.archive, f"{self.prefix}data/{key}", dtype, int(numel), self.order)
        return self.storages[key]


def load(path: Path | str) -> Any:
    """The object `torch.save` wrote to `path`, with tensors as NumPy arrays."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnsupportedTorchFile(f"{path}: not a zip-format torch file") from exc
    with archive:
        pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise UnsupportedTorchFile(f"{path}: expected one data.pkl, found {len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        order = archive.read(f"{prefix}byteorder").decode().strip() if f"{prefix}byteorder" in names else "little"
        if order not in ("little", "big"):
            raise UnsupportedTorchFile(f"{path}: unknown byte order {order!r}")
        unpickler = _Unpickler(archive.read(pickles[0]), archive, prefix, order)
        try:
            return unpickler.load()
        except UnsupportedTorchFile:
            raise
        except (pickle.UnpicklingError, KeyError, EOFError, TypeError, ValueError, AttributeError) as exc:
            raise UnsupportedTorchFile(f"{path}: {exc.__class__.__name__}: {exc}") from exc
