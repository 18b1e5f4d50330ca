"""The release version has one source, pyproject.toml, and shows wherever it is shown."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from sms.version import VERSION

# Semantic Versioning 2.0.0's own pattern (semver.org), pre-release and build included.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _pyproject_version() -> str:
    with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def _footer(html: str) -> str:
    found = re.search(r"<footer[^>]*>(.*?)</footer>", html, re.S)
    assert found, "no footer on the page"
    return found.group(1).strip()


def test_version_is_the_pyproject_version_and_semantic():
    assert _pyproject_version() == VERSION
    assert SEMVER.match(VERSION)


def test_version_pattern_refuses_what_is_not_a_release_number():
    assert not SEMVER.match("1.16")
    assert not SEMVER.match("v1.16.0")
    assert not SEMVER.match("01.16.0")
    assert SEMVER.match("1.17.0-rc.1")


def test_api_schema_carries_the_release_version(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["version"] == _pyproject_version()


def test_page_footer_shows_the_version_to_signed_in_users(client, teacher_user):
    client.force_login(teacher_user)

    response = client.get(reverse("academics:course_list"))

    assert response.status_code == 200
    assert _footer(response.content.decode()) == f"SMS {_pyproject_version()}"


def test_login_page_footer_keeps_the_version_from_visitors(client, db):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert _footer(response.content.decode()) == "SMS"


def test_changelog_and_release_notes_exist_for_the_version():
    root = Path(settings.BASE_DIR)
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")

    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert f"[{VERSION}]: " in changelog  # the link reference under the heading
    assert (root / "docs" / "releases" / f"{VERSION}.md").is_file()


def test_upgrade_guide_names_every_migration_of_the_release():
    """An operator plans an upgrade and a rollback from the guide's table of migrations:
    a migration missing from it is a step they cannot see coming."""
    root = Path(settings.BASE_DIR)
    guide = (root / "docs" / "upgrading.md").read_text(encoding="utf-8")
    migrations = sorted(
        f"{path.parent.parent.name} {path.stem}"
        for path in (root / "apps").glob("*/migrations/0*.py")
    )

    missing = [name for name in migrations if f"`{name.split()[1]}`" not in guide]

    assert migrations, "no migrations found"
    assert missing == []
