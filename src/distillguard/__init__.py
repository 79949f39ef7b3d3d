"""distillguard: detect, stop, share intelligence on and prove adversarial distillation.

The public API is small on purpose; most users drive distillguard through its CLI (`distillguard --help`).
"""

from distillguard.errors import ConfigError, DistillguardError, LogReadError
from distillguard.events import EVENT_SCHEMA, ReadReport, read_events

__version__ = "0.1.0"

__all__ = [
    "EVENT_SCHEMA",
    "ConfigError",
    "DistillguardError",
    "LogReadError",
    "ReadReport",
    "__version__",
    "read_events",
]
