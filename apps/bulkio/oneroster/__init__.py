"""OneRoster 1.1 CSV (1EdTech's bulk exchange format): a zip of CSV files.

``schema`` holds the files, their headers and how SMS records get their sourcedIds;
``export`` streams the zip; ``package`` reads and checks an uploaded zip; ``importer``
turns its files into the import job's plan, written and rolled back like any import.
"""

from apps.bulkio.models import ONEROSTER as RESOURCE

__all__ = ["RESOURCE"]
