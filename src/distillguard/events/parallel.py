"""Read logs in a child process, so decoding and the caller's work use separate cores.

``read_events_parallel`` yields exactly what ``read_events`` yields, and fills the same ``ReadReport``,
but the decoding (which holds Python's GIL) happens in a spawned process and the batches arrive over
a pipe. The pipe's buffer bounds memory (the child waits when the caller falls behind). A failure in
the child is raised in the caller with the child's message.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from distillguard.events.reader import ReadReport, read_events


def _child(paths: list[str], conn: Connection, batch_rows: int) -> None:
    # Decoding makes millions of short-lived, acyclic objects; the cycle collector's passes over them cost
    # about a tenth of the decoder's time and find nothing. This process only decodes, so it runs without.
    gc.disable()
    report = ReadReport()
    pending = 0

    def progress(n: int) -> None:
        nonlocal pending
        pending += n

    try:
        for batch in read_events(paths, report=report, batch_rows=batch_rows, progress=progress):
            conn.send(("batch", batch, pending))
            pending = 0
        conn.send(("done", report, pending))
    except BaseException as exc:  # reported to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0))
    finally:
        conn.close()


class ReaderProcessError(RuntimeError):
    """The log-reading child process failed; the message is the child's."""


def read_events_parallel(
    paths: Iterable[str | Path],
    *,
    report: ReadReport | None = None,
    batch_rows: int = 16_384,
    progress: Callable[[int], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Like :func:`read_events`, decoding in a child process."""
    report = report if report is not None else ReadReport()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=([str(p) for p in paths], child, batch_rows), daemon=True,
                       name="distillguard-reader")
    proc.start()
    child.close()
    try:
        while True:
            try:
                kind, payload, consumed = parent.recv()
            except EOFError as exc:
                raise ReaderProcessError(f"the reader process ended unexpectedly (exit code {proc.exitcode})"
                                         ) from exc
            if progress is not None and consumed:
                progress(consumed)
            if kind == "batch":
                yield payload
            elif kind == "done":
                report.files.extend(payload.files)
                return
            else:
                raise ReaderProcessError(payload)
    finally:
        parent.close()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
