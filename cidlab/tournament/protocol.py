"""Frames between the tournament and an agent's process, over a pair of pipes.

A frame is ``8-byte big-endian length of the header · JSON header · 8-byte length of the payload ·
payload`` (raw little-endian arrays). Both sides read with a deadline, and the tournament never unpickles
or evaluates anything an agent sends: a header is JSON, a payload is parsed as float64 only, and a frame
longer than the largest one the call can need is refused. Used by :mod:`cidlab.tournament.remote` (the
tournament's side) and :mod:`cidlab.tournament.child` (the agent's side).
"""
from __future__ import annotations

import json
import os
import select
import time

#: Largest header (bytes) either side accepts.
MAX_HEADER = 64 * 1024


class ProtocolError(Exception):
    """The other side sent something that is not a frame, or closed its pipe."""


class CallTimeout(Exception):
    """The deadline passed before the frame was sent or read."""


def encode(header: dict, payload: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    return len(head).to_bytes(8, "big") + head + len(payload).to_bytes(8, "big") + payload


def send(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write all of ``data`` to ``fd`` (non-blocking pipe) before ``deadline`` (``time.monotonic()``)."""
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CallTimeout()
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                raise CallTimeout()
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            continue
        except (BrokenPipeError, OSError) as exc:
            raise ProtocolError(f"pipe closed ({type(exc).__name__})") from None
        view = view[n:]


def _read_exact(fd: int, n: int, deadline: float | None, buf: bytearray) -> bytes:
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CallTimeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise CallTimeout()
        try:
            chunk = os.read(fd, min(1 << 20, n - len(buf)))
        except BlockingIOError:
            continue
        except OSError as exc:
            raise ProtocolError(f"pipe closed ({type(exc).__name__})") from None
        if not chunk:
            raise ProtocolError("pipe closed")
        buf += chunk
    out = bytes(buf[:n])
    del buf[:n]
    return out


def receive(fd: int, deadline: float | None = None, max_payload: int = 1 << 30) -> tuple[dict, bytes]:
    """Read one frame; ``ProtocolError`` if it is malformed or too long, ``CallTimeout`` past ``deadline``."""
    buf = bytearray()
    n = int.from_bytes(_read_exact(fd, 8, deadline, buf), "big")
    if n > MAX_HEADER:
        raise ProtocolError(f"header of {n} bytes")
    raw = _read_exact(fd, n, deadline, buf)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is a RecursionError, not a ValueError
        raise ProtocolError("header is not JSON (or nested too deeply)") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    m = int.from_bytes(_read_exact(fd, 8, deadline, buf), "big")
    if m > max_payload:
        raise ProtocolError(f"payload of {m} bytes (at most {max_payload})")
    payload = _read_exact(fd, m, deadline, buf) if m else b""
    return header, payload
