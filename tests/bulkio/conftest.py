import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)

DOMAIN_MODELS = (Student, Course, Enrollment, Grade, Attendance, DailyPerformance)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def teacher_api(teacher_user):
    client = APIClient()
    client.force_authenticate(teacher_user)
    return client


def upload(client, resource, content, *, name="data.csv", mode=None):
    data = content.encode("utf-8") if isinstance(content, str) else content
    payload = {"resource": resource, "file": SimpleUploadedFile(name, data)}
    if mode:
        payload["mode"] = mode
    return client.post("/api/v1/imports/", payload, format="multipart")


def snapshot() -> dict:
    """Every column of every domain row, ordered by id: compares tables exactly."""
    tables = {}
    for model in DOMAIN_MODELS:
        names = [field.attname for field in model._meta.concrete_fields]
        tables[model._meta.label] = list(model._base_manager.order_by("pk").values_list(*names))
    return tables
