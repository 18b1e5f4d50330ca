"""Django admin for the school's records; importing the modules registers the models."""

from apps.academics.admin import courses, records, students  # noqa: F401

__all__ = ["courses", "records", "students"]
