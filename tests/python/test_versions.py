"""The capture on every CPython 3.8+ installed here (on PATH as python3.N, or under pyenv):
complete (standard-library objects of many kinds included), never running user code, each
object once, sorted, with holder paths, and leaving nothing behind that looks like growth."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import CAPTURE_DIR, Snapshot, heapsnap_cli

HERE = os.path.dirname(os.path.abspath(__file__))


def interpreters():
    """Path of each distinct CPython 3.8+ found, by version."""
    candidates = [sys.executable]
    candidates += [shutil.which("python3.%d" % minor) for minor in range(8, 16)]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    found = {}
    for path in filter(None, candidates):
        try:
            out = subprocess.run([path, "-c", "import sys, platform; print(sys.version_info[0], sys.version_info[1], "
                                              "platform.python_implementation())"],
                                 capture_output=True, text=True, timeout=30).stdout.split()
        except (OSError, subprocess.SubprocessError):
            continue
        if len(out) == 3 and out[2] == "CPython" and (int(out[0]), int(out[1])) >= (3, 8):
            found.setdefault("%s.%s" % (out[0], out[1]), path)
    return sorted(found.items(), key=lambda kv: tuple(map(int, kv[0].split("."))))


@pytest.mark.parametrize("version,python", interpreters())
def test_capture_on(version, python, tmp_path):
    out = subprocess.run([python, os.path.join(HERE, "version_check.py"), CAPTURE_DIR, str(tmp_path / "v.hsnap.gz")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["python"].startswith(version)
    assert result["user_code_calls"] == []
    assert result["sorted"] and result["footer"]
    assert result["ids_unique"], "every object is written once"
    for name, (want, got) in result["counts"].items():
        assert abs(got - want) <= max(60, want // 100), (name, want, got)
    assert result["other_counts_off"] == {}
    assert result["record_path"] == "version_app.records[0]"
    assert result["slot_path"] == ["version_app.slots[7].value"]
    assert result["local_path"] == ["version_app.local <per thread>[1].seen"]
    assert result["local"] == ["<__main__.Local, 1 thread>"]
    assert result["context_path"] == ["<context>[request_var]"]
    assert result["object_registry"] == ["builtins.object <subclasses>"]
    # The collector's own test tells garbage from what C code holds, on every version.
    assert result["garbage_path"] == ["<garbage>"] and result["garbage_roots"] == "1", result
    [c_held] = result["c_held_path"]  # (`atexit <referent>` before 3.9: its module state shows it)
    assert c_held in ("<unreached>.__defaults__[0]", "atexit <referent>.__defaults__[0]"), result
    assert result["sequences"] == ["array('i', [0, 1, 2, 3]) 4", "deque([2, 3, 4], maxlen=3) 3"]
    # A suspended generator's and a pending task's locals, by name.
    assert result["generator_local_path"] == ["version_app.zoo[1] locals['held']"]
    task_at = result["zoo_len"] - 3
    assert result["task_local_path"] == ["version_app.zoo[%d].get_coro() locals['held']" % task_at]
    assert result["big_value_path"] == ["version_app.big['key-19999']"]
    task, finished, ref = (result["zoo_last"][path] for path in sorted(result["zoo_last"], key=lambda p: int(p[16:-1])))
    assert task.startswith("<_asyncio.Task pending <coroutine zoo.<locals>.waiter at "), task
    assert finished == "<_asyncio.Future finished>"
    assert ref in ("<weakref.ReferenceType to _asyncio.Task>", "<weakref to _asyncio.Task>"), ref  # (3.8: weakref)


@pytest.mark.parametrize("version,python", interpreters())
def test_captures_of_an_idle_process_show_no_growth_on(version, python, tmp_path):
    """The capture leaves nothing behind that a later capture would show as growth (no cache
    entry of its own, no object it made), so an idle process compares as quiet."""
    code = "import sys; sys.path.insert(0, %r); import heapsnap\nfor name in 'abc': heapsnap.capture(name + '.hsnap.gz')"
    subprocess.run([python, "-c", code % CAPTURE_DIR], cwd=str(tmp_path), check=True, timeout=300)
    paths = [str(tmp_path / (name + ".hsnap.gz")) for name in "abc"]
    out = json.loads(subprocess.run([heapsnap_cli(), "diff", "--json"] + paths, check=True,
                                    capture_output=True, text=True).stdout)
    assert [s["sentence"] for s in out["suspects"]] == []
    assert [(g["path"], g["len_before"], g["len_after"]) for g in out["growing"]] == []


TRACED_SERVICE = """import sys; sys.path.insert(0, sys.argv[2]); import heapsnap, traceback
KEEP = [str(i) * 3 for i in range(50)]
heapsnap.capture(sys.argv[1] + "/a.hsnap.gz")
heapsnap.capture(sys.argv[1] + "/b.hsnap.gz")
assert not heapsnap._LINE_FREE_LOCK.locked(), "code put back"
assert heapsnap._Capture.walk.__code__.co_lnotab, "with its lines"
def fail(self, roots, garbage):
    raise KeyError("inside")
heapsnap._Capture.walk_roots = fail
try:
    heapsnap.capture(sys.argv[1] + "/c.hsnap.gz")
except KeyError:
    print(traceback.format_exc())
assert not heapsnap._LINE_FREE_LOCK.locked() and heapsnap._Capture.walk.__code__.co_lnotab, "after a failure too"
"""


@pytest.mark.parametrize("version,python", interpreters())
def test_sites_under_tracemalloc_on(version, python, tmp_path):
    """Under tracemalloc the capture's methods run code without line tables (see _LINE_FREE_COPIES):
    it writes the same, sites included, holds nothing more, and a traceback through that code
    can still be printed, with its lines (3.11+)."""
    script = tmp_path / "service.py"
    script.write_text(TRACED_SERVICE)
    out = subprocess.run([python, str(script), str(tmp_path), CAPTURE_DIR], check=True, timeout=300,
                         capture_output=True, text=True, env=dict(os.environ, PYTHONTRACEMALLOC="1")).stdout
    snap = Snapshot(str(tmp_path / "a.hsnap.gz"))
    assert "tracemalloc=1" in snap.header["options"]
    [item] = snap.exact("str", "'494949'")
    assert item["site"] == "%s:2" % script
    paths = [str(tmp_path / "a.hsnap.gz"), str(tmp_path / "b.hsnap.gz")]
    diff = json.loads(subprocess.run([heapsnap_cli(), "diff", "--json"] + paths, check=True, capture_output=True,
                                     text=True).stdout)
    assert [s["sentence"] for s in diff["suspects"]] == []
    # The same code objects each time: the copies are made once. (Their names tuples, new at
    # the first capture, are left out by the next once the collector untracks them.)
    churn = {row["type_name"]: (row["new_count"], row["deleted_count"]) for row in diff["comparison"]["rows"]}
    assert [churn.get(name, (0, 0)) for name in ("code", "function")] == [(0, 0)] * 2, churn
    assert "in walk_unreached" in out and "\nKeyError: 'inside'\n" in out, out
    if tuple(map(int, version.split("."))) >= (3, 11):
        # the frames run line-free are named with the lines of the methods as written
        source = open(os.path.join(CAPTURE_DIR, "heapsnap.py")).read().splitlines()
        [line] = [l for l in out.splitlines() if l.endswith(", in walk_unreached")]
        number = int(line.split(", line ")[1].split(",")[0])
        assert "self.walk_roots(" in source[number - 1], line


FORMATTING_AGREES = """import sys, pathlib; sys.path[:0] = [sys.argv[1], sys.argv[2]]
import test_formatting as t
t.test_an_object_reads_the_same_formatted_in_bulk_or_on_its_own(pathlib.Path(sys.argv[3]))
t.test_code_under_a_secret_looking_name_is_shown_in_bulk_too(pathlib.Path(sys.argv[3]))
"""


@pytest.mark.parametrize("version,python", interpreters())
def test_bulk_and_single_formatting_agree_on(version, python, tmp_path):
    """test_formatting, run by each version: how instance dicts, slots and inline attribute
    values are read differs from one to the next."""
    out = subprocess.run([python, "-c", FORMATTING_AGREES, CAPTURE_DIR, HERE, str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
