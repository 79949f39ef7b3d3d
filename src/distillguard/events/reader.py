"""Stream traffic logs (JSON Lines, gzip'd JSON Lines, Parquet) into Arrow record batches.

    report = ReadReport()
    for batch in read_events(["traffic.jsonl.gz"], report=report):
        ...                       # pa.RecordBatch with EVENT_SCHEMA
    print(report.good, report.bad, report.bad_lines[:5])

Memory is bounded by the batch size (rows and bytes), never by the file. A bad line is recorded
(path, line number, reason) and skipped; a file that cannot be opened or decompressed is recorded
as unreadable and the other files are still read. The format is sniffed from the first bytes, not
trusted from the file name.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import queue
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.events.schema import (
    COLUMNS,
    EVENT_SCHEMA,
    KNOWN_FIELDS,
    KNOWN_OBJECTS,
    InvalidEvent,
    LogLine,
    Request,
    flatten,
    rows_to_batch,
)
from distillguard.events.writer import PARQUET_TYPES, UNKNOWN_AS_JSON_KEY

try:  # ISA-L inflates gzip several times faster than zlib; optional, same results
    from isal.igzip import GzipFile as _GzipFile
    from isal.isal_zlib import error as _InflateError
except ImportError:  # pragma: no cover - exercised where isal is not installed
    _GzipFile = gzip.GzipFile  # type: ignore[misc,assignment]
    _InflateError = zlib.error  # type: ignore[misc,assignment]

try:  # the native decoder (events/native/fastdecode.c); optional, same rows, several times faster
    from distillguard.events import _fastdecode
except ImportError:  # pragma: no cover - exercised where the extension was not compiled
    _fastdecode = None  # type: ignore[assignment]

#: Whether JSON Lines are decoded by the native decoder. ``DISTILLGUARD_NATIVE_DECODE=0`` switches it off (the
#: pure-Python path then decodes every line); a decoder built for another schema is never used.
NATIVE_DECODE: Final = (_fastdecode is not None and tuple(_fastdecode.COLUMNS) == COLUMNS
                        and os.environ.get("DISTILLGUARD_NATIVE_DECODE", "1") != "0")
NATIVE_CHUNK: Final = 16 << 20  # bytes of log handed to the native decoder per call (whole lines)

DEFAULT_BATCH_ROWS: Final = 16_384
DEFAULT_BATCH_BYTES: Final = 32 << 20  # flush a batch once its lines reach 32 MiB
DEFAULT_MAX_LINE_BYTES: Final = 64 << 20  # a longer line is reported and skipped without being held
KEEP_BAD_LINES: Final = 1_000  # per file; beyond that bad lines are only counted

_decode_line = msgspec.json.Decoder(LogLine).decode
_decode_any = msgspec.json.Decoder().decode
_encode = msgspec.json.encode
_PARQUET_JSON_FIELDS: Final = frozenset(Request.__struct_fields__) - set(PARQUET_TYPES["request"])


@dataclass(frozen=True)
class BadLine:
    """A line that was skipped: where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    """What reading one file found."""

    path: str
    format: str = "unknown"
    size_bytes: int = 0
    lines: int = 0
    good: int = 0
    bad: int = 0
    blank: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    error: str | None = None  # set when the file (or its tail) could not be read

    @property
    def unreadable(self) -> bool:
        """True when nothing usable came out of the file: it failed to open, or no line was an event."""
        return (self.error is not None and self.good == 0) or (self.good == 0 and self.bad > 0)

    def _bad(self, line: int, reason: str) -> None:
        self.bad += 1
        if len(self.bad_lines) < KEEP_BAD_LINES:
            self.bad_lines.append(BadLine(self.path, line, reason))


@dataclass
class ReadReport:
    """What reading a set of files found, file by file."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def good(self) -> int:
        return sum(f.good for f in self.files)

    @property
    def bad(self) -> int:
        return sum(f.bad for f in self.files)

    @property
    def bad_lines(self) -> list[BadLine]:
        return [b for f in self.files for b in f.bad_lines]

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.unreadable]


def read_events(
    paths: Iterable[str | Path],
    *,
    report: ReadReport | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    progress: Callable[[int], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield EVENT_SCHEMA record batches from every file in ``paths``, in file order.

    ``progress`` is called with the number of (on-disk) bytes consumed since its last call.
    """
    report = report if report is not None else ReadReport()
    for path in paths:
        file_report = FileReport(path=str(path))
        report.files.append(file_report)
        yield from _read_file(Path(path), file_report, batch_rows, max_line_bytes, progress)


def regroup(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Concatenate consecutive batches into batches of at least ``rows`` rows (the last may be short):
    per-call costs of the signals (pattern compilation) are paid once per group, not per small batch."""
    group: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        group.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.concat_batches(group) if len(group) > 1 else group[0]
            group, count = [], 0
    if group:
        yield pa.concat_batches(group) if len(group) > 1 else group[0]


def read_table(paths: Iterable[str | Path], *, report: ReadReport | None = None) -> pa.Table:
    """Read whole files into one table (convenient for small logs and tests; streams are preferred)."""
    from distillguard.events.schema import EVENT_SCHEMA

    return pa.Table.from_batches(list(read_events(paths, report=report)), schema=EVENT_SCHEMA)


def sniff_format(path: Path) -> str:
    """'gzip', 'parquet' or 'jsonl', from the file's first bytes."""
    with path.open("rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head == b"PAR1":
        return "parquet"
    return "jsonl"


def _read_file(
    path: Path,
    rep: FileReport,
    batch_rows: int,
    max_line_bytes: int,
    progress: Callable[[int], None] | None,
) -> Iterator[pa.RecordBatch]:
    try:
        rep.size_bytes = path.stat().st_size
        rep.format = sniff_format(path)
    except OSError as exc:
        rep.error = exc.strerror or str(exc)
        return
    if rep.format == "parquet":
        yield from _read_parquet(path, rep, batch_rows, progress)
        return
    try:
        raw = path.open("rb", buffering=1 << 20)
    except OSError as exc:
        rep.error = exc.strerror or str(exc)
        return
    with raw:
        if rep.format != "gzip":
            if NATIVE_DECODE:
                yield from _read_jsonl_native(lambda: raw.read1(NATIVE_CHUNK), raw, rep, batch_rows, max_line_bytes,
                                              progress)
            else:
                yield from _read_jsonl(raw, raw, rep, batch_rows, max_line_bytes, progress)
            return
        chunks = PrefetchedGzip(raw, path)
        try:
            if NATIVE_DECODE:
                yield from _read_jsonl_native(chunks.take, raw, rep, batch_rows, max_line_bytes, progress)
            else:
                reader = io.BufferedReader(chunks, buffer_size=1 << 20)
                yield from _read_jsonl(reader, raw, rep, batch_rows, max_line_bytes, progress)
        finally:
            chunks.close()


class PrefetchedGzip(io.RawIOBase):
    """Decompress a gzip file on a background thread, ahead of the parser (inflate releases the GIL).

    Inflate runs in steps of 1 MiB of output: with smaller steps the thread waits for the GIL after
    every step while the parser holds it, and the two no longer overlap. A truncated or corrupt stream
    still loses at most the cut line: on an error the file at ``path`` is opened again and inflated
    from the start in 64 KiB steps, everything before the damage is handed over, then the error is
    raised where the damage is. (``raw``, whose position the reader reports as progress, is not moved.)
    """

    STEP: Final = 1 << 20
    SALVAGE_STEP: Final = 1 << 16

    def __init__(self, raw: IO[bytes], path: Path, depth: int = 8) -> None:
        super().__init__()
        self._raw = raw
        self._path = path
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pending = memoryview(b"")
        self._done = False
        self._thread = threading.Thread(target=self._fill, name="gzip-prefetch", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        delivered = 0  # bytes of output handed over (or queued)
        item: bytes | BaseException | None = None
        try:
            gz = _GzipFile(fileobj=self._raw, mode="rb")
            while not self._stop.is_set():
                data = gz.read1(self.STEP)
                if not data:
                    break
                self._put(data)
                delivered += len(data)
        except Exception as exc:  # the damage may sit anywhere in the failed step: find it in small steps
            item = self._salvage(delivered, exc)
        except BaseException as exc:  # handed to the reading thread, raised there
            item = exc
        self._put(item)

    def _salvage(self, delivered: int, first: Exception) -> BaseException:
        """Inflate the file again from the start in small steps; hand over what lies between ``delivered``
        and the damage. Returns the error to raise (the first one if the second pass cannot be made)."""
        try:
            again = self._path.open("rb")
        except OSError:
            return first
        with again:
            gz = _GzipFile(fileobj=again, mode="rb")
            skip = delivered
            try:
                while not self._stop.is_set():
                    data = gz.read1(self.SALVAGE_STEP)
                    if not data:
                        return first
                    if skip >= len(data):
                        skip -= len(data)
                        continue
                    self._put(data[skip:])
                    skip = 0
            except Exception as exc:
                return exc
        return first

    def _put(self, item: bytes | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readable(self) -> bool:
        return True

    def take(self) -> bytes:
        """The next piece of inflated data as it was inflated (no copy); b"" at the end. Raises the stream's
        error once everything before the damage has been taken."""
        if self._pending:
            piece, self._pending = bytes(self._pending), memoryview(b"")
            return piece
        if self._done:
            return b""
        item = self._queue.get()
        if item is None:
            self._done = True
            return b""
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def readinto(self, b: Any) -> int:
        if not self._pending:
            piece = self.take()
            if not piece:
                return 0
            self._pending = memoryview(piece)
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        super().close()


def _read_jsonl(
    f: IO[bytes],
    raw: IO[bytes],
    rep: FileReport,
    batch_rows: int,
    max_line_bytes: int,
    progress: Callable[[int], None] | None,
) -> Iterator[pa.RecordBatch]:
    rows: list[tuple[Any, ...]] = []
    pending_bytes = 0
    consumed = 0
    lineno = 0
    readline = f.readline
    try:
        while True:
            line = readline(max_line_bytes + 1)
            if not line:
                break
            lineno += 1
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                while (chunk := readline(1 << 20)) and not chunk.endswith(b"\n"):
                    pass
                rep._bad(lineno, f"line longer than {max_line_bytes} bytes")
                continue
            row = _decode(line, lineno, rep)
            if row is not None:
                rows.append(row)
                pending_bytes += len(line)
            if len(rows) >= batch_rows or pending_bytes >= DEFAULT_BATCH_BYTES:
                yield rows_to_batch(rows)
                rows, pending_bytes = [], 0
                consumed = _report_progress(raw, consumed, progress)
    except (OSError, EOFError, zlib.error, _InflateError) as exc:
        # A corrupt or truncated compressed stream: keep what was read, say where it stopped.
        rep.error = f"stopped after line {lineno}: {exc}"
    finally:
        rep.lines = lineno
    if rows:
        yield rows_to_batch(rows)
    _report_progress(raw, consumed, progress)


def _read_jsonl_native(
    read: Callable[[], bytes],
    raw: IO[bytes],
    rep: FileReport,
    batch_rows: int,
    max_line_bytes: int,
    progress: Callable[[int], None] | None,
) -> Iterator[pa.RecordBatch]:
    """What ``_read_jsonl`` does, with the native decoder: same batches, counts and bad-line reports.

    ``read`` returns the next piece of the (inflated) file, b"" at its end. Whole lines go to the native
    decoder in blocks of about NATIVE_CHUNK bytes; the lines it hands back (unknown fields, anything it is not
    sure about, bad lines) are decoded here by ``_decode``, the reference path, and put back in file order.
    """
    pending = b""
    lineno = 0
    consumed = 0
    skipping = False  # inside a line longer than max_line_bytes: drop bytes up to its end
    ended = False
    try:
        while not ended:
            pieces: list[bytes] = []
            size = 0
            failure: BaseException | None = None
            try:
                while size < NATIVE_CHUNK:
                    piece = read()
                    if not piece:
                        ended = True
                        break
                    pieces.append(piece)
                    size += len(piece)
            except (OSError, EOFError, zlib.error, _InflateError) as exc:
                failure = exc  # a corrupt or truncated compressed stream: keep the whole lines before it
            if skipping:
                data = b"".join(pieces)
                cut = data.find(b"\n")
                pieces, skipping = ([], True) if cut < 0 else ([data[cut + 1:]], False)
            pending = b"".join([pending, *pieces])  # the one copy of the inflated text
            start = 0
            for batch, end, lines in _native_batches(pending, ended, lineno, rep, batch_rows, max_line_bytes):
                lineno += lines
                start = end
                if batch is not None:
                    yield batch
                consumed = _report_progress(raw, consumed, progress)
            pending = pending[start:]
            if failure is not None:
                rep.error = f"stopped after line {lineno}: {failure}"
                break
            if len(pending) > max_line_bytes:  # an unterminated line already too long: report it, skip its rest
                lineno += 1
                rep._bad(lineno, f"line longer than {max_line_bytes} bytes")
                pending, skipping = b"", True
    finally:
        rep.lines = lineno
    _report_progress(raw, consumed, progress)


def _native_batches(
    data: bytes, final: bool, lineno: int, rep: FileReport, batch_rows: int, max_line_bytes: int
) -> Iterator[tuple[pa.RecordBatch | None, int, int]]:
    """Decode the whole lines of ``data`` (and an unterminated last one when ``final``): yields (batch or None,
    where the lines read so far end in ``data``, how many lines that call read)."""
    start = 0
    while True:
        end, lines, columns, others = _fastdecode.decode(data, start, final, batch_rows, DEFAULT_BATCH_BYTES,
                                                         max_line_bytes)
        if not lines:
            return
        rows = lines - len(others)
        rep.good += rows
        batch = _from_buffers(columns, rows)
        if others:
            batch = _with_others(batch, data, others, lines, lineno, rep, max_line_bytes)
        yield (batch if batch.num_rows else None), end, lines
        start = end
        lineno += lines


def _from_buffers(columns: tuple[tuple[bytes | None, bytes, bytes | None], ...], rows: int) -> pa.RecordBatch:
    arrays = []
    for (valid, values, data), column in zip(columns, EVENT_SCHEMA, strict=True):
        buffers = [None if valid is None else pa.py_buffer(valid), pa.py_buffer(values)]
        if data is not None:
            buffers.append(pa.py_buffer(data))
        arrays.append(pa.Array.from_buffers(column.type, rows, buffers))
    return pa.RecordBatch.from_arrays(arrays, schema=EVENT_SCHEMA)


def _with_others(batch: pa.RecordBatch, data: bytes, others: list[tuple[int, int, int, int]], lines: int,
                 lineno: int, rep: FileReport, max_line_bytes: int) -> pa.RecordBatch:
    """Decode the lines the native decoder handed back with the Python path and put them in file order."""
    rows: list[tuple[Any, ...]] = []
    at: list[int] = []
    for index, kind, start, end in others:
        if kind == 2:
            rep.blank += 1
        elif kind == 3:
            rep._bad(lineno + index + 1, f"line longer than {max_line_bytes} bytes")
        else:
            row = _decode(data[start:end], lineno + index + 1, rep)
            if row is not None:
                rows.append(row)
                at.append(index)
    if not rows:
        return batch
    native = np.ones(lines, bool)
    native[[index for index, *_ in others]] = False
    line_of_row = np.concatenate([np.flatnonzero(native), np.array(at)])
    both = pa.concat_batches([batch, rows_to_batch(rows)])
    return both.take(pa.array(np.argsort(line_of_row, kind="stable")))


def _report_progress(raw: IO[bytes], consumed: int, progress: Callable[[int], None] | None) -> int:
    if progress is None:
        return consumed
    try:
        pos = raw.tell()
    except (OSError, ValueError):
        return consumed
    progress(pos - consumed)
    return pos


def _decode(line: bytes, lineno: int, rep: FileReport) -> tuple[Any, ...] | None:
    """Decode and flatten one line; record it as good, bad or blank. Returns the row or None."""
    try:
        row = flatten(_decode_line(line), None)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "unknown field" not in message:
            rep._bad(lineno, message)
            return None
        row = _decode_keeping_extra(line, lineno, rep)
        if row is None:
            return None
    except msgspec.DecodeError as exc:
        if not line.strip():
            rep.blank += 1
            return None
        rep._bad(lineno, f"invalid JSON: {exc}")
        return None
    except UnicodeDecodeError:
        rep._bad(lineno, _utf8_error(line))
        return None
    except InvalidEvent as exc:
        rep._bad(lineno, str(exc))
        return None
    rep.good += 1
    return row


def _decode_keeping_extra(line: bytes, lineno: int, rep: FileReport) -> tuple[Any, ...] | None:
    """The slow path for lines with unknown fields: keep them in ``extra`` and validate the rest."""
    # The typed decoder stops at the first unknown field, so the rest of the line is unchecked yet:
    # it may still be truncated or hold invalid UTF-8, which must make a bad line, not an exception.
    try:
        obj = _decode_any(line)
    except msgspec.DecodeError as exc:
        rep._bad(lineno, f"invalid JSON: {exc}")
        return None
    except UnicodeDecodeError:
        rep._bad(lineno, _utf8_error(line))
        return None
    return _from_object(obj, lineno, rep)


def _utf8_error(line: bytes) -> str:
    # msgspec's UnicodeDecodeError counts from the start of the string value, not of the line.
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte offset {exc.start} of the line"
    return "invalid UTF-8"


def _from_object(obj: Any, lineno: int, rep: FileReport) -> tuple[Any, ...] | None:
    if not isinstance(obj, dict):
        rep._bad(lineno, f"expected a JSON object, got {type(obj).__name__}")
        return None
    known, extra = split_unknown(obj)
    try:
        row = flatten(msgspec.convert(known, LogLine), _encode(extra, order="sorted").decode() if extra else None)
    except (msgspec.ValidationError, InvalidEvent) as exc:
        rep._bad(lineno, str(exc))
        return None
    return row


def split_unknown(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a log line into the contract's known fields and everything else (nested one level).

    Null unknown fields are dropped: the contract treats null and missing alike.
    """
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    top = KNOWN_FIELDS[None]
    for key, value in obj.items():
        if key not in top:
            if value is not None:
                extra[key] = value
            continue
        if key in KNOWN_OBJECTS and isinstance(value, dict):
            allowed = KNOWN_FIELDS[key]
            inner = {k: v for k, v in value.items() if k in allowed}
            unknown = {k: v for k, v in value.items() if k not in allowed and v is not None}
            if unknown:
                extra[key] = unknown
            value = inner
        known[key] = value
    return known, extra


def _undo_parquet_conventions(obj: dict[str, Any], unknown_as_json: bool) -> dict[str, Any]:
    """Free-form request values are JSON text in Parquet (see writer.py); decode them back.

    With ``unknown_as_json`` (a file from our writer) unknown fields, top level and one level down,
    are JSON text too; in other files they keep the Parquet value they have.
    """
    request = obj.get("request")
    if isinstance(request, dict):
        _decode_json_text(request, _PARQUET_JSON_FIELDS.intersection(request))
    if unknown_as_json:
        _decode_json_text(obj, obj.keys() - KNOWN_FIELDS[None])
        for name in KNOWN_OBJECTS:
            inner = obj.get(name)
            if isinstance(inner, dict):
                _decode_json_text(inner, inner.keys() - KNOWN_FIELDS[name])
    return obj


def _decode_json_text(obj: dict[str, Any], keys: Iterable[str]) -> None:
    for key in keys:
        value = obj[key]
        if isinstance(value, str):
            # A plain string written by another tool stays as it is.
            with contextlib.suppress(msgspec.DecodeError):
                obj[key] = _decode_any(value)


def _read_parquet(
    path: Path, rep: FileReport, batch_rows: int, progress: Callable[[int], None] | None
) -> Iterator[pa.RecordBatch]:
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        rep.error = f"not a readable Parquet file: {exc}"
        return
    total_rows = max(pf.metadata.num_rows, 1)
    unknown_as_json = UNKNOWN_AS_JSON_KEY in (pf.schema_arrow.metadata or {})
    row_index = 0
    try:
        for arrow_batch in pf.iter_batches(batch_size=batch_rows):
            rows: list[tuple[Any, ...]] = []
            for obj in arrow_batch.to_pylist():
                row_index += 1
                row = _from_object(_undo_parquet_conventions(obj, unknown_as_json), row_index, rep)
                if row is not None:
                    rep.good += 1
                    rows.append(row)
            rep.lines = row_index
            if rows:
                yield rows_to_batch(rows)
            if progress is not None:
                progress(rep.size_bytes * arrow_batch.num_rows // total_rows)
    except (OSError, pa.ArrowException) as exc:
        rep.error = f"stopped after row {row_index}: {exc}"
