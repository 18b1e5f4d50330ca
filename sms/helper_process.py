"""Start Django in a helper process that a running one spawns (``multiprocessing``).

Kept apart from any module that imports models: a spawned process unpickles its
initializer by importing the module that defines it, before Django is set up.
"""

from __future__ import annotations


def start_django(database_name: str) -> None:
    """The parent's settings module (inherited in the environment), its database file
    (a test run's differs from the one the settings name), then Django."""
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database_name
    django.setup()
