"""The sandbox's wire format: a JSON header plus raw numeric bytes. Never pickle, never eval.

One message is one frame::

    b"GVP1" | header length (4 bytes, big-endian) | payload length (8 bytes) | header | payload

The header is a UTF-8 JSON object. Its ``_arrays`` entry lists each array of the payload as
``[name, dtype, shape, offset, nbytes]``. The decoder accepts only plain numeric dtypes from a
fixed list (bool, integers, float16/32/64 in native byte order), checks that shape, size,
offset and length agree, and builds every array with ``np.frombuffer``: whatever the sender
meant, the bytes can only become numbers. Before anything is copied it also checks that no two
arrays share a byte and that together they fit in the payload, so the decoded arrays never
hold more bytes than the frame brought (at most ``Limits.max_payload``): a reply whose every
array description points at one large payload is refused, not copied N times.

Why not ``.npz`` with ``np.load(allow_pickle=False)``, which is as safe: decoding an npz of
five small arrays took 0.79 ms (zipfile plus one ``literal_eval`` per header), this format
takes 0.03 ms, and finite differences make thousands of calls per run.

Values travel in two directions:

- parent to worker, *static* arguments (``reg``, ``conv_param``, a model's init kwargs):
  JSON with tagged placeholders for arrays (``{"$a": key}``), numpy scalars, dtypes, tuples
  and dicts (``encode_static`` / ``decode_static``);
- worker to parent, *returned* values: ``encode_value`` describes each as an array, a
  number, ``None``, or just the name of its type (anything else: a list, an object with an
  ``__array__`` method); ``decode_value`` turns that back into an ndarray, a Python or numpy
  number, ``None``, or a placeholder object that carries only the type's name, so the
  engine reports ``bad_return`` exactly as it does in-process.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = b"GVP1"
HEAD = struct.Struct(">4sIQ")

DTYPES: frozenset[str] = frozenset(
    np.dtype(t).str for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")
)
"""Array dtypes (as ``dtype.str``) that may cross the pipe: plain numbers, native byte order."""

MAX_NDIM = 32


class ProtocolError(Exception):
    """A message that is not a well-formed frame of plain data."""


@dataclass(frozen=True)
class Limits:
    """Sizes a reader accepts; a larger frame is refused before it is read."""

    max_header: int = 16 << 20
    max_payload: int = 512 << 20
    max_arrays: int = 100_000


# --- frames --------------------------------------------------------------------------------


def pack(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One frame holding ``header`` and ``arrays`` (each must have a dtype in ``DTYPES``)."""
    specs, parts, offset = [], [], 0
    for name, value in (arrays or {}).items():
        a = np.asarray(value)
        if a.dtype.str not in DTYPES:
            raise TypeError(f"array {name!r} has dtype {a.dtype}, which the protocol does not carry")
        data = a.tobytes()  # C order, whatever the array's layout
        specs.append([name, a.dtype.str, list(a.shape), offset, len(data)])
        parts.append(data)
        offset += len(data)
    body = json.dumps({**header, "_arrays": specs}, separators=(",", ":")).encode()
    return HEAD.pack(MAGIC, len(body), offset) + body + b"".join(parts)


def parse_head(head: bytes, limits: Limits) -> tuple[int, int]:
    """Header and payload lengths from a frame's first ``HEAD.size`` bytes."""
    if len(head) != HEAD.size:
        raise ProtocolError("truncated frame head")
    magic, header_len, payload_len = HEAD.unpack(head)
    if magic != MAGIC:
        raise ProtocolError(f"bad frame magic {magic!r}")
    if header_len > limits.max_header or payload_len > limits.max_payload:
        raise ProtocolError(f"frame too large (header {header_len} bytes, payload {payload_len} bytes)")
    return header_len, payload_len


def decode(body: bytes, payload: bytes, limits: Limits = Limits()) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header (a dict) and the arrays of one frame; ``ProtocolError`` for anything else."""
    try:
        header = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ProtocolError(f"header is not JSON: {type(e).__name__}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    specs = header.pop("_arrays", [])
    if not isinstance(specs, list) or len(specs) > limits.max_arrays:
        raise ProtocolError("bad array list")
    checked = _layout(specs, len(payload))
    arrays: dict[str, np.ndarray] = {}
    for name, dt, shape, offset, nbytes in checked:
        if not nbytes:
            arrays[name] = np.zeros(shape, dtype=dt)
        else:  # a copy: owned, writable memory, independent of the payload buffer
            arrays[name] = np.frombuffer(payload, dtype=dt, count=math.prod(shape), offset=offset).reshape(shape).copy()
    return header, arrays


def shared_arrays(specs: Any, buffer: Any) -> dict[str, np.ndarray]:
    """Writable views (not copies) of the arrays ``specs`` describe in ``buffer`` (the shared
    input file, or ``None`` when it is empty), checked as ``decode`` checks a frame's."""
    size = len(buffer) if buffer is not None else 0
    if not isinstance(specs, list):
        raise ProtocolError("bad array list")
    return {
        name: np.frombuffer(buffer, dtype=dt, count=math.prod(shape), offset=offset).reshape(shape)
        if nbytes
        else np.zeros(shape, dtype=dt)
        for name, dt, shape, offset, nbytes in _layout(specs, size)
    }


def _layout(specs: list, payload_len: int) -> list[tuple[str, np.dtype, list[int], int, int]]:
    """Every description checked, then all of them together: distinct names, no byte shared by
    two arrays, no more bytes than the payload holds."""
    checked = [_array(spec, payload_len) for spec in specs]
    if len({c[0] for c in checked}) != len(checked):
        raise ProtocolError("an array is sent twice")
    if sum(c[4] for c in checked) > payload_len:
        raise ProtocolError("the arrays add up to more bytes than the payload holds")
    end = 0
    for _, _, _, offset, nbytes in sorted((c for c in checked if c[4]), key=lambda c: c[3]):
        if offset < end:
            raise ProtocolError("two arrays overlap in the payload")
        end = offset + nbytes
    return checked


def _array(spec: Any, payload_len: int) -> tuple[str, np.dtype, list[int], int, int]:
    if not (isinstance(spec, list) and len(spec) == 5):
        raise ProtocolError("bad array description")
    name, dtype, shape, offset, nbytes = spec
    if not isinstance(name, str) or not isinstance(dtype, str) or dtype not in DTYPES:
        raise ProtocolError(f"array {str(name)[:40]!r}: dtype {str(dtype)[:40]!r} is not a plain numeric dtype")
    if not (isinstance(shape, list) and len(shape) <= MAX_NDIM and all(_count(n) for n in shape)):
        raise ProtocolError(f"array {name[:40]!r}: bad shape")
    if not (_count(offset) and _count(nbytes)):
        raise ProtocolError(f"array {name[:40]!r}: bad offset or length")
    dt = np.dtype(dtype)
    if math.prod(shape) * dt.itemsize != nbytes or offset + nbytes > payload_len:
        raise ProtocolError(f"array {name[:40]!r}: shape, dtype and length disagree")
    return name, dt, shape, offset, nbytes


def _count(n: Any) -> bool:
    return type(n) is int and n >= 0


def read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from a blocking file descriptor; ``None`` on end of file before any byte."""
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise ProtocolError("end of file inside a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, limits: Limits = Limits()) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """One frame from a blocking descriptor (the worker's side); ``None`` at end of file."""
    head = read_exact(fd, HEAD.size)
    if head is None:
        return None
    header_len, payload_len = parse_head(head, limits)
    body = read_exact(fd, header_len) if header_len else b""
    payload = read_exact(fd, payload_len) if payload_len else b""
    if body is None or payload is None:
        raise ProtocolError("end of file inside a frame")
    return decode(body, payload, limits)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a blocking descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# --- returned values (worker to parent) --------------------------------------------------------


def encode_value(value: Any, key: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Describe one returned value, adding its numbers to ``arrays`` under ``key``."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "object", "type": type(value).__name__}
    if isinstance(value, np.ndarray):
        # the data only: an ndarray subclass's overridden operators stay in the worker
        a = np.ndarray.view(value, np.ndarray)
        sendable = _sendable(a)
        if sendable is None:
            return {"t": "object", "type": f"ndarray of {a.dtype}"}
        arrays[key] = sendable
        return {"t": "array", "key": key}
    if isinstance(value, np.generic):
        sendable = _sendable(np.asarray(value))
        if sendable is None:
            return {"t": "object", "type": type(value).__name__}
        arrays[key] = sendable
        return {"t": "scalar", "key": key}
    if isinstance(value, (float, int)):
        kind = "float" if isinstance(value, float) else "int"
        try:
            number = float.__float__(float(value)) if kind == "float" else int.__index__(int(value))
            arrays[key] = np.asarray(number, dtype=np.float64 if kind == "float" else np.int64)
        except (OverflowError, ValueError, TypeError):
            return {"t": "object", "type": type(value).__name__}
        return {"t": kind, "key": key}
    return {"t": "object", "type": type(value).__name__}


def _sendable(a: np.ndarray) -> np.ndarray | None:
    if a.dtype.names is not None or a.dtype.kind not in "biuf":
        return None
    native = a.dtype.newbyteorder("=")
    if native.str in DTYPES:
        return a.astype(native, copy=False)
    return a.astype(np.float64) if a.dtype.kind == "f" else None  # e.g. float128


def decode_value(desc: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The parent's copy of a returned value described by ``encode_value``."""
    if not isinstance(desc, dict):
        raise ProtocolError("bad value description")
    kind = desc.get("t")
    if kind == "none":
        return None
    if kind == "object":
        return placeholder(desc.get("type"))
    key = desc.get("key")
    if not isinstance(key, str) or key not in arrays:
        raise ProtocolError(f"value refers to a missing array {str(key)[:40]!r}")
    a = arrays[key]
    if kind == "array":
        return a
    if a.shape != ():
        raise ProtocolError(f"a {kind} must be sent as a 0-d array")
    if kind == "scalar":
        return a[()]
    if kind == "float" and a.dtype.kind == "f":
        return float(a)
    if kind == "int" and a.dtype.kind in "iu":
        return int(a)
    raise ProtocolError(f"unknown value kind {str(kind)[:40]!r}")


class Unsendable:
    """Stands in the parent for a returned value that is neither a number nor an array; only
    the name of its type crossed the pipe."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} returned by the user's code>"


_PLACEHOLDERS: dict[str, type] = {}


def placeholder(type_name: Any) -> Unsendable:
    """An ``Unsendable`` whose class is named like the worker's type (sanitized)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", str(type_name))[:60].strip("_") or "object"
    if name not in _PLACEHOLDERS:
        if len(_PLACEHOLDERS) > 1000:  # a hostile worker inventing names must not grow this forever
            name = "object"
        _PLACEHOLDERS.setdefault(name, type(name, (Unsendable,), {"__slots__": ()}))
    return _PLACEHOLDERS[name]()


# --- static arguments (parent to worker) -----------------------------------------------------


def encode_static(obj: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """JSON for a static argument; its arrays go into ``arrays`` under keys starting ``prefix``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        key = f"{prefix}.{len(arrays)}"
        sendable = _sendable(np.asarray(obj))
        if sendable is None:
            raise TypeError(f"cannot send an array of dtype {np.asarray(obj).dtype}")
        arrays[key] = sendable
        return {"$a" if isinstance(obj, np.ndarray) else "$s": key}
    if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
        return {"$d": np.dtype(obj).str}
    if isinstance(obj, tuple):
        return {"$t": [encode_static(v, arrays, prefix) for v in obj]}
    if isinstance(obj, list):
        return [encode_static(v, arrays, prefix) for v in obj]
    if isinstance(obj, dict):
        return {"$m": [[encode_static(k, arrays, prefix), encode_static(v, arrays, prefix)] for k, v in obj.items()]}
    raise TypeError(f"cannot send a {type(obj).__name__} to the worker")


def decode_static(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of ``encode_static``."""
    if isinstance(obj, list):
        return [decode_static(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) != 1:
        raise ProtocolError("bad static value")
    ((tag, value),) = obj.items()
    if tag == "$a":
        return arrays[value]
    if tag == "$s":
        return arrays[value][()]
    if tag == "$d":
        if value not in DTYPES:
            raise ProtocolError(f"dtype {str(value)[:40]!r} not allowed")
        return np.dtype(value)
    if tag == "$t":
        return tuple(decode_static(v, arrays) for v in value)
    if tag == "$m":
        return {decode_static(k, arrays): decode_static(v, arrays) for k, v in value}
    raise ProtocolError(f"unknown static tag {str(tag)[:40]!r}")
