"""Real services a test or a benchmark can stop and start again in place.

Used by the service-restart integration tests and ``benchmarks/faults_services.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support import livestack


class RedisServer:
    """A redis-server on 127.0.0.1:port that can be stopped and started again in place."""

    def __init__(self, workdir: Path, port: int, appendonly: bool = True) -> None:
        self.workdir, self.port, self.appendonly = workdir, port, appendonly
        self.process: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"]
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + (persistence if self.appendonly else ["--appendonly", "no"])
            + ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        livestack.wait_for_port(self.port, timeout=15)

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(15)


class PostgresServer:
    """A PostgreSQL cluster of its own on 127.0.0.1:port (as the postgres user when root)."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir, port
        self.data = workdir / "data"
        bindir = self.find_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bindir = bindir

    @staticmethod
    def find_bindir() -> Path | None:
        """Debian keeps the server binaries out of PATH, one folder per major version."""
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        if found:
            return found[-1]
        pg_ctl = shutil.which("pg_ctl")
        return Path(pg_ctl).resolve().parent if pg_ctl else None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/sms"

    def _run(self, *argv: str, check: bool = True) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr[-2000:]}")

    def init(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for folder in (self.workdir, *self.workdir.parents[:1]):
            folder.chmod(0o755)  # the postgres user must be able to enter it
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "sms")

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.workdir} -c fsync=off"
        )
        log = str(self.workdir / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=check)
