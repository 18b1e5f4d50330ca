"""The importer's file readers; they live in ``apps.bulkio.reading``."""

from apps.bulkio.reading import (  # noqa: F401
    FileRejected,
    Limits,
    Table,
    cell_text,
    detect_delimiter,
    detect_encoding,
    read_table,
    short_list,
)
