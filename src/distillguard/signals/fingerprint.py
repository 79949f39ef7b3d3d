"""Vectorised fingerprints of text: keyed 64-bit hashes, template skeletons, HyperLogLog and MinHash.

Everything here works on whole Arrow arrays or numpy arrays at once; nothing loops over rows.

- :func:`hash_strings` hashes each string's first and last ``width`` bytes and its length with a keyed
  multiply-xorshift mix over 8-byte words (numpy over columns, not rows). Stable across runs and
  machines for the same key, which the keyed template sketches shared between organisations rely on.
- :func:`skeleton` masks what varies inside a template (numbers, quoted and fenced text, URLs, e-mail
  addresses, long runs of retrieved text) so that prompts filled from one template share a skeleton.
- :class:`HyperLogLog` registers are mergeable by ``max``; :func:`minhash` signatures by ``min``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.lib.stride_tricks import sliding_window_view

_M1: Final = np.uint64(0x9E3779B97F4A7C15)
_M2: Final = np.uint64(0xBF58476D1CE4E5B9)
_M3: Final = np.uint64(0x94D049BB133111EB)
DEFAULT_KEY: Final = 0x5EED_D157_1A7E


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective avalanche of uint64 values."""
    with np.errstate(over="ignore"):
        x = x.astype(np.uint64, copy=True)
        x ^= x >> np.uint64(30)
        x *= _M2
        x ^= x >> np.uint64(27)
        x *= _M3
        x ^= x >> np.uint64(31)
    return x


def _as_string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return pc.fill_null(values, "")


def _window(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """A (rows x width) uint8 matrix of each row's bytes from ``starts``, zero-padded past ``lengths``."""
    # Rows are gathered from a sliding view of the buffer itself (no padded copy of all of it); only the rows that
    # start within ``width`` bytes of its end read from a small zero-padded copy of that end.
    last = data.size - width
    if last < 0:
        data = np.concatenate([data, np.zeros(-last, dtype=np.uint8)])
        last = 0
    out = sliding_window_view(data, width)[np.minimum(starts, last)]
    near_end = np.flatnonzero(starts > last)
    if near_end.size:
        edge = np.zeros(2 * width, dtype=np.uint8)
        edge[:width] = data[last:]
        out[near_end] = sliding_window_view(edge, width)[starts[near_end] - last]
    short = np.flatnonzero(lengths < width)  # only these rows hold bytes past their length
    if short.size:
        out[short] *= np.arange(width) < lengths[short, None]
    return out


def _template_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint8)
    table[ord("A") : ord("Z") + 1] += 32  # ASCII case folded
    table[ord("0") : ord("9") + 1] = ord("#")  # digits masked
    for c in b"\t\r\n\x0b\x0c":
        table[c] = ord(" ")
    return table


_TEMPLATE_BYTES: Final = _template_table()
_TEMPLATE_TRANSLATION: Final = _TEMPLATE_BYTES.tobytes()


def _template_bytes(frame: np.ndarray) -> np.ndarray:
    """``_TEMPLATE_BYTES[frame]`` by ``bytes.translate`` (a byte-table lookup, several times faster than numpy's
    fancy indexing, which widens every byte to an index first)."""
    return np.frombuffer(frame.tobytes().translate(_TEMPLATE_TRANSLATION), dtype=np.uint8).reshape(frame.shape)


def _collapse_runs(frame: np.ndarray) -> np.ndarray:
    """Squeeze runs of masked digits and of spaces to one byte each, row by row (vectorised):
    "12" and "990" both become "#", so numbers of any length fill a template alike."""
    following = frame[:, 1:]
    drop = (following == frame[:, :-1]) & ((following == ord("#")) | (following == ord(" ")))
    out = frame.copy()
    rows = np.flatnonzero(drop.any(axis=1))  # the others have nothing to squeeze and stay as they are
    if rows.size:
        keep = np.ones((rows.size, frame.shape[1]), dtype=bool)
        np.logical_not(drop[rows], out=keep[:, 1:])
        # Row r's kept bytes, in order, fill packed[r, :kept[r]]: both masks list their cells row-major, so one
        # boolean assignment moves them (no index arrays).
        kept = np.count_nonzero(keep, axis=1)
        sub = frame[rows]
        packed = np.zeros_like(sub)
        packed[np.arange(frame.shape[1])[None, :] < kept[:, None]] = sub[keep]
        out[rows] = packed
    return out


def _last(frame: np.ndarray, width: int) -> np.ndarray:
    """The last ``width`` non-zero-padded bytes of each left-aligned row: bytes ``[length - width, length)`` with
    ``length`` its count of non-zero bytes, zeros where that starts before the row."""
    # Prefixing each row with ``width`` zeros turns that into bytes [length, length + width) of the prefixed row,
    # read through a sliding view of all rows laid end to end.
    n, w = frame.shape
    length = np.count_nonzero(frame, axis=1)
    padded = np.zeros((n, width + w), dtype=np.uint8)
    padded[:, width:] = frame
    return sliding_window_view(padded.reshape(-1), width)[np.arange(n) * (width + w) + length]


def hash_strings(
    values: pa.Array | pa.ChunkedArray,
    *,
    key: int = DEFAULT_KEY,
    width: int = 128,
    template: bool = False,
) -> np.ndarray:
    """Keyed 64-bit hash of each string (null hashes like ""), from its first and last ``width`` bytes
    and its length. Two strings that differ only strictly inside a long middle collide on purpose: the
    hash identifies a prompt's frame, which is what repeats, not its filled-in body.

    ``template=True`` hashes the frame as a template: ASCII case folded, digits masked, whitespace kinds
    unified, and the length left out, so prompts filled from one template hash alike."""
    arr = _as_string_array(values)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    width = max(8, (width + 7) // 8 * 8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1, offset=arr.offset * 4).astype(np.int64)
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    lengths = ends - starts
    if template:
        # Read twice the width, squeeze runs, then keep ``width`` bytes: a number of any length fills
        # the same number of template bytes.
        wide = 2 * width
        head = _collapse_runs(_template_bytes(_window(data, starts, np.minimum(lengths, wide), wide)))[:, :width]
        tail_len = np.clip(lengths - width, 0, wide)
        tail = _last(_collapse_runs(_template_bytes(_window(data, ends - tail_len, tail_len, wide))), width)
    else:
        head = _window(data, starts, np.minimum(lengths, width), width)
        tail_len = np.clip(lengths - width, 0, width)
        tail = _window(data, ends - tail_len, tail_len, width)
    frame = np.concatenate([head, tail], axis=1)
    words = frame.view(np.uint64)
    h = mix64(np.full(n, key, dtype=np.uint64) ^ (np.uint64(0) if template else lengths.astype(np.uint64)))
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h = (h ^ words[:, j]) * _M1
            h ^= h >> np.uint64(29)
    return mix64(h)


_MASKS: Final = (
    (r"```[\s\S]*?```", " ⟨code⟩ "),
    (r"https?://\S+", " ⟨url⟩ "),
    (r"[\w.+-]+@[\w-]+\.[\w.]+", " ⟨email⟩ "),
    (r'"[^"\n]{1,400}"|“[^”\n]{1,400}”|«[^»\n]{1,400}»|「[^」\n]{1,400}」|\'[^\'\n]{3,400}\'', " ⟨q⟩ "),
    (r"\d+(?:[.,:/-]\d+)*", "#"),
    (r"\s+", " "),
)


def skeleton(prompts: pa.Array | pa.ChunkedArray, *, keep: int = 160) -> pa.Array:
    """The template skeleton of each prompt: lower-cased, with numbers, quoted and fenced text, URLs and
    e-mail addresses masked, whitespace collapsed, and only about the first and last ``keep`` characters
    kept (wrappers and templates sit at the ends; what a template wraps sits in the middle)."""
    text = _as_string_array(prompts)
    # Cut first, mask after: the regexes then run over a few hundred characters, not whole RAG prompts.
    cut = 2 * keep
    long = pc.greater(pc.utf8_length(text), 2 * cut)
    ends = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, cut), pc.utf8_slice_codeunits(text, -cut),
                                       " … ")
    text = pc.utf8_lower(pc.if_else(long, ends, text))
    for pattern, replacement in _MASKS:
        text = pc.replace_substring_regex(text, pattern=pattern, replacement=replacement)
    text = pc.utf8_trim_whitespace(text)
    length = pc.utf8_length(text)
    head = pc.utf8_slice_codeunits(text, 0, keep)
    tail = pc.utf8_slice_codeunits(text, -keep)
    return pc.if_else(pc.greater(length, 2 * keep), pc.binary_join_element_wise(head, tail, " … "), text)


def template_hash(prompts: pa.Array | pa.ChunkedArray, *, key: int = DEFAULT_KEY, width: int = 48) -> np.ndarray:
    """Hash of the prompt's first and last ``width`` bytes, case-folded with digits masked: equal for
    prompts filled from one template (the wrapper sits at the ends). For display, see :func:`skeleton`."""
    return hash_strings(prompts, key=key ^ 0x7E, width=width, template=True)


class HyperLogLog:
    """Per-group HyperLogLog registers (``groups x 2**p`` uint8), mergeable by element-wise max."""

    def __init__(self, groups: int, p: int = 8) -> None:
        self.p = p
        self.registers = np.zeros((groups, 1 << p), dtype=np.uint8)

    def grow(self, groups: int) -> None:
        if groups > self.registers.shape[0]:
            extra = np.zeros((groups - self.registers.shape[0], self.registers.shape[1]), dtype=np.uint8)
            self.registers = np.concatenate([self.registers, extra])

    def add(self, group: np.ndarray, hashes: np.ndarray) -> None:
        """Fold 64-bit ``hashes`` into their ``group``'s registers (vectorised)."""
        if len(group) == 0:
            return
        self.grow(int(group.max()) + 1)
        p = np.uint64(self.p)
        idx = (hashes >> (np.uint64(64) - p)).astype(np.int64)
        rest = (hashes << p) | (np.uint64(1) << (p - np.uint64(1)))  # guard bit bounds the rank
        rank = (_clz64(rest) + 1).astype(np.uint8)
        np.maximum.at(self.registers, (group.astype(np.int64), idx), rank)

    def merge(self, other: HyperLogLog) -> None:
        self.grow(other.registers.shape[0])
        n = other.registers.shape[0]
        np.maximum(self.registers[:n], other.registers, out=self.registers[:n])

    def estimate(self) -> np.ndarray:
        """Cardinality estimate per group (with the small-range correction)."""
        m = float(self.registers.shape[1])
        alpha = 0.7213 / (1 + 1.079 / m)
        inv = np.power(2.0, -self.registers.astype(np.float64)).sum(axis=1)
        raw = alpha * m * m / inv
        zeros = (self.registers == 0).sum(axis=1)
        small = (raw <= 2.5 * m) & (zeros > 0)
        with np.errstate(divide="ignore"):
            linear = m * np.log(m / np.maximum(zeros, 1))
        return np.where(small, linear, raw)


def _clz64(x: np.ndarray) -> np.ndarray:
    """Count leading zeros of uint64 values (x > 0), exactly, by binary search on the bits."""
    x = x.astype(np.uint64, copy=True)
    n = np.zeros(x.shape, dtype=np.int64)
    for shift in (32, 16, 8, 4, 2, 1):
        s = np.uint64(64 - shift)
        top_empty = (x >> s) == 0
        n += np.where(top_empty, shift, 0)
        x = np.where(top_empty, x << np.uint64(shift), x)
    return n


def minhash(group: np.ndarray, hashes: np.ndarray, groups: int, k: int = 64, *, key: int = DEFAULT_KEY) -> np.ndarray:
    """MinHash signatures (``groups x k`` uint64) of the set of ``hashes`` each group holds; merge by min.
    Groups with no element keep the all-ones sentinel."""
    sig = np.full((groups, k), np.iinfo(np.uint64).max, dtype=np.uint64)
    if len(group) == 0:
        return sig
    seeds = mix64(np.arange(1, k + 1, dtype=np.uint64) * np.uint64(key | 1))
    order = np.argsort(group)  # any order within a group: a minimum does not depend on it
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    perm = mix64(hashes[order][:, None] ^ seeds[None, :])  # rows already grouped: no copy of the k-wide matrix
    sig[g[starts]] = np.minimum.reduceat(perm, starts, axis=0)
    return sig


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs as (index of each pair's first occurrence, occurrences), by one 1-D sort
    of a 64-bit mix of the pair (far faster than ``np.unique(axis=0)``; collisions are negligible)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = mix64(b.astype(np.uint64) ^ mix64(a.astype(np.uint64) + np.uint64(1)))
    # An unstable sort (several times faster than the stable one ``np.unique(return_index=True)`` needs), then
    # the smallest index in each run of equal keys: the same pairs, in the same (key) order.
    order = np.argsort(key)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    return np.minimum.reduceat(order, starts), np.diff(np.r_[starts, len(key)])
