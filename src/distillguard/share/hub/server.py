"""Run a hub in a background thread on a loopback port: for tests, demos and benchmarks.

    with serve_in_thread(config, "hub.db") as running:
        Server(running.discovery_url, user="provider-a", password=key)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from distillguard.share.hub.app import Hub, create_app
from distillguard.share.hub.config import HubConfig
from distillguard.share.hub.store import HubStore
from distillguard.share.hub.tls import ServerTLS


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class RunningHub:
    hub: Hub
    store: HubStore
    host: str
    port: int
    tls: bool = False

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/taxii2/"

    def collection_url(self, alias: str) -> str:
        """The URL of the collection with this alias (as taxii2client's Collection takes it)."""
        for c in self.hub.config.collections.values():
            if c.alias == alias:
                return f"{self.url}/{c.api_root}/collections/{c.id}/"
        raise KeyError(alias)


@contextmanager
def serve_in_thread(config: HubConfig, db: str, host: str = "127.0.0.1", port: int | None = None,
                    start_timeout: float = 20.0, tls: ServerTLS | None = None) -> Iterator[RunningHub]:
    """Serve the hub under uvicorn in a daemon thread until the block ends (over TLS with ``tls``)."""
    if tls is not None:
        tls.check()
    hub, store = create_app(config, db)
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(hub.app, host=host, port=port, interface="asgi3", log_level="warning",
                                           access_log=False, lifespan="off",
                                           **(tls.uvicorn_options() if tls is not None else {})))
    thread = threading.Thread(target=server.run, name=f"hub-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            store.close()
            raise RuntimeError(f"the hub did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield RunningHub(hub=hub, store=store, host=host, port=port, tls=tls is not None)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        hub.close()
        store.close()
