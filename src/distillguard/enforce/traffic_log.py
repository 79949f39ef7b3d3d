"""The gateway's traffic log: contract §1 JSON Lines, appended so that a finished request's line is never lost.

The guarantee, precisely:

- Each line is handed to the kernel by one ``write(2)`` on a file descriptor opened with ``O_APPEND``
  before the last byte of that request's response is sent to the client. No line is ever buffered in
  the process, so there is nothing to flush: a gateway killed by SIGKILL, a crash or the OOM killer,
  right after a response completed, keeps that request's line.
- Lines from several gateway processes appending to one file on a local filesystem never interleave
  (``O_APPEND`` writes are atomic with respect to each other on Linux local filesystems; not on NFS).
- Surviving a power loss or kernel crash needs the page cache on disk: ``maintain()`` (called by the
  gateway's background task every ``sync_interval_s``, default 1 s) runs ``fdatasync`` when lines were
  written since the last sync, so at most about that interval of lines can be lost to a power cut.
- ``maintain()`` also notices when the file was renamed or removed (log rotation by ``mv`` / logrotate's
  default ``create`` mode) and reopens the path; lines written in between land in the renamed file.
  Rotation by ``copytruncate`` can lose lines and is not supported.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode


class TrafficLog:
    """Append-only JSON Lines writer: one ``os.write`` per line on an ``O_APPEND`` descriptor."""

    def __init__(self, path: str | Path, *, sync_interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.sync_interval_s = sync_interval_s
        self._lock = threading.Lock()  # guards the descriptor against a concurrent reopen
        self._fd = self._open()
        self._ino = os.fstat(self._fd).st_ino
        self._dirty = False
        self._last_sync = time.monotonic()
        self.lines = 0
        self.errors = 0

    def _open(self) -> int:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)

    def write(self, line: dict[str, Any]) -> None:
        """Append one line (a contract §1 dict). Raises OSError when the kernel refuses the write."""
        data = _encode(line) + b"\n"
        with self._lock:
            try:
                written = os.write(self._fd, data)
                while written < len(data):  # only on a full disk or a signal; the rest follows at once
                    data = data[written:]
                    written = os.write(self._fd, data)
            except OSError:
                self.errors += 1
                raise
            self._dirty = True
            self.lines += 1

    def maintain(self, *, force_sync: bool = False) -> None:
        """Sync written lines to disk when due, and reopen the path when the file was rotated away."""
        # Only this method (one background thread) and close() replace the descriptor, so it can be
        # synced outside the lock: requests keep appending while the disk catches up.
        now = time.monotonic()
        with self._lock:
            fd = self._fd
            due = self._dirty and (force_sync or now - self._last_sync >= self.sync_interval_s)
            if due:
                self._dirty = False
                self._last_sync = now
        if fd < 0:
            return
        if due:
            os.fdatasync(fd)
        try:
            moved = os.stat(self.path).st_ino != self._ino
        except FileNotFoundError:
            moved = True
        if moved:
            new = self._open()
            with self._lock:
                old, self._fd = self._fd, new
                self._ino = os.fstat(new).st_ino
            os.fdatasync(old)
            os.close(old)

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            try:
                os.fdatasync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = -1


__all__ = ["TrafficLog"]
