"""The web and worker processes' garbage collector: frozen start-up objects, fewer
collections, and a clear error for a mistyped setting."""

import gc
import importlib

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sms.gc_tuning import DEFAULT_THRESHOLDS, parse_thresholds, tune_long_running_process


@pytest.fixture
def restored_collector():
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, DEFAULT_THRESHOLDS),
        ("", DEFAULT_THRESHOLDS),
        ("off", None),
        ("OFF", None),
        ("1000, 10, 10", (1000, 10, 10)),
    ],
)
def test_the_setting_reads_thresholds_or_off(raw, expected):
    assert parse_thresholds(raw) == expected


@pytest.mark.parametrize("raw", ["1000,10", "a,b,c", "-1,10,10", "1000,10,10,10"])
def test_a_mistyped_setting_stops_start_up_and_says_what_is_expected(raw):
    with pytest.raises(ImproperlyConfigured, match="three non-negative integers"):
        parse_thresholds(raw)


def test_tuning_freezes_what_start_up_built_and_sets_the_thresholds(restored_collector):
    assert tune_long_running_process((12_345, 11, 22)) is True

    assert gc.get_threshold() == (12_345, 11, 22)
    assert gc.get_freeze_count() > 0


def test_off_leaves_pythons_collector_alone(restored_collector):
    before = gc.get_threshold()

    assert tune_long_running_process(None) is False
    assert gc.get_threshold() == before


def test_the_web_entry_point_applies_the_setting(restored_collector):
    gc.set_threshold(700, 10, 10)  # Python's defaults, whatever ran before

    importlib.reload(importlib.import_module("sms.asgi"))

    assert gc.get_threshold() == settings.SMS_GC_THRESHOLDS
