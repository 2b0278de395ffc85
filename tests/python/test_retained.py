"""Edges in the capture, dominators in the analyzer: `heapsnap top --retained` on real captures."""

import json
import os
import subprocess
import sys

import heapsnap
from conftest import CAPTURE_DIR, Snapshot, heapsnap_cli

SERVICE = r"""
import sys, heapsnap
class Account:
    def __init__(self, user):
        self.user = user
        self.history = ["%s-page-%d" % (user, i) * 4 for i in range(40)]
ACCOUNTS = {"user%d" % i: Account("user%d" % i) for i in range(300)}   # retains everything below it
SHARED = ACCOUNTS["user7"].history    # held twice: ACCOUNTS no longer retains this list alone
CYCLE = []
CYCLE.append(CYCLE)                   # a self-reference
import atexit
atexit.register(print, ["held only by C code"] * 300)   # the list is reachable only from C
heapsnap.capture(sys.argv[1], edges=sys.argv[2] == "1")
"""


def capture(tmp_path, edges):
    path = str(tmp_path / ("e.hsnap.gz" if edges else "p.hsnap.gz"))
    subprocess.run([sys.executable, "-c", SERVICE, path, "1" if edges else "0"], check=True,
                   env=dict(os.environ, PYTHONPATH=CAPTURE_DIR))
    return path


def test_edges_are_an_extra_column_old_readers_ignore(tmp_path):
    snap = Snapshot(capture(tmp_path, True))
    assert snap.columns[-1] == "refs" and "edges=1" in snap.header["options"]
    [accounts] = [o for o in snap.objects if o["type"] == "dict" and snap.path_of(o) == "__main__.ACCOUNTS"]
    refs = accounts["refs"].split(" ")
    assert len(refs) == 600, "300 keys and 300 values"
    assert all(r in snap.by_id for r in refs)
    assert all(o["refs"] == "-" for o in snap.objects if o["type"] in ("str", "int", "float"))


def test_top_retained_names_the_holder_with_its_whole_contents(tmp_path):
    path = capture(tmp_path, True)
    snap = Snapshot(path)
    out = subprocess.run([heapsnap_cli(), "top", "--retained", "--top", "0", "--json", path], check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    by_path = {o["path"]: o for o in result["objects"]}
    accounts = by_path["__main__.ACCOUNTS"]
    # What ACCOUNTS alone keeps: itself, 300 accounts with their dicts, 299 history lists and
    # their 40 strings each (user7's list is also held by SHARED).
    account_objs = [o for o in snap.objects if o["type"] == "__main__.Account"]
    histories = [o for o in snap.objects if o["type"] == "list" and o["edge"] == "['history']"]
    assert len(account_objs) == 300 and len(histories) >= 299
    shared = by_path["__main__.SHARED"]
    assert shared["retained"] > 40 * 50, "the shared list retains its strings"
    assert accounts["retained"] > sum(int(o["size"]) for o in account_objs) + 299 * 40 * 50
    assert accounts["retained"] < int(accounts["shallow"]) + 300 * 10000
    assert by_path["__main__.CYCLE"]["retained"] == by_path["__main__.CYCLE"]["shallow"], "a self-reference retains itself"
    [from_c] = [o for o in result["objects"] if o["contents"].startswith("['held only by C code'")]
    assert from_c["path"].startswith("<unreached>") and from_c["retained"] >= from_c["shallow"] > 300 * 8
    types = dict(result["types"])
    assert types["__main__.Account"] >= sum(int(o["size"]) for o in account_objs)
    text = subprocess.run([heapsnap_cli(), "top", "--retained", "--top", "10", path], check=True,
                          capture_output=True, text=True).stdout
    assert "retained = what would be freed" in text and all(len(l) <= 100 for l in text.splitlines())


def test_top_retained_explains_a_snapshot_without_edges(tmp_path):
    path = capture(tmp_path, False)
    result = subprocess.run([heapsnap_cli(), "top", "--retained", path], capture_output=True, text=True)
    assert result.returncode == 2 and "edges=True" in result.stderr


GROWING = r"""
import sys, heapsnap
CACHE = {}
def fill(n):
    for i in range(len(CACHE), n):
        CACHE["req-%d" % i] = {"id": i, "body": "payload %d" % i * 3}
fill(500)
heapsnap.capture(sys.argv[1], edges=True)
fill(1500)
heapsnap.capture(sys.argv[2], edges=True)
"""


def test_diff_shows_the_retained_growth_of_a_suspect(tmp_path):
    a, b = str(tmp_path / "a.hsnap.gz"), str(tmp_path / "b.hsnap.gz")
    subprocess.run([sys.executable, "-c", GROWING, a, b], check=True, env=dict(os.environ, PYTHONPATH=CAPTURE_DIR))
    report = json.loads(subprocess.run([heapsnap_cli(), "diff", "--json", a, b], check=True, capture_output=True,
                                       text=True).stdout)
    top = report["suspects"][0]
    assert top["path"] == "__main__.CACHE"
    before, after = top["retained"]
    assert after > 2.5 * before > 0
    rows = {r["type_name"]: r for r in report["comparison"]["rows"]}
    assert rows["dict"]["retained_after"] >= after
    text = subprocess.run([heapsnap_cli(), "diff", a, b], check=True, capture_output=True, text=True).stdout
    assert "retains " in text and "what would be freed" in text
    holders = subprocess.run([heapsnap_cli(), "top", "--retained", "--type", "dict", "--top", "3", b], check=True,
                             capture_output=True, text=True).stdout
    assert "__main__.CACHE (dict)" in holders.splitlines()[3]


def test_summary_has_a_retained_column_with_edges(tmp_path):
    path = capture(tmp_path, True)
    text = subprocess.run([heapsnap_cli(), "summary", "--top", "5", path], check=True, capture_output=True,
                          text=True).stdout
    head = next(line for line in text.splitlines() if line.startswith("type "))
    assert head.split() == ["type", "count", "bytes", "retained"]
    rows = json.loads(subprocess.run([heapsnap_cli(), "summary", "--json", path], check=True, capture_output=True,
                                     text=True).stdout)["types"]
    account = next(r for r in rows if r["type_name"] == "__main__.Account")
    assert account["retained"] > account["bytes"]


def test_a_dict_lists_its_refs_in_one_order_however_it_is_formatted(tmp_path):
    # Fewer than a few dicts met in one batch are formatted one by one, more in bulk; which
    # way a dict goes changes from one capture to the next, and its line must not (the raw
    # view diffs lines).
    capture = heapsnap._Capture(str(tmp_path / "unused.hsnap"), heapsnap.CaptureOptions(edges=True), False)
    d = {"a": [1], "b": (2,), 3: "c"}
    info = capture.info(dict)
    one_by_one, [in_bulk] = capture.refs(d, info), capture.item_refs(info, [d])
    assert one_by_one == in_bulk == " ".join("%x" % id(o) for o in ("a", d["a"], "b", d["b"], 3, "c"))
