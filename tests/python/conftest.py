"""Shared helpers for the capture tests: import path, a small snapshot reader, the CLI."""

import gc
import gzip
import os
import subprocess
import sys

import pytest

from heapcheck import joined_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURE_DIR = os.path.join(ROOT, "capture-script")
sys.path.insert(0, CAPTURE_DIR)


class Snapshot:
    """A test-side reader of the format: header dict and one dict per object line."""

    def __init__(self, path):
        opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
        with opener(path, "rt", encoding="utf-8", newline="\n") as f:
            self.raw_lines = f.read().split("\n")
        assert self.raw_lines[-1] == "", "file ends with a newline"
        self.raw_lines.pop()
        assert self.raw_lines[0] == "#heapsnap 1"
        self.header = {}
        body = 1
        while self.raw_lines[body].startswith("#") and not self.raw_lines[body].startswith("#end\t"):
            key, _, value = self.raw_lines[body][1:].partition("\t")
            self.header[key] = value
            body += 1
        self.columns = self.header["columns"].split("\t")
        self.footer = self.raw_lines[-1]
        self.body = self.raw_lines[body:-1]
        self.objects = [dict(zip(self.columns, line.split("\t"))) for line in self.body]
        self.by_id = {o["id"]: o for o in self.objects}

    def path_of(self, obj):
        """The holder path, joined the way FORMAT.md says readers show it."""
        edges = []
        seen = set()
        while obj is not None and obj["id"] not in seen:
            seen.add(obj["id"])
            edges.append(obj["edge"])
            obj = self.by_id.get(obj["parent"]) if obj["parent"] != "-" else None
        return joined_path(reversed(edges))

    def exact(self, type_name, repr_text):
        return [o for o in self.objects if o["type"] == type_name and o["repr"] == repr_text]

    def find(self, type_name, repr_part):
        return [o for o in self.objects if o["type"] == type_name and repr_part in o["repr"]]


_failures = []


def pytest_runtest_logreport(report):
    if report.failed:
        _failures.append(report.nodeid)


@pytest.fixture(autouse=True)
def _free_what_a_failure_left():
    """Frees what a failed test left alive, so that it does not swell the next test's capture.

    A failed test's frames, and with them its locals (often a parsed Snapshot: ten Python
    objects per line of a million-line file), stay alive in a reference cycle with the
    exception until the collector runs; the next capture would write them all and the next
    Snapshot read them (8.8M objects, a MemoryError, where the failure was one assertion).
    """
    if _failures:
        del _failures[:]
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
        gc.collect()
    yield


def heapsnap_cli():
    """Path of the native CLI built by `make native`, or skip."""
    path = os.environ.get("HEAPSNAP_BIN") or os.path.join(ROOT, "target", "release", "heapsnap")
    if not os.path.exists(path):
        pytest.skip("native CLI not built (make native)")
    return path


def run_python(code, env=None, cwd=None):
    """Runs ``code`` in a fresh interpreter with the capture script importable."""
    full_env = dict(os.environ, PYTHONPATH=CAPTURE_DIR)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], env=full_env, cwd=cwd, check=True,
                          capture_output=True, text=True)
