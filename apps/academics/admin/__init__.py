"""Django admin for the school's records; importing the modules registers the models.

Academics knows nothing of import and export: the Import/Export buttons on these lists
are plugged in by ``apps.bulkio`` (``apps/bulkio/admin_integration.py``), which runs
them through its own importer so that admin imports keep change records and can be
rolled back like every other import.
"""

from apps.academics.admin import courses, records, students  # noqa: F401

__all__ = ["courses", "records", "students"]
