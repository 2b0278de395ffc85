"""Captures that meet a tuple C code is still filling: ``tuple(generator)`` or ``zip`` of
generators, interrupted while the generator runs Python code (a signal handler that captures,
a thread switch). The collector tracks such a tuple before its items are all set; reading an
item not set yet crashed the interpreter (SIGSEGV, every version 3.8 to 3.13). Each runs in a
child process, so that a crash fails the test instead of ending the run."""

import os
import subprocess
import sys

import pytest

from conftest import CAPTURE_DIR, Snapshot, heapsnap_cli
from test_versions import interpreters

INSIDE_A_GENERATOR = r"""
import sys
sys.path.insert(0, sys.argv[1])
import heapsnap

def items():
    yield "first"
    heapsnap.capture(sys.argv[2])  # tuple() below holds a tuple with 1 of its 10 items set
    yield "second"

print(tuple(items()))
"""

BESIDE_A_BUILDER_THREAD = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
import heapsnap

stop, failures = [], []

def builder():
    while not stop:
        try:
            tuple("item-%d" % i for i in range(50))
            list(zip((i * 2 for i in range(50)), (str(i) for i in range(50))))
        except SystemError:
            # CPython's own limit: a tuple cannot be resized while anyone else refers to it,
            # and for a moment gc.get_objects() does (see PRODUCTION.md).
            failures.append(1)

thread = threading.Thread(target=builder)
thread.start()
for k in range(int(sys.argv[3])):
    heapsnap.capture("%s-%d.hsnap.gz" % (sys.argv[2], k))
stop.append(1)
thread.join()
print("ok", len(failures))
"""


@pytest.mark.parametrize("version,python", interpreters())
def test_a_capture_inside_tuple_of_a_generator_writes_the_tuple_marked(version, python, tmp_path):
    out = str(tmp_path / "inside.hsnap")
    run = subprocess.run([python, "-c", INSIDE_A_GENERATOR, CAPTURE_DIR, out], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, (run.returncode, run.stderr[-3000:])
    assert run.stdout.strip() == "('first', 'second')", "the program goes on as if nothing happened"
    snap = Snapshot(out)
    [tuple_line] = snap.exact("tuple", "<being built: 1 of 10 items set>")
    assert (tuple_line["len"], tuple_line["parent"], tuple_line["edge"]) == ("10", "-", "<unreached>")
    assert snap.footer == "#end\t%d" % len(snap.objects)
    assert int(snap.header["unreached"]) >= 1
    if version == "%d.%d" % sys.version_info[:2]:
        summary = subprocess.run([heapsnap_cli(), "summary", out], capture_output=True, text=True, timeout=60)
        assert summary.returncode == 0, summary.stderr


def test_captures_beside_a_thread_that_builds_tuples_from_generators(tmp_path):
    run = subprocess.run([sys.executable, "-c", BESIDE_A_BUILDER_THREAD, CAPTURE_DIR, str(tmp_path / "t"), "8"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.returncode, run.stderr[-3000:])
    assert run.stdout.startswith("ok "), run.stdout
    names = sorted(os.listdir(str(tmp_path)))
    assert names == ["t-%d.hsnap.gz" % k for k in range(8)]
    for name in names:
        snap = Snapshot(str(tmp_path / name))
        assert snap.footer == "#end\t%d" % len(snap.objects)
        for line in snap.find("tuple", "<being built: "):
            assert line["edge"] == "<unreached>" and line["parent"] == "-"
