"""The threat-intelligence hub: a TAXII 2.1 server for providers sharing STIX 2.1 intelligence on adversarial
distillation, with per-member keys and rights, TLP 2.0 enforced on read, anonymous submission, an
append-only audit log and rate limits. Run it with ``distillguard hub``; see docs/hub.md.

    config = HubConfig.from_yaml(Path("hub.yaml"))
    hub, store = create_app(config, "hub.db")      # or a postgresql:// URL
    uvicorn.run(hub.app, host="127.0.0.1", port=9500)

The names below load on first use, so ``distillguard --help`` does not import Starlette and SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MEDIA_STIX", "MEDIA_TAXII", "Hub", "HubConfig", "HubStore", "create_app"]

_WHERE = {"MEDIA_STIX": "app", "MEDIA_TAXII": "app", "Hub": "app", "create_app": "app", "HubConfig": "config",
          "HubStore": "store"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
