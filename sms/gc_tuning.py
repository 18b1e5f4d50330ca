"""The garbage collector of the long-running processes (web and worker).

An analytics figure of the whole school builds hundreds of thousands of small objects.
With Python's default thresholds (700, 10, 10) the collector runs a full collection again
and again during one such request, each time scanning every object the process holds:
Django's modules, URL patterns, templates and caches, which live as long as the process.
After start-up those are frozen out of the collector's sight (``gc.freeze``) and
collections run less often: the heavy reports of the large demo took ~20 % less
(docs/benchmarks.md, "Sixth round"). Cycles are still collected, later.
"""

from __future__ import annotations

import gc

from django.core.exceptions import ImproperlyConfigured

DEFAULT_THRESHOLDS = (50_000, 20, 100)
_OFF = ("off", "default", "0")


def parse_thresholds(raw: str | None) -> tuple[int, int, int] | None:
    """``SMS_GC_THRESHOLDS``: unset for the project's thresholds, ``off`` for Python's
    own, else three non-negative integers ``gen0,gen1,gen2``."""
    text = (raw or "").strip().lower()
    if not text:
        return DEFAULT_THRESHOLDS
    if text in _OFF:
        return None
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise ImproperlyConfigured(
            f"SMS_GC_THRESHOLDS={raw!r}: give three non-negative integers such as "
            "'50000,20,100', or 'off' for Python's defaults."
        )
    return values


def tune_this_process() -> bool:
    """What each long-running process calls once built: the setting's thresholds."""
    from django.conf import settings

    return tune_long_running_process(settings.SMS_GC_THRESHOLDS)


def tune_long_running_process(thresholds: tuple[int, int, int] | None) -> bool:
    """Freeze what start-up built and set the thresholds; False when tuning is off."""
    if thresholds is None:
        return False
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    return True
