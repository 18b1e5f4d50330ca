"""Static files under content-hashed names (``SMS_STATIC_MANIFEST=1``, sms/settings.py)."""

from django.contrib.staticfiles import storage


def _pattern(entry: str | tuple[str, str]) -> str:
    return entry[0] if isinstance(entry, tuple) else entry


class ManifestStaticFilesStorage(storage.ManifestStaticFilesStorage):
    """Django's, except that ``sourceMappingURL`` comments are left as they are.

    A vendored library may name a source map it does not ship (Chart.js names
    ``chart.umd.min.js.map``); Django's storage then refuses the whole collectstatic.
    Browsers fetch a map only with their developer tools open, so an unhashed name there
    costs nothing.
    """

    patterns = tuple(
        (
            extension,
            tuple(entry for entry in entries if "sourceMappingURL" not in _pattern(entry)),
        )
        for extension, entries in storage.ManifestStaticFilesStorage.patterns
    )
