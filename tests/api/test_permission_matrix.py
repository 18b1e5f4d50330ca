"""Every academics endpoint × action × role × own/other object, with the exact status.

The rule being pinned (docs/api.md, "Access"): anonymous → 401; a role that may never make
this kind of change → 403; an object outside the user's scope → 404; a create naming a
course outside the scope → 400 on that field; otherwise 2xx. Denied writes change nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from apps.academics.models import Attendance, Course, DailyPerformance, Enrollment, Grade, Student
from tests.api.conftest import School, Side, client_for
from tests.factories import StudentFactory


@dataclass(frozen=True)
class Resource:
    path: str
    model: type
    marks: bool  # teachers may write these in their own courses
    record: Callable[[Side], Any]
    create: Callable[[Side], dict]
    update: Callable[[Any], dict]
    patch: dict

    def __str__(self) -> str:
        return self.path


def marks_keys(obj) -> dict:
    return {"student": obj.student_id, "course": obj.course_id}


RESOURCES = [
    Resource(
        path="students",
        model=Student,
        marks=False,
        record=lambda side: side.student,
        create=lambda side: {
            "student_id": "NEW001",
            "first_name": "Nora",
            "last_name": "New",
            "email": "nora.new@example.org",
        },
        update=lambda obj: {
            "student_id": obj.student_id,
            "first_name": "Renamed",
            "last_name": obj.last_name,
            "email": obj.email,
        },
        patch={"notes": "patched"},
    ),
    Resource(
        path="courses",
        model=Course,
        marks=False,
        record=lambda side: side.course,
        create=lambda side: {
            "course_code": "NEW101",
            "course_name": "New course",
            "semester": "A",
            "evaluation_rules": [{"category": "Final", "weight": 100}],
        },
        update=lambda obj: {
            "course_code": obj.course_code,
            "course_name": "Renamed",
            "semester": "B",
        },
        patch={"description": "patched"},
    ),
    Resource(
        path="enrollments",
        model=Enrollment,
        marks=False,
        record=lambda side: side.enrollment,
        create=lambda side: {"student": StudentFactory().pk, "course": side.course.pk},
        update=lambda obj: {**marks_keys(obj), "status": "completed"},
        patch={"status": "completed"},
    ),
    Resource(
        path="grades",
        model=Grade,
        marks=True,
        record=lambda side: side.grade,
        create=lambda side: {
            "student": side.student.pk,
            "course": side.course.pk,
            "assignment_name": "Matrix essay",
            "category": "Final",
            "grade": "75",
        },
        update=lambda obj: {
            **marks_keys(obj),
            "assignment_name": obj.assignment_name,
            "category": "Final",
            "grade": "91",
        },
        patch={"notes": "patched"},
    ),
    Resource(
        path="attendance",
        model=Attendance,
        marks=True,
        record=lambda side: side.attendance,
        create=lambda side: {
            "student": side.student.pk,
            "course": side.course.pk,
            "date": "2025-11-03",
            "period_number": 2,
            "status": "absent",
        },
        update=lambda obj: {**marks_keys(obj), "date": obj.date.isoformat(), "status": "late"},
        patch={"notes": "patched"},
    ),
    Resource(
        path="daily-performance",
        model=DailyPerformance,
        marks=True,
        record=lambda side: side.daily_performance,
        create=lambda side: {
            "student": side.student.pk,
            "course": side.course.pk,
            "date": "2025-11-03",
            "category": "Final",
            "score": "7",
        },
        update=lambda obj: {
            **marks_keys(obj),
            "date": obj.date.isoformat(),
            "category": "Final",
            "score": "9",
        },
        patch={"notes": "patched"},
    ),
]
ROLES = ["anonymous", "admin", "teacher", "student"]
SIDES = ["own", "other"]
OBJECT_ACTIONS = ["create", "retrieve", "update", "partial_update", "destroy"]
SUCCESS = {"create": 201, "retrieve": 200, "update": 200, "partial_update": 200, "destroy": 204}


def expected_status(resource: Resource, action: str, role: str, side: str) -> int:
    if role == "anonymous":
        return 401
    if action == "list":
        return 200
    visible = role == "admin" or side == "own"
    if action == "retrieve":
        return 200 if visible else 404
    if not (role == "admin" or (role == "teacher" and resource.marks)):
        return 403
    if not visible:
        return 400 if action == "create" else 404
    return SUCCESS[action]


def acting_user(school: School, role: str):
    return {
        "anonymous": None,
        "admin": school.admin,
        "teacher": school.own.teacher,
        "student": school.own.student_user,
    }[role]


def snapshot(resource: Resource) -> list[dict]:
    manager = getattr(resource.model, "all_objects", resource.model.objects)
    return list(manager.order_by("pk").values())


def send(client, resource: Resource, action: str, side: Side):
    base = f"/api/v1/{resource.path}/"
    if action == "create":
        return client.post(base, resource.create(side), format="json")
    obj = resource.record(side)
    url = f"{base}{obj.pk}/"
    if action == "retrieve":
        return client.get(url)
    if action == "update":
        return client.put(url, resource.update(obj), format="json")
    if action == "partial_update":
        return client.patch(url, resource.patch, format="json")
    return client.delete(url)


OBJECT_CASES = [
    pytest.param(resource, action, role, side, id=f"{resource}-{action}-{role}-{side}")
    for resource, action, role, side in itertools.product(RESOURCES, OBJECT_ACTIONS, ROLES, SIDES)
]
LIST_CASES = [
    pytest.param(resource, role, id=f"{resource}-list-{role}")
    for resource, role in itertools.product(RESOURCES, ROLES)
]


@pytest.mark.parametrize(("resource", "action", "role", "side"), OBJECT_CASES)
def test_permission_matrix_object_action_answers_expected_status(
    school, resource, action, role, side
):
    client = client_for(acting_user(school, role))
    target = getattr(school, side)
    expected = expected_status(resource, action, role, side)
    before = snapshot(resource)

    response = send(client, resource, action, target)

    assert response.status_code == expected, response.content
    if expected >= 400 or action == "retrieve":
        assert snapshot(resource) == before
    else:
        assert snapshot(resource) != before


@pytest.mark.parametrize(("resource", "role"), LIST_CASES)
def test_permission_matrix_list_shows_only_scoped_rows(school, resource, role):
    client = client_for(acting_user(school, role))

    response = client.get(f"/api/v1/{resource.path}/")

    assert response.status_code == expected_status(resource, "list", role, "own")
    if role == "anonymous":
        return
    ids = {row["id"] for row in response.json()["results"]}
    assert resource.record(school.own).pk in ids
    assert (resource.record(school.other).pk in ids) is (role == "admin")
