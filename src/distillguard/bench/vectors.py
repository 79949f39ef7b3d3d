"""Query vectors for the benchmark's baseline detectors: hashed n-grams by default, a local sentence model optionally.

    encoder = HashedNgrams(dim=256)
    vectors = encoder.encode(batch.column("prompt"))   # rows x 256 float32, each row L2-normalised

:class:`HashedNgrams` is the feature-hashing trick (Weinberger et al., ICML 2009) over word unigrams and
bigrams (or byte 4-grams): tokens are hashed with the keyed, vectorised
:func:`distillguard.signals.fingerprint.hash_strings`, bucketed modulo ``dim`` with a hash-derived sign
(so inner products stay unbiased under collisions), counted and L2-normalised. Whole Arrow columns go in
at once; nothing loops over rows. Same text, same key, same vector, on every machine.

:class:`SentenceEmbedder` wraps a small sentence-embedding model from the ``[embed]`` extra
(``sentence-transformers``). It loads only from a local folder (``local_files_only``): distillguard never
downloads a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import ConfigError
from distillguard.signals.fingerprint import DEFAULT_KEY, hash_strings, mix64

#: Word boundaries: anything that is not a letter, digit or underscore, in any script. Scripts written
#: without spaces (Chinese, Japanese) therefore give one token per clause; use ``analyzer="char"`` there.
_SPLIT: Final = r"[^\p{L}\p{N}_]+"
_BIGRAM_SALT: Final = np.uint64(0xB16_5A17)
_MULT: Final = np.uint64(0x9E3779B97F4A7C15)
_CHAR_N: Final = 4


class Encoder(Protocol):
    """Turns a column of texts into a rows x ``dim`` float32 matrix whose non-zero rows have L2 norm 1."""

    name: str
    dim: int

    def encode(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray: ...


def _strings(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.string())
    return pc.fill_null(texts, "")


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Divide each row by its L2 norm in place (all-zero rows stay zero); returns ``matrix``."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


class HashedNgrams:
    """Signed feature hashing of word unigrams + bigrams (``analyzer="word"``) or byte 4-grams (``"char"``).

    Text is lower-cased and cut to its first ``max_chars`` characters. Word tokens are runs of letters,
    digits and underscores in any script; a bigram is hashed from its two tokens' hashes. Byte 4-grams
    are taken over the UTF-8 bytes, so they work for every script (a CJK character is three bytes).
    """

    name = "hashed"

    def __init__(self, dim: int = 256, *, analyzer: Literal["word", "char"] = "word", max_chars: int = 4000,
                 key: int = DEFAULT_KEY) -> None:
        if dim < 2:
            raise ConfigError(f"hashed vectors need dim >= 2, got {dim}")
        if analyzer not in ("word", "char"):
            raise ConfigError(f"analyzer must be 'word' or 'char', got {analyzer!r}")
        if max_chars < 1:
            raise ConfigError(f"max_chars must be at least 1, got {max_chars}")
        self.dim = dim
        self.analyzer = analyzer
        self.max_chars = max_chars
        self.key = key

    def __repr__(self) -> str:
        return f"HashedNgrams(dim={self.dim}, analyzer={self.analyzer!r}, max_chars={self.max_chars})"

    def encode(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        text = pc.utf8_lower(pc.utf8_slice_codeunits(_strings(texts), 0, self.max_chars))
        rows = len(text)
        if rows == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        hashes, owners = self._word_hashes(text) if self.analyzer == "word" else self._char_hashes(text)
        bucket = (hashes % np.uint64(self.dim)).astype(np.int64)
        sign = np.where((hashes >> np.uint64(63)) != 0, -1.0, 1.0)
        counts = np.bincount(owners * self.dim + bucket, weights=sign, minlength=rows * self.dim)
        return l2_normalise(counts.reshape(rows, self.dim).astype(np.float32))

    def _word_hashes(self, text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        tokens = pc.split_pattern_regex(text, pattern=_SPLIT)
        flat = pc.list_flatten(tokens)
        owners = pc.list_parent_indices(tokens).to_numpy().astype(np.int64)
        keep = pc.greater(pc.utf8_length(flat), 0)
        flat = flat.filter(keep)
        owners = owners[keep.to_numpy(zero_copy_only=False)]
        # Each distinct token is hashed once. width=16: tokens up to 32 bytes are hashed whole, longer
        # ones by their first and last 16 bytes and their length.
        codes = pc.dictionary_encode(flat)
        uni = hash_strings(codes.dictionary, key=self.key, width=16)[codes.indices.to_numpy()]
        same = owners[1:] == owners[:-1]
        with np.errstate(over="ignore"):
            bi = mix64((uni[:-1] * _MULT) ^ uni[1:] ^ _BIGRAM_SALT)[same]
        return np.concatenate([uni, bi]), np.concatenate([owners, owners[1:][same]])

    def _char_hashes(self, text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        n = len(text)
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1, offset=text.offset * 4)
        offsets = offsets.astype(np.int64)
        buf = text.buffers()[2]
        data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, dtype=np.uint8)
        starts, ends = offsets[:-1], offsets[1:]
        lengths = ends - starts
        grams = np.where(lengths > 0, np.maximum(lengths - _CHAR_N + 1, 1), 0)
        owners = np.repeat(np.arange(n, dtype=np.int64), grams)
        first = np.cumsum(grams) - grams
        pos = starts[owners] + (np.arange(len(owners), dtype=np.int64) - first[owners])
        padded = np.concatenate([data, np.zeros(_CHAR_N, dtype=np.uint8)])
        value = np.zeros(len(owners), dtype=np.uint64)
        row_end = ends[owners]
        for k in range(_CHAR_N):
            byte = padded[pos + k].astype(np.uint64)
            byte[pos + k >= row_end] = 0  # a string shorter than n is one gram, zero-padded
            value |= byte << np.uint64(8 * k)
        return mix64(value ^ np.uint64(self.key)), owners


class SentenceEmbedder:
    """A sentence-transformers model loaded from a local folder (never downloaded); normalised embeddings.

    Needs the ``[embed]`` extra: ``pip install 'distillguard[embed]'``.
    """

    name = "embed"

    def __init__(self, path: str | Path, *, batch_size: int = 64, device: str | None = None,
                 max_chars: int = 2000) -> None:
        folder = Path(path)
        if not folder.is_dir():
            raise ConfigError(f"embedding model {str(path)!r} is not a local folder; distillguard never downloads "
                              "models: pass the folder of a saved sentence-transformers model")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError("the sentence-embedding encoder needs the [embed] extra: "
                              "pip install 'distillguard[embed]'") from exc
        self.path = folder
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.model: Any = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self.dim = int(self.model.get_sentence_embedding_dimension())

    def __repr__(self) -> str:
        return f"SentenceEmbedder({str(self.path)!r}, dim={self.dim})"

    def encode(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        text = pc.utf8_slice_codeunits(_strings(texts), 0, self.max_chars).to_pylist()
        if not text:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(text, batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(out, dtype=np.float32)


def make_encoder(embed_model: str | Path | None = None, *, dim: int = 256,
                 analyzer: Literal["word", "char"] = "word") -> Encoder:
    """Hashed n-grams, or a local sentence-embedding model when ``embed_model`` names its folder."""
    if embed_model is not None:
        return SentenceEmbedder(embed_model)
    return HashedNgrams(dim, analyzer=analyzer)
