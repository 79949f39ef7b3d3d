"""Read logs in a child process, so decoding and the caller's work use separate cores.

``read_events_parallel`` yields exactly what ``read_events`` yields, and fills the same ``ReadReport``,
but the decoding (which holds Python's GIL) happens in a spawned process. ``read_events_shared`` also
hands the child the caller's per-batch function (the request signals): when all the caller's workers
are busy, the child applies it to the batch it has just decoded instead of queueing the batch.

Each decoded batch is written as an Arrow IPC file into a private directory in shared memory
(``/dev/shm`` where there is one) and memory-mapped by the caller. There is no pickling and no copy
through a pipe, which cost the caller about a tenth of its time. The pipe carries only file names. A
semaphore bounds how many batches wait, so memory stays bounded when the caller falls behind. A
failure in the child is raised in the caller with the child's message. The directory is removed
however reading ends.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Semaphore
from pathlib import Path
from typing import Final

import pyarrow as pa

from distillguard.events.reader import ReadReport, read_events, regroup

PENDING_BATCHES: Final = 4  # decoded batches allowed to wait for the caller


def prefer_system_allocator() -> None:
    """Use the system allocator for Arrow buffers unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one.

    Arrow's default (mimalloc) returns freed pages to the system and faults them back in for the next
    batch; glibc keeps them. On a scan that halves the time spent in the kernel (docs/BENCHMARKS.md).
    """
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


def _shared_memory_dir() -> str | None:
    """``/dev/shm`` when it is a writable directory (Linux), else the default temporary directory."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


Transform = Callable[[pa.RecordBatch], pa.RecordBatch]


def _write(batch: pa.RecordBatch, name: str) -> str:
    with pa.OSFile(name, "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return name


def _child(paths: list[str], conn: Connection, batch_rows: int, folder: str, room: Semaphore,
           transform: Transform | None, free_workers: Semaphore | None) -> None:
    # Decoding makes millions of short-lived, acyclic objects; the cycle collector's passes over them cost
    # about a tenth of the decoder's time and find nothing. This process only decodes, so it runs without.
    gc.disable()
    prefer_system_allocator()
    report = ReadReport()
    pending = 0

    def progress(n: int) -> None:
        nonlocal pending
        pending += n

    try:
        batches = read_events(paths, report=report, batch_rows=batch_rows, progress=progress)
        if transform is not None:
            batches = regroup(batches, batch_rows)  # long lines make short batches: one call per batch_rows
        for number, batch in enumerate(batches):
            done = None
            # Every one of the caller's workers busy: apply the transform here instead of queueing the batch.
            if transform is not None and free_workers is not None and not free_workers.acquire(block=False):
                done = _write(transform(batch), os.path.join(folder, f"{number}.done.arrow"))
            room.acquire()
            conn.send(("batch", (_write(batch, os.path.join(folder, f"{number}.arrow")), done), pending))
            pending = 0
        conn.send(("done", report, pending))
    except BaseException as exc:  # reported to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0))
    finally:
        conn.close()


class ReaderProcessError(RuntimeError):
    """The log-reading child process failed; the message is the child's."""


def _take_batch(name: str) -> pa.RecordBatch:
    """Map a batch file written by the child, then unlink it (the mapping keeps the data until released)."""
    with pa.memory_map(name) as source:
        batch = pa.ipc.open_file(source).get_batch(0)
    os.unlink(name)
    return batch


def read_events_parallel(
    paths: Iterable[str | Path],
    *,
    report: ReadReport | None = None,
    batch_rows: int = 16_384,
    progress: Callable[[int], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Like :func:`read_events`, decoding in a child process.

    The batches are backed by shared memory until they are released: copy what must outlive them
    (numpy columns via ``.astype(dtype)``), or a few kept columns would keep whole batches.
    """
    for batch, _ in _read_in_child(paths, None, None, 0, report=report, batch_rows=batch_rows, progress=progress):
        yield batch


def read_events_shared(
    paths: Iterable[str | Path],
    transform: Transform,
    pool: Executor,
    workers: int,
    *,
    report: ReadReport | None = None,
    batch_rows: int = 16_384,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[pa.RecordBatch, Future[pa.RecordBatch]]]:
    """Decode in a child process that shares the caller's per-batch work.

    Yields ``(batch, future of transform(batch))`` in reading order, batches of at least ``batch_rows``
    rows (the last may be short). The transform runs on ``pool`` (``workers`` threads) while a worker is
    free; when all are busy the child applies it itself, so both cores stay busy whichever is slower.
    ``transform`` must be importable by name (a module-level function): the child is spawned, not forked.
    """
    yield from _read_in_child(paths, transform, pool, workers, report=report, batch_rows=batch_rows,
                              progress=progress)


def _start(proc: mp.process.BaseProcess) -> None:
    """Start the child with one OpenBLAS thread: its idle BLAS threads otherwise spin on the other core."""
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        proc.start()
    finally:
        if saved is None:
            del os.environ["OPENBLAS_NUM_THREADS"]


def _done(batch: pa.RecordBatch) -> Future[pa.RecordBatch]:
    future: Future[pa.RecordBatch] = Future()
    future.set_result(batch)
    return future


def _read_in_child(
    paths: Iterable[str | Path],
    transform: Transform | None,
    pool: Executor | None,
    workers: int,
    *,
    report: ReadReport | None,
    batch_rows: int,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[pa.RecordBatch, Future[pa.RecordBatch] | None]]:
    report = report if report is not None else ReadReport()
    ctx = mp.get_context("spawn")
    folder = tempfile.mkdtemp(prefix="distillguard-reader-", dir=_shared_memory_dir())
    room = ctx.Semaphore(PENDING_BATCHES)  # batches handed over and not yet taken
    free_workers = ctx.Semaphore(workers) if transform is not None else None
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=([str(p) for p in paths], child, batch_rows, folder, room, transform,
                                            free_workers), daemon=True, name="distillguard-reader")
    finished = False
    try:
        _start(proc)
        child.close()
        while True:
            try:
                kind, payload, consumed = parent.recv()
            except EOFError as exc:
                raise ReaderProcessError(f"the reader process ended unexpectedly (exit code {proc.exitcode})"
                                         ) from exc
            if progress is not None and consumed:
                progress(consumed)
            if kind == "batch":
                name, done = payload
                batch = _take_batch(name)
                room.release()
                result: Future[pa.RecordBatch] | None = None
                if done is not None:
                    result = _done(_take_batch(done))
                elif transform is not None and pool is not None and free_workers is not None:
                    result = pool.submit(transform, batch)
                    result.add_done_callback(lambda _, free=free_workers: free.release())
                yield batch, result
            elif kind == "done":
                report.files.extend(payload.files)
                finished = True
                return
            else:
                raise ReaderProcessError(payload)
    finally:
        parent.close()
        if not finished:  # the caller stopped early, or the child failed: it may be waiting for room
            proc.terminate()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)
