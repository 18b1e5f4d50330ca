# Run inside `manage shell` of the running stack by tests/e2e/test_upgrade.py: a schema of
# its own on the stack's PostgreSQL database (its role may not create databases, but it
# owns this one), so the upgrade never touches the tables the stack runs on.
from django.conf import settings
from django.core.management import call_command
from django.db import connection


def database(p: dict) -> dict:
    """Where the stack's database is (the test connects its own processes to it)."""
    db = settings.DATABASES["default"]
    return {
        "vendor": connection.vendor,
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "name": str(db.get("NAME") or ""),
    }


def create_schema(p: dict) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{p["schema"]}"')
    return p["schema"]


def drop_schema(p: dict) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{p["schema"]}" CASCADE')
    return p["schema"]


def migrate_back(p: dict) -> list[str]:
    """``migrate APP MIGRATION`` for each app, as the rollback procedure does."""
    for app, migration in p["targets"].items():
        call_command("migrate", app, migration, interactive=False, verbosity=0)
    return sorted(p["targets"])
