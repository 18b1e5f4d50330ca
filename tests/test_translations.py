"""The Greek translation is complete: the catalogs, the main pages and the notifications."""

from __future__ import annotations

import ast
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from apps.academics import changes
from apps.notifications import events
from apps.notifications.models import Notification
from apps.notifications.services import notify
from tests.factories import (
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    enroll,
)

LOCALE = Path(settings.BASE_DIR) / "locale" / "el" / "LC_MESSAGES"
CATALOGS = [LOCALE / "django.po", LOCALE / "djangojs.po"]


def _entries(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, the msgstr values and whether it is fuzzy."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries.append(
                {
                    "msgid": fields["msgid"],
                    "msgstrs": [v for k, v in fields.items() if k.startswith("msgstr")],
                    "fuzzy": any(line.startswith("#,") and "fuzzy" in line for line in lines),
                }
            )
    return entries


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.name)
def test_greek_catalog_has_every_message_translated(path):
    entries = _entries(path)

    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstrs"])]
    fuzzy = [e["msgid"] for e in entries if e["fuzzy"]]

    assert entries
    assert untranslated == []
    assert fuzzy == []


# What CONTRIBUTING.md's makemessages commands read: the source, less what ships no text.
SOURCE_FOLDERS = ["apps", "sms", "templates", "static/js"]
MAKEMESSAGES = {
    "django": ["var", "tests", "benchmarks", "node_modules"],
    "djangojs": ["var", "tests", "static/vendor", "node_modules"],
}


def test_greek_catalogs_hold_every_message_the_source_marks(tmp_path, settings, monkeypatch):
    """A string marked for translation but never extracted shows in English on a Greek
    page, and the test above cannot see it: extract the source afresh (on a copy, into a
    copy of the catalogs) and every message must already be in the committed catalogs."""
    assert shutil.which("xgettext") and shutil.which("msgmerge"), "gettext is not installed"
    root = Path(settings.BASE_DIR)
    for folder in SOURCE_FOLDERS:
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copytree(root / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)

    for domain, ignored in MAKEMESSAGES.items():
        call_command(
            "makemessages", locale=["el"], domain=domain, ignore_patterns=ignored, verbosity=0
        )

    for path in CATALOGS:
        committed = {entry["msgid"] for entry in _entries(path)}
        extracted = _entries(tmp_path / "locale" / "el" / "LC_MESSAGES" / path.name)
        assert extracted
        assert [e["msgid"] for e in extracted if e["msgid"] not in committed] == []


@pytest.fixture
def pages(db, admin_user):
    course = CourseFactory(teachers=[admin_user])
    student = StudentFactory()
    enroll(student, course)
    GradeFactory(student=student, course=course, category="Midterm")
    notify(user_ids=[admin_user.pk], kind="system", title="Term starts on Monday")
    return {
        "home": "/",
        "grade grid": f"/courses/{course.pk}/grades/",
        "analytics": "/analytics/",
        "import": "/bulk/imports/new/",
        "notification centre": "/notifications/",
    }


# Headings, buttons and links of each page, checked to be translated.
ENGLISH_UI = {
    "home": ["Welcome", "Open the administration", "Today's classes", "All courses"],
    "grade grid": ["Add column", "Max grade", "Final grade", "Category", "Roster"],
    "analytics": ["Analytics", "Apply", "Reset", "Grade distribution", "Course comparison"],
    "import": ["Import records", "Import history", "Upload and preview", "Templates"],
    "notification centre": ["Mark all read", "Preferences", "Unread only", "Mark read"],
}


@pytest.mark.parametrize("page", list(ENGLISH_UI))
def test_page_in_greek_shows_no_english_headings_or_buttons(client, admin_user, pages, page):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _visible_text(client.get(pages[page]).content.decode())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"

    response = client.get(pages[page])

    greek = _visible_text(response.content.decode())
    assert response.status_code == 200
    assert [word for word in ENGLISH_UI[page] if word not in english] == []
    assert [word for word in ENGLISH_UI[page] if word in greek] == []


def test_import_preview_in_greek_labels_the_rows(client, admin_user):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    upload = SimpleUploadedFile(
        "students.csv",
        b"student_id,first_name,last_name,email\nX1,Anna,Bell,not-an-email\n"
        b"X2,Chris,Dale,chris@example.org\n",
        content_type="text/csv",
    )

    response = client.post(
        "/bulk/imports/new/",
        {"resource": "students", "mode": "skip_invalid", "file": upload},
        follow=True,
    )

    text = _visible_text(response.content.decode())
    assert "Σφάλμα" in text
    assert [word for word in ("Error", "New", "Confirm and import") if word in text] == []


def test_admin_in_greek_translates_the_form_error_note(client, admin_user):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"

    response = client.post("/admin/academics/student/add/", {})

    text = _visible_text(response.content.decode())
    assert "Please correct" not in text
    assert "Παρακαλούμε διορθώστε" in text


def test_grade_notification_is_written_in_the_site_language(
    settings, db, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "el"
    student = StudentFactory(user=StudentUserFactory())
    course = CourseFactory(course_code="NET101")
    enroll(student, course)
    grade = GradeFactory(student=student, course=course, assignment_name="Lab 1")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        # the teacher who saved the grade browses in English
        changes.record_change(
            kinds=[changes.GRADE],
            student_ids=[student.pk],
            course_ids=[course.pk],
            grades_posted={grade.pk: False},
        )

    notification = Notification.objects.get(recipient=student.user)
    assert notification.title == "Νέος βαθμός στο NET101: Lab 1 80/100"


def test_import_notification_counts_are_in_the_site_language(settings, student_user):
    settings.LANGUAGE_CODE = "el"

    events.import_finished(
        user=student_user, title="x", counts={"new": 5, "update": 2, "skip": 1, "error": 0}
    )

    notification = Notification.objects.get(recipient=student_user)
    assert notification.message == "νέες: 5, ενημερωμένες: 2, αμετάβλητες: 1, με σφάλματα: 0"


def test_javascript_catalog_in_greek_serves_the_script_strings(client, student_user):
    client.force_login(student_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"

    page = client.get("/").content.decode()
    catalog = client.get("/jsi18n/").content.decode()

    assert 'src="/jsi18n/"' in page
    assert json.dumps("Κλείσιμο") in catalog  # escaped, as in the JSON catalog
