"""The helper process of a SQLite rebuild (``engine_ahead``):
``python -m apps.analytics.engine_helper DATABASE_FILE``.

It reads chunks of student ids from its standard input and answers each with the
engine's rows of those students (``results.engine_rows``), one pickled message each way,
until its input ends. Nothing else may reach the parent through that pipe, so what the
process prints goes to its standard error. Only the standard library is imported before
Django is set up with the parent's settings (inherited in the environment) and database.
"""

from __future__ import annotations

import os
import pickle
import sys


def serve(database_name: str) -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import django
    from django.conf import settings

    # A test run's database file differs from the one the settings name.
    settings.DATABASES["default"]["NAME"] = database_name
    django.setup()
    from apps.analytics.results import engine_rows

    chunks = sys.stdin.buffer
    while True:
        try:
            chunk = pickle.load(chunks)
        except EOFError:
            return
        try:
            answer = ("rows", engine_rows(chunk))
        except Exception as error:  # noqa: BLE001 - the parent computes the chunk itself
            answer = ("error", f"{type(error).__name__}: {error}")
        try:
            pickle.dump(answer, answers)
            answers.flush()
        except BrokenPipeError:  # the parent stopped reading: it no longer needs them
            return


if __name__ == "__main__":
    serve(sys.argv[1])
