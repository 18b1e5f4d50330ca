"""Keep the analytics current: analytics listens to the one change hook and nothing else.

Every committed write of school data arrives as ``records_changed``: the cached figures
are forgotten (a new generation) and the stored results the change touched are refreshed.
"""

from apps.academics import changes
from apps.analytics import results
from apps.analytics.caching import bump_generation


def on_records_changed(sender, change: changes.Change, **kwargs) -> None:
    bump_generation()
    results.refresh_for_change(change)


def connect() -> None:
    changes.records_changed.connect(on_records_changed, dispatch_uid="analytics-records-changed")
