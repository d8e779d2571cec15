"""A real PostgreSQL server on loopback for the tests (the Debian `postgresql` package's
binaries), in a temporary folder, on a free port, for the whole session.

PostgreSQL refuses to run as root: when the tests run as root, initdb and the server run
as the `postgres` user (subprocess `user=`), in a folder handed to that user. Each test
gets a database of its own (`postgres_url`), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.s3_server import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresServer:
    """`with PostgresServer() as server:` a running server; stopped (and waited for) and
    its folder removed on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.user = "postgres" if os.geteuid() == 0 else None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PostgresServer:
        if not (PG_BIN / "postgres").exists():
            raise RuntimeError(f"no PostgreSQL server binaries in {PG_BIN} (set PG_BIN)")
        self.folder = Path(tempfile.mkdtemp(prefix="crawler-test-pg-"))
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = self.folder / "data"
        subprocess.run(
            [PG_BIN / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            user=self.user,
            cwd=self.folder,
            check=True,
            capture_output=True,
            timeout=120,
        )
        log = open(self.folder / "server.log", "ab")
        self.proc = subprocess.Popen(
            [
                PG_BIN / "postgres",
                "-D", data,
                "-p", str(self.port),
                "-k", str(self.folder),  # the Unix socket stays in our folder
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off",  # a test server: speed over durability
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "max_connections=60",
            ],
            user=self.user,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log.close()
        try:
            self._wait_ready(timeout=60)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log()[-2000:]}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"postgres not ready in {timeout} s: {self.log()[-2000:]}"
                    ) from exc
                time.sleep(0.2)

    def log(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGINT: "fast" shutdown, which also ends a connection a failed test left open
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
