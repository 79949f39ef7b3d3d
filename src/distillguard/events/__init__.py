"""The traffic-log contract: schema, streaming readers with line-level errors, writers, summaries."""

from distillguard.events.reader import BadLine, FileReport, ReadReport, read_events, read_table
from distillguard.events.schema import EVENT_SCHEMA, LogLine
from distillguard.events.summary import LogSummary, summarize
from distillguard.events.writer import write_jsonl, write_parquet

__all__ = [
    "EVENT_SCHEMA",
    "BadLine",
    "FileReport",
    "LogLine",
    "LogSummary",
    "ReadReport",
    "read_events",
    "read_table",
    "summarize",
    "write_jsonl",
    "write_parquet",
]
