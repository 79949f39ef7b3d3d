"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temporary directory, on a free loopback
port, no fsync. Uses Debian's binaries (/usr/lib/postgresql/*/bin); ``./dev test`` installs them when missing.
As root (CI), the server runs as the ``postgres`` user (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest


def find_pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).resolve().parent if which else None


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            pytest.fail("PostgreSQL's binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin: run "
                        "./dev test (it installs Debian's postgresql), or apt-get install -y --no-install-recommends "
                        "postgresql", pytrace=False)
        self.bin = bin_dir
        # Its own directory under /tmp (not pytest's, which is private to root and so closed to the postgres user).
        self.directory = Path(tempfile.mkdtemp(prefix="distillguard-pg-"))
        self.data = self.directory / "data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                account = pwd.getpwnam("nobody")
            self.run_as = {"user": account.pw_uid, "group": account.pw_gid}
            os.chown(self.directory, account.pw_uid, account.pw_gid)

    def _run(self, *args: str) -> None:
        result = subprocess.run([str(a) for a in args], cwd=self.directory, capture_output=True, text=True,
                                timeout=60, **self.run_as)
        if result.returncode != 0:
            log = self.directory / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{Path(args[0]).name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{tail}",
                        pytrace=False)

    def start(self) -> None:
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.directory / "postgres.log",
                  "-w", "-t", "30", "start")

    def stop(self) -> None:
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                       cwd=self.directory, capture_output=True, timeout=60, **self.run_as)
        shutil.rmtree(self.directory, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"hub_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
