"""Back up and restore the whole database, SQLite or PostgreSQL (docs/deployment.md).

SQLite: sqlite3's online backup API copies every page inside one read transaction, so
the copy is consistent while the site runs (WAL lets writers carry on). The copy is one
self-contained file (journal mode DELETE, no -wal beside it). A restore copies the
backup's pages over the live database the same way: afterwards it is exactly the backup.

PostgreSQL: pg_dump's custom format. A restore is one transaction through psql: drop
every table of the database, then the dump's statements (pg_restore --clean --if-exists,
no owners or grants, so another role can restore it) with ON_ERROR_STOP; COMMIT is sent
only when pg_restore finished cleanly, so a failed or cut restore leaves the database as
it was, and tables the backup does not have (a newer release's) do not survive it.
Connection options come from DATABASES through Django's own psql mapping; the password
goes in PGPASSWORD, never on a command line that other users can see.

Both write the backup under a temporary name, readable by its owner only (it holds
password hashes and personal data), and rename it when complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables whose rows `migrate` writes itself: a database with rows only there is empty.
# So are SQLite's own tables (``sqlite_sequence``, the planner's ``sqlite_stat1``).
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
ENGINE_TABLE_PREFIX = "sqlite_"
COPY_CHUNK = 1 << 20


class BackupError(Exception):
    """A refusal or a failure, worded for the person running the command."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    vendor: str
    size: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    vendor: str
    seconds: float
    pending_migrations: list[str]  # this code's migrations the restored data lacks
    unknown_migrations: list[str]  # the backup's migrations this code does not have


def backup_database(path: Path, *, using: str = "default", overwrite: bool = False) -> BackupResult:
    connection = _supported(connections[using])
    path = Path(path)
    if connection.in_atomic_block:
        # SQLite's backup would wait forever for this connection's own write lock.
        raise BackupError("A backup cannot run inside a transaction.")
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already; choose another name or pass --force.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    started = time.perf_counter()
    partial = _private_file(path.with_name(f"{path.name}.partial"))
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(connection, partial)
        else:
            _postgres_backup(connection, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path, connection.vendor, path.stat().st_size, _since(started))


def restore_database(path: Path, *, using: str = "default", force: bool = False) -> RestoreResult:
    connection = _supported(connections[using])
    path = Path(path)
    _check_backup_file(path, connection.vendor)
    if not force and (filled := tables_with_rows(using=using)):
        shown = ", ".join(filled[:5]) + (", …" if len(filled) > 5 else "")
        raise BackupError(
            f"The database is not empty ({len(filled)} tables hold rows: {shown}). "
            "Restoring replaces all of it: pass --force to do so."
        )
    if connection.in_atomic_block:
        raise BackupError("A restore cannot run inside a transaction.")
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        _sqlite_restore(connection, path)
    else:
        _postgres_restore(connection, path)
    _forget_cached_figures()
    pending, unknown = _migration_differences(connection)
    return RestoreResult(path, connection.vendor, _since(started), pending, unknown)


def tables_with_rows(*, using: str = "default") -> list[str]:
    """Tables holding at least one row, leaving out what `migrate` fills by itself."""
    connection = connections[using]
    quote = connection.ops.quote_name
    filled = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor)) - MIGRATE_TABLES
        for table in sorted(t for t in tables if not t.startswith(ENGINE_TABLE_PREFIX)):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 - own names
            if cursor.fetchone():
                filled.append(table)
    return filled


# --- checks ------------------------------------------------------------------------------


def _supported(connection: BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    return connection


def _check_backup_file(path: Path, vendor: str) -> None:
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        kind = "sqlite"
    elif head.startswith(PG_DUMP_MAGIC):
        kind = "postgresql"
    else:
        raise BackupError(f"{path} is not a backup made by backup_database.")
    if kind != vendor:
        raise BackupError(
            f"{path} is a backup of a {vendor_name(kind)} database; this site uses "
            f"{vendor_name(vendor)}: a backup goes back into the same kind of database."
        )


def vendor_name(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[vendor]


def _private_file(path: Path) -> Path:
    path.unlink(missing_ok=True)  # left by an interrupted run
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _since(started: float) -> float:
    return time.perf_counter() - started


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_backup(connection: BaseDatabaseWrapper, target_path: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(target_path)
    try:
        connection.connection.backup(target)
        # The copy of a WAL database is in WAL mode too: make it one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite backup failed: {error}.") from error
    finally:
        target.close()


def _sqlite_restore(connection: BaseDatabaseWrapper, path: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        (verdict,) = source.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"{path} is damaged ({verdict}); nothing was restored.")
        if not source.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone():
            raise BackupError(f"{path} is not a backup of this site; nothing was restored.")
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(
            f"The SQLite restore failed: {error}. Stop the web server, workers and beat "
            "first: they hold the database open."
        ) from error
    finally:
        source.close()


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_command(
    connection: BaseDatabaseWrapper, program: str, options: list[str]
) -> tuple[list[str], dict[str, str]]:
    """``program options… [dbname]`` with the connection settings, as ``manage.py dbshell``."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed; install the PostgreSQL client programs "
            "(the same major version as the server, or newer)."
        )
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, options)
    return [executable, *args[1:]], {**os.environ, **(env or {})}


def _postgres_backup(connection: BaseDatabaseWrapper, target_path: Path) -> None:
    options = ["--format=custom", "--no-password", f"--file={target_path}"]
    command, env = _postgres_command(connection, "pg_dump", options)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise BackupError(f"pg_dump failed: {finished.stderr.strip()}")


def _postgres_restore(connection: BaseDatabaseWrapper, path: Path) -> None:
    restore_program = shutil.which("pg_restore")
    if restore_program is None:
        raise BackupError("pg_restore is not installed; install the PostgreSQL client programs.")
    listing = subprocess.run(
        [restore_program, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read: {listing.stderr.strip()}")
    if " django_migrations " not in listing.stdout:
        raise BackupError(f"{path} is not a backup of this site; nothing was restored.")
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    quote = connection.ops.quote_name
    drop = f"DROP TABLE IF EXISTS {', '.join(map(quote, tables))} CASCADE;\n" if tables else ""
    psql, env = _postgres_command(
        connection, "psql", ["--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1"]
    )
    connection.close()  # psql does the work; no connection of ours may hold a lock
    # Without a database name pg_restore writes the SQL script instead of running it.
    script = [restore_program, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    _run_in_one_transaction([*script, "--file=-", str(path)], psql, env, f"BEGIN;\n{drop}")


def _run_in_one_transaction(
    producer: list[str], psql: list[str], env: dict[str, str], opening: str
) -> None:
    """Pipe ``producer``'s SQL into ``psql`` after ``opening``; COMMIT only if both succeed.

    Without the COMMIT, psql reaches the end of its input inside the transaction and
    disconnects, which rolls everything back.
    """
    with tempfile.TemporaryFile() as producer_errors, tempfile.TemporaryFile() as psql_errors:
        sink = subprocess.Popen(
            psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=env
        )
        source = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=producer_errors)
        try:
            sink.stdin.write(opening.encode())
            shutil.copyfileobj(source.stdout, sink.stdin, COPY_CHUNK)
            if source.wait() == 0:
                sink.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error; its message says which
        finally:
            if source.poll() is None:
                source.kill()
            source.wait()
            _close_quietly(sink.stdin)
            sink.wait()
        if sink.returncode != 0:
            raise BackupError(f"The restore failed: {_text(psql_errors)} Nothing was restored.")
        if source.returncode != 0:
            raise BackupError(f"pg_restore failed: {_text(producer_errors)} Nothing was restored.")


def _close_quietly(stream: IO[bytes]) -> None:
    with contextlib.suppress(BrokenPipeError):
        stream.close()


def _text(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace").strip()


# --- after a restore ---------------------------------------------------------------------


def _forget_cached_figures() -> None:
    # The stored analytics came back with the data; figures cached in Redis did not.
    from apps.analytics.caching import clear_cached_figures

    clear_cached_figures()


def _migration_differences(connection: BaseDatabaseWrapper) -> tuple[list[str], list[str]]:
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    pending = [
        f"{migration.app_label}.{migration.name}"
        for migration, _backwards in executor.migration_plan(graph.leaf_nodes())
    ]
    applied = executor.recorder.applied_migrations()
    unknown = sorted(f"{app}.{name}" for app, name in applied if (app, name) not in graph.nodes)
    return pending, unknown
