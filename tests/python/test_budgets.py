"""Bounded cost: past --max-objects or --max-seconds the capture drops contents, never objects."""

import pytest

import heapsnap
from conftest import Snapshot


def test_max_objects_drops_contents_for_the_rest(tmp_path):
    keep = ["budget-%d" % i for i in range(20000)]
    full_path = heapsnap.capture(str(tmp_path / "full.hsnap.gz"))
    cheap_path = heapsnap.capture(str(tmp_path / "cheap.hsnap.gz"), heapsnap.CaptureOptions(max_objects=5000))
    full, cheap = Snapshot(full_path), Snapshot(cheap_path)
    assert "degraded" not in full.header
    assert cheap.header["degraded"].startswith("max_objects=5000 reached after ")
    assert "max_objects=5000" in cheap.header["options"]
    # Every object is still there; most have lost their contents.
    assert abs(len(cheap.objects) - len(full.objects)) < 0.02 * len(full.objects)
    # (Budgets are checked every 4096 objects; masked values keep their "<redacted>".)
    written = sum(1 for o in cheap.objects if o["repr"] not in ("-", "<redacted>"))
    assert 5000 <= written < 0.2 * len(cheap.objects)
    del keep


def test_max_seconds_drops_contents_once_the_time_is_up(tmp_path):
    keep = [{"n": i} for i in range(50000)]
    snap = Snapshot(heapsnap.capture(str(tmp_path / "s.hsnap.gz"), heapsnap.CaptureOptions(max_seconds=1e-6)))
    assert snap.header["degraded"].startswith("max_seconds=1e-06 reached after ")
    assert sum(1 for o in snap.objects if o["repr"] == "-") > 40000
    del keep


@pytest.mark.parametrize("kwargs", [{"max_seconds": 0}, {"max_seconds": "1"}, {"max_objects": 0},
                                    {"max_objects": 1.5}])
def test_bad_budgets_are_refused(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        heapsnap.CaptureOptions(**kwargs)
