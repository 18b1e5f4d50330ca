"""SQLite placed by ``DATABASE_URL`` gets the same tuning as the default file: WAL, an
immediate write lock and a busy timeout, so reads and short writes wait out a long import
instead of failing with "database is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SHOW_OPTIONS = """
import json
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
print(json.dumps({**settings.DATABASES["default"]["OPTIONS"], "journal_mode": journal}))
"""

# One thread holds a write transaction for a second (a long import); meanwhile another
# reads, and then reads and writes in a transaction of its own (a request).
CONCURRENT = """
import json, threading, time
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
holding, results = threading.Event(), {}

def long_write():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO item (name) VALUES ('import')")
        holding.set()
        time.sleep(1.0)
    connection.close()

def request():
    holding.wait()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM item")
            results["read"] = cursor.fetchone()[0]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM item")
            cursor.execute("INSERT INTO item (name) VALUES ('request')")
        results["wrote"] = True
    except Exception as error:
        results["error"] = str(error)
    finally:
        connection.close()

threads = [threading.Thread(target=long_write), threading.Thread(target=request)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM item")
    results["rows"] = cursor.fetchone()[0]
print(json.dumps(results))
"""


def run_with_database_url(url: str, code: str, tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DATABASE_URL=url, SMS_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="sms.settings"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_url_gets_wal_immediate_writes_and_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'placed.sqlite3'}"

    options = run_with_database_url(url, SHOW_OPTIONS, tmp_path)

    assert options["journal_mode"] == "wal"
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 20
    assert "synchronous=NORMAL" in options["init_command"]


def test_sqlite_url_reads_and_writes_wait_out_a_long_write_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'placed.sqlite3'}"

    results = run_with_database_url(url, CONCURRENT, tmp_path)

    assert "error" not in results, results["error"]
    assert results["read"] == 0  # the uncommitted import is not seen, and not waited for
    assert results["wrote"] is True
    assert results["rows"] == 2
