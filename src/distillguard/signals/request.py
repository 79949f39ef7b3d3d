"""Per-request signals: one EVENT_SCHEMA batch in, one SIGNAL_SCHEMA batch out, no I/O, no row loops.

This is the one implementation the scan, the gateway and the Spark adapter share
(``request_signals`` is a ``pa.RecordBatch -> pa.RecordBatch`` function, usable in ``mapInArrow``).
Text classifiers live in ``signals.text``; fingerprints (keyed hashes) in ``signals.fingerprint``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals import text
from distillguard.signals.fingerprint import hash_strings, template_hash

#: Capability domains, in code order (``domain`` column holds the index).
DOMAINS: Final = text.DOMAINS
#: Languages the ``lang`` column can hold, in code order; anything else is "und".
LANGS: Final = ("und", "en", "zh", "ru", "es", "ja", "de", "fr", "ko", "pt", "ar", "hi", "it", "tr", "vi")
_EFFORT_HIGH: Final = pa.array(["high", "xhigh", "max"])

SIGNAL_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("ts", pa.int64()),  # ms since the epoch, UTC
        ("cot", pa.float32()),  # 1.0 reasoning-trace coercion, 0.5 plain step-by-step, 0 none
        ("grader", pa.bool_()),
        ("rewrite", pa.bool_()),
        ("identity", pa.bool_()),
        ("domain", pa.int8()),  # index into DOMAINS
        ("lang", pa.int8()),  # index into LANGS
        ("template", pa.uint64()),  # keyed hash of the prompt's frame (case-folded, digits masked)
        ("prompt_hash", pa.uint64()),  # keyed hash of the prompt's first and last 64 bytes and length
        ("system_hash", pa.uint64()),  # keyed hash of the system prompt, 0 when none
        ("turns", pa.int16()),
        ("tool_use", pa.bool_()),  # tools offered or tool results sent back
        ("n", pa.int16()),
        ("logprobs", pa.bool_()),
        ("logit_bias", pa.bool_()),
        ("effort_high", pa.bool_()),
        ("max_tokens", pa.int32()),  # 0 when unset
        ("temperature", pa.float32()),  # NaN when unset
        ("prompt_chars", pa.int32()),
        ("context_chars", pa.int32()),
        ("completion_tokens", pa.int32()),
        ("reasoning_tokens", pa.int32()),
        ("ok", pa.bool_()),  # status 2xx (or unknown)
        ("throttled", pa.bool_()),  # status 429
        ("model", pa.string()),
        ("end_user", pa.uint64()),  # hash of request.user, 0 when none
        ("ip", pa.uint64()),  # hash of the client address, 0 when none
        ("subnet", pa.uint64()),  # hash of its /24 (IPv4) or /48 (IPv6)
        ("asn", pa.int64()),
        ("user_agent", pa.uint64()),
    ]
)


def _per_distinct(values: pa.Array | pa.ChunkedArray, fn: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``fn`` (one uint64 per string) run once per distinct value and spread back to the rows; null rows get 0.
    ``values`` may come dictionary-encoded already (then it is not encoded again).

    Prompts repeat within a batch (about half of a batch's rows in simulated traffic), identifiers and system
    prompts far more, so hashing each distinct value once saves most of the work."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    encoded = values if isinstance(values, pa.DictionaryArray) else pc.dictionary_encode(values)
    hashed = np.append(fn(encoded.dictionary), np.uint64(0))  # the extra last slot is for nulls
    indices = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False)
    return hashed[indices]


def _hash_or_zero(values: pa.Array, key: int, width: int = 64) -> pa.Array:
    return pa.array(_per_distinct(values, lambda v: hash_strings(v, key=key, width=width)), pa.uint64())


def _int(values: pa.Array, type_: pa.DataType, default: int = 0) -> pa.Array:
    return pc.fill_null(values, default).cast(type_)


def _subnet(ips: pa.Array) -> pa.Array:
    """/24 for IPv4, /48 for IPv6 (by cutting the text: no per-row parsing)."""
    v4 = pc.replace_substring_regex(ips, pattern=r"^(\d+\.\d+\.\d+)\.\d+$", replacement=r"\1")
    return pc.replace_substring_regex(v4, pattern=r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*):.*$",
                                      replacement=r"\1")


def request_signals(batch: pa.RecordBatch, *, key: int = 0x5EED_D157_1A7E) -> pa.RecordBatch:
    """Compute every per-request signal for one EVENT_SCHEMA batch (see SIGNAL_SCHEMA)."""
    prompt = pc.fill_null(batch.column("prompt"), "")
    # Encoded once: the prompt hashes and the text classifiers all run once per distinct prompt.
    distinct_prompts = pc.dictionary_encode(prompt)
    tools = _int(batch.column("tools"), pa.int32())
    tool_messages = _int(batch.column("tool_messages"), pa.int32())
    # Prepared here, not inside text_signals, to reuse its per-prompt character counts for prompt_chars.
    prepared = text._Prepared(distinct_prompts)
    classified = text._signals(prepared, tools, tool_messages)
    domain_names = classified.column("capability_domain")
    if isinstance(domain_names.type, pa.DictionaryType):
        domain_names = domain_names.cast(pa.string())
    domain = pc.index_in(domain_names, value_set=pa.array(DOMAINS))
    lang = pc.fill_null(pc.index_in(classified.column("language"), value_set=pa.array(LANGS)), 0)
    status = batch.column("status")
    effort = pc.fill_null(pc.is_in(batch.column("reasoning_effort"), value_set=_EFFORT_HIGH), False)
    system = batch.column("system")
    ips = pc.dictionary_encode(batch.column("ip"))  # the address and its subnet are both hashed per distinct address
    ts = batch.column("timestamp").cast(pa.int64())
    columns = [
        batch.column("account_id"),
        ts,
        classified.column("cot_elicitation").cast(pa.float32()),
        pc.fill_null(classified.column("grader_rubric"), False),
        pc.fill_null(classified.column("rewrite_request"), False),
        pc.fill_null(classified.column("identity_probe"), False),
        pc.fill_null(domain, DOMAINS.index("chat")).cast(pa.int8()),
        lang.cast(pa.int8()),
        pa.array(_per_distinct(distinct_prompts, lambda v: template_hash(v, key=key)), pa.uint64()),
        pa.array(_per_distinct(distinct_prompts, lambda v: hash_strings(v, key=key, width=64)), pa.uint64()),
        _hash_or_zero(system, key ^ 0x51),
        _int(batch.column("turns"), pa.int16(), 1),
        pc.or_(pc.greater(tools, 0), pc.greater(tool_messages, 0)),
        _int(batch.column("n"), pa.int16(), 1),
        pc.fill_null(pc.or_(pc.fill_null(batch.column("logprobs"), False),
                            pc.greater(_int(batch.column("top_logprobs"), pa.int32()), 0)), False),
        pc.greater(_int(batch.column("logit_bias"), pa.int32()), 0),
        effort,
        pc.min_element_wise(_int(batch.column("max_tokens"), pa.int64()), pa.scalar(2**31 - 1, pa.int64()))
        .cast(pa.int32()),
        pc.fill_null(batch.column("temperature"), float("nan")).cast(pa.float32()),
        pa.array(prepared.expand(prepared.chars), pa.int32()),
        pc.min_element_wise(batch.column("context_chars"), pa.scalar(2**31 - 1, pa.int64())).cast(pa.int32()),
        pc.min_element_wise(_int(batch.column("completion_tokens"), pa.int64()), pa.scalar(2**31 - 1, pa.int64()))
        .cast(pa.int32()),
        pc.min_element_wise(_int(batch.column("reasoning_tokens"), pa.int64()), pa.scalar(2**31 - 1, pa.int64()))
        .cast(pa.int32()),
        pc.fill_null(pc.and_(pc.greater_equal(status, 200), pc.less(status, 300)), True),
        pc.fill_null(pc.equal(status, 429), False),
        pc.fill_null(batch.column("model"), ""),
        # Identifiers are short: a 24-byte head and tail (plus the length) cover them whole.
        _hash_or_zero(batch.column("end_user"), key ^ 0xE0, 24),
        _hash_or_zero(ips, key ^ 0x1F, 24),
        # Each distinct address's subnet, hashed: the same hash as hashing each row's subnet (a hash is a function
        # of the string; a null address has a null subnet, both give 0).
        pa.array(_per_distinct(ips, lambda v: hash_strings(_subnet(v), key=key ^ 0x24, width=24)), pa.uint64()),
        _int(batch.column("asn"), pa.int64()),
        _hash_or_zero(batch.column("user_agent"), key ^ 0xA6, 48),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SIGNAL_SCHEMA)
