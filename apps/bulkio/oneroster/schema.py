"""The OneRoster 1.1 CSV binding as SMS reads and writes it.

Headers: "IMS OneRoster v1.1 CSV Tables", section 3 (one table per file, the columns in
the order given there; section 2.1 lists the files, the manifest is section 3.1). Every
header of the binding is written, in that order, even where SMS has nothing to put in it.

sourcedIds: students, courses, enrollments and grades (results) keep theirs in the
database (``sourced_id``). The records SMS does not store on their own get a name-based
UUID (uuid5) of a fixed namespace, so they are stable from one export to the next and
from one database to another: the school (org), a semester (academic session), a course's
one class, a teacher (by username), a teacher's place in a class, a grade category (by
title) and a line item (a course's assignment, by name).
"""

from __future__ import annotations

import functools
import uuid

VERSION = "1.1"

MANIFEST = "manifest.csv"
MANIFEST_HEADERS = ("propertyName", "value")

ORGS = "orgs.csv"
ACADEMIC_SESSIONS = "academicSessions.csv"
USERS = "users.csv"
COURSES = "courses.csv"
CLASSES = "classes.csv"
ENROLLMENTS = "enrollments.csv"
CATEGORIES = "categories.csv"
LINE_ITEMS = "lineItems.csv"
RESULTS = "results.csv"

# Section 3, table by table.
HEADERS: dict[str, tuple[str, ...]] = {
    ORGS: (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ),
    ACADEMIC_SESSIONS: (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ),
    USERS: (
        "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
        "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
        "sms", "phone", "agentSourcedIds", "grades", "password",
    ),
    COURSES: (
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
        "grades", "orgSourcedId", "subjects", "subjectCodes",
    ),
    CLASSES: (
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
        "subjectCodes", "periods",
    ),
    ENROLLMENTS: (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ),
    CATEGORIES: ("sourcedId", "status", "dateLastModified", "title"),
    LINE_ITEMS: (
        "sourcedId", "status", "dateLastModified", "title", "description", "assignDate",
        "dueDate", "classSourcedId", "categorySourcedId", "gradingPeriodSourcedId",
        "resultValueMin", "resultValueMax",
    ),
    RESULTS: (
        "sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
        "scoreStatus", "score", "scoreDate", "comment",
    ),
}  # fmt: skip

# The order files are applied in: each refers only to files before it.
FILES: tuple[str, ...] = tuple(HEADERS)

# Manifest properties (section 3.1): file.<name> is "bulk", "delta" or "absent".
BULK, DELTA, ABSENT = "bulk", "delta", "absent"
FILE_MODES = (BULK, DELTA, ABSENT)
# The other files of the binding: SMS has nothing for them and ignores them on import.
OTHER_FILES = ("classResources", "courseResources", "demographics", "resources")

ACTIVE, TO_BE_DELETED = "active", "tobedeleted"


def manifest_key(file_name: str) -> str:
    return "file." + file_name.removesuffix(".csv")


# --- sourcedIds SMS derives ---------------------------------------------------------------
NAMESPACE = uuid.UUID("6f1f3c52-3b0e-4d55-9a57-5b0a4c1e7d21")


@functools.lru_cache(maxsize=65_536)  # an export names each class and line item many times
def derived_id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join([kind, *map(str, parts)])))


def org_id() -> str:
    return derived_id("org")


def session_id(semester: str) -> str:
    return derived_id("term", semester)


def class_id(course_sourced_id) -> str:
    return derived_id("class", course_sourced_id)


def teacher_id(username: str) -> str:
    return derived_id("teacher", username)


def teaching_id(course_sourced_id, username: str) -> str:
    return derived_id("teaching", course_sourced_id, username)


def category_id(title: str) -> str:
    return derived_id("category", title)


def line_item_id(course_sourced_id, assignment_name: str) -> str:
    return derived_id("lineItem", course_sourced_id, assignment_name)
