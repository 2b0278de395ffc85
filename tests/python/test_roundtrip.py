"""Real captures read by the real analyzer: capture script → snapshot files → native CLI."""

import json
import os
import subprocess
import sys

from conftest import CAPTURE_DIR, ROOT, Snapshot, heapsnap_cli, run_python


def test_cli_names_the_leaking_type_of_the_demo_service(tmp_path):
    out = str(tmp_path)
    subprocess.run([sys.executable, os.path.join(ROOT, "examples", "leaky_service.py"), "--out", out,
                    "--batches", "2", "--requests", "1500"], check=True, capture_output=True)
    a, b = os.path.join(out, "leaky-1.hsnap.gz"), os.path.join(out, "leaky-2.hsnap.gz")
    result = subprocess.run([heapsnap_cli(), "diff", "--json", a, b], check=True, capture_output=True, text=True)
    comparison = json.loads(result.stdout)
    top = comparison["comparison"]["rows"][0]
    assert top["type_name"] == "dict"
    assert 1500 <= top["new_count"] <= 1520
    text = subprocess.run([heapsnap_cli(), "diff", "--top", "5", a, b], check=True, capture_output=True,
                          text=True).stdout
    assert [l for l in text.splitlines() if l.startswith("type ")] and "__main__._RECORD_CACHE (dict) grew" in text
    assert all(len(line) <= 100 for line in text.splitlines()), "fits 100 columns"


def test_cli_reports_a_damaged_file_with_its_line(tmp_path):
    path = tmp_path / "bad.hsnap"
    path.write_text("#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\nstr\tx\t12\t-\n#end\t1\n")
    result = subprocess.run([heapsnap_cli(), "summary", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "bad.hsnap: line 3: expected 5 tab-separated fields, found 4" in result.stderr


def test_allocation_sites_under_tracemalloc(tmp_path):
    path = str(tmp_path / "t.hsnap")
    script = tmp_path / "service.py"
    script.write_text("import heapsnap\nKEEP = [str(i) * 3 for i in range(50)]\nheapsnap.capture(%r)\n" % path)
    subprocess.run([sys.executable, str(script)], check=True, env=dict(os.environ, PYTHONPATH=CAPTURE_DIR,
                                                                         PYTHONTRACEMALLOC="1"))
    snap = Snapshot(path)
    assert "tracemalloc=1" in snap.header["options"]
    [item] = snap.exact("str", "'494949'")
    assert item["site"] == "%s:2" % script


def test_sites_of_objects_formatted_in_bulk_with_and_without_edges(tmp_path):
    # Many objects of one type are formatted together (not line by line); each keeps its site.
    script = tmp_path / "service.py"
    script.write_text("import heapsnap, sys\n"
                      "class Row:\n    def __init__(self, i):\n        self.i = i\n"
                      "ROWS = [Row(i) for i in range(300)]\n"
                      "class Solo(Row): pass\nONE = Solo(-1)\n"
                      "DICTS = [{'n': i, 'tag': 'x'} for i in range(300)]\n"
                      "TEXTS = ['t-%d' % i for i in range(300)]\n"
                      "heapsnap.capture(sys.argv[1] + '/plain.hsnap')\n"
                      "heapsnap.capture(sys.argv[1] + '/edges.hsnap', edges=True)\n")
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True,
                   env=dict(os.environ, PYTHONPATH=CAPTURE_DIR, PYTHONTRACEMALLOC="1"))
    for name in ("plain", "edges"):
        snap = Snapshot(str(tmp_path / ("%s.hsnap" % name)))
        dicts = snap.find("dict", "'tag': 'x'")
        texts = [o for o in snap.objects if o["type"] == "str" and o["repr"][:3] == "'t-" and o["repr"][3].isdigit()]
        assert len(dicts) == 300 and len(texts) == 300
        assert {o["site"] for o in dicts} == {"%s:8" % script}, name
        assert {o["site"] for o in texts} == {"%s:9" % script}, name
        # Instances of classes with a managed __dict__ (3.11's tracemalloc misses them), in bulk
        # and one by one.
        rows = [o for o in snap.objects if o["type"] == "__main__.Row"]
        assert len(rows) == 300 and {o["site"] for o in rows} == {"%s:5" % script}, name
        [solo] = [o for o in snap.objects if o["type"] == "__main__.Solo"]
        assert solo["site"] == "%s:7" % script, name
        if name == "edges":
            assert all(o["refs"] != "-" for o in dicts) and {o["refs"] for o in texts} == {"-"}


JSON_CACHE = """import heapsnap, json, sys
CACHE = {}
def handle(i):
    CACHE[i] = json.loads('{"id": %d, "user": "u%d"}' % (i, i))
for t in range(3):
    for i in range(1000):
        handle(t * 1000 + i)
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_the_site_shown_is_the_application_frame_not_the_library_one(tmp_path):
    # json.loads makes the dicts in json/decoder.py: under PYTHONTRACEMALLOC=5 the frame that
    # says where they come from is the caller's, handle().
    script = tmp_path / "service.py"
    script.write_text(JSON_CACHE)
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True,
                   env=dict(os.environ, PYTHONPATH=CAPTURE_DIR, PYTHONTRACEMALLOC="5"))
    files = [str(tmp_path / ("s%d.hsnap.gz" % t)) for t in range(3)]
    top = json.loads(subprocess.run([heapsnap_cli(), "diff", "--json"] + files, check=True, capture_output=True,
                                    text=True).stdout)["suspects"][0]
    assert top["path"] == "__main__.CACHE"
    assert "; created at service.py:4 via json/decoder.py:" in top["sentence"], top["sentence"]
    assert top["sites"][0][0].startswith("%s/json/decoder.py:" % os.path.dirname(json.__file__).rsplit("/", 1)[0])
    text = subprocess.run([heapsnap_cli(), "diff"] + files, check=True, capture_output=True, text=True).stdout
    [line] = [l for l in text.splitlines() if "service.py:4 via json/decoder.py:" in l and "×" in l]
    assert line.startswith("     …") or line.startswith("     %s:4" % script), line  # (a long path loses its front)


def test_no_sites_and_no_cost_without_tracemalloc(tmp_path):
    path = str(tmp_path / "t.hsnap")
    run_python("import heapsnap; heapsnap.capture(%r)" % path)
    snap = Snapshot(path)
    assert {o["site"] for o in snap.objects} == {"-"}


def test_script_help_and_capture_command(tmp_path):
    script = os.path.join(CAPTURE_DIR, "heapsnap.py")
    shown = subprocess.run([sys.executable, script, "--help"], check=True, capture_output=True, text=True).stdout
    assert "heapsnap.capture(" in shown
    path = str(tmp_path / "self.hsnap.gz")
    printed = subprocess.run([sys.executable, script, "capture", path], check=True, capture_output=True, text=True)
    assert printed.stdout.strip() == path
    assert Snapshot(path).footer.startswith("#end\t")


def test_capture_options_on_the_command_line(tmp_path):
    script = os.path.join(CAPTURE_DIR, "heapsnap.py")
    path = str(tmp_path / "opts.hsnap.gz")
    subprocess.run([sys.executable, script, "capture", "--contents", "none", "--max-objects", "500", "--edges", path],
                   check=True, capture_output=True, text=True)
    snap = Snapshot(path)
    assert snap.header["options"].endswith("contents=none max_objects=500 edges=1")
    assert snap.columns[-1] == "refs" and all(o["repr"] in ("-", "<redacted>") for o in snap.objects)
    bad = subprocess.run([sys.executable, script, "capture", "--contents", "some", path], capture_output=True, text=True)
    assert bad.returncode == 2 and "contents must be 'full' or 'none'" in bad.stderr
    bad = subprocess.run([sys.executable, script, "capture", "--max-objects", "many", path], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "--max-objects needs a number" in bad.stderr
