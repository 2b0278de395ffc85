"""Suspect ranking on real captures: steady leaks are named; churn and static memory are not."""

import gzip
import json
import re
import subprocess

from conftest import heapsnap_cli, run_python

SERVICE = r'''
import collections, heapsnap, sys

STATIC = {i: "static-%d" % i * 20 for i in range(20000)}      # large, never changes
LRU = collections.OrderedDict()                                # full, churning LRU
EVENTS = collections.deque(maxlen=500)                         # bounded ring
POOL = [bytearray(4096) for _ in range(50)]                    # buffers rewritten in place
JUMP = []                                                      # grows once, then stops
LEAK = {}                                                      # grows every interval

def tick(t):
    for i in range(1000):
        k = t * 1000 + i
        LRU[k] = {"k": k, "v": "x%d" % k}
        if len(LRU) > 300:
            LRU.popitem(last=False)
        EVENTS.append(("evt", k))
        POOL[i % 50][0:8] = (k % 256,) * 8
        LEAK["req-%d" % k] = {"id": k, "user": "u%d" % (k % 7), "payload": "p" * 40}
    if t == 1:
        JUMP.extend({"blob": "j%d" % i * 10} for i in range(6000))

for t in range(4):
    tick(t)
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
'''


def diff_of_captures(tmp_path, program, captures=3):
    """``heapsnap diff --json`` of the captures ``s0.hsnap.gz`` … that ``program`` writes into
    the directory ``sys.argv[1]``, run as ``__main__`` in a fresh interpreter."""
    script = tmp_path / "program.py"
    script.write_text(program)
    run_python("import runpy, sys; sys.argv = ['program', %r]; runpy.run_path(%r, run_name='__main__')"
               % (str(tmp_path), str(script)))
    files = [str(tmp_path / ("s%d.hsnap.gz" % t)) for t in range(captures)]
    return subprocess.run([heapsnap_cli(), "diff", "--json"] + files, check=True, capture_output=True, text=True).stdout


def test_steady_leak_ranks_first_and_churn_is_not_flagged(tmp_path):
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    run_python("import runpy, sys; sys.argv = ['service', %r]; runpy.run_path(%r, run_name='__main__')"
               % (str(tmp_path), str(script)))
    files = [str(tmp_path / ("s%d.hsnap.gz" % t)) for t in range(4)]
    out = subprocess.run([heapsnap_cli(), "diff", "--json", "--top", "20"] + files[::-1],
                         check=True, capture_output=True, text=True).stdout
    analysis = json.loads(out)
    assert [s["name"] for s in analysis["snapshots"]] == files, "ordered by capture time"
    suspects = analysis["suspects"]
    paths = [s["path"] for s in suspects]
    top = suspects[0]
    assert top["path"] == "__main__.LEAK", paths
    assert top["lens"] == [1000, 2000, 3000, 4000]
    assert top["growing_intervals"] == 3
    assert top["entries"][0]["shape"] == "{id, user, payload}", "a dict's entries are its values"
    assert top["sentence"].startswith("__main__.LEAK (dict) grew 1,000 → 4,000 entries (+")
    for quiet in ("__main__.LRU", "__main__.EVENTS", "__main__.POOL", "__main__.STATIC"):
        assert not any(p == quiet or p.startswith(quiet + "[") for p in paths), (quiet, paths)
    jump = [s for s in suspects if s["path"] == "__main__.JUMP"]
    if jump:
        assert paths.index("__main__.JUMP") > 0, "a one-off jump ranks below steady growth"
        assert jump[0]["growing_intervals"] == 1


SIBLINGS = r"""
import heapsnap, sys

VISITS = {"visitor-%d" % v: {"first_seen": v, "events": []} for v in range(2000)}  # a list per visitor
QUEUES = {"worker-%d" % w: [] for w in range(50)}                                  # filled, then drained

for t in range(3):
    for v in range(2000):
        VISITS["visitor-%d" % v]["events"].append({"page": "/p/%d" % (v % 300), "ms": t})
    for w, queue in QUEUES.items():
        del queue[:]
        queue.extend(("job", w, t, i) for i in range(40))
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_growth_spread_over_sibling_holders_is_one_suspect(tmp_path):
    # Each visitor's list gains one ~300-byte entry per interval: under the 1 KiB a holder
    # needs, so one at a time none is a suspect. Together they are the leak.
    out = diff_of_captures(tmp_path, SIBLINGS)
    suspects = json.loads(out)["suspects"]
    assert [s["path"] for s in suspects] == ["__main__.VISITS[*]['events']"], [s["sentence"] for s in suspects]
    top = suspects[0]
    assert top["holders"] == 2000 and top["lens"] == [2000, 4000, 6000]
    assert top["entries"][0]["shape"] == "{page, ms}"
    assert top["sentence"].startswith("__main__.VISITS[*]['events'] (2,000 × list) grew 2,000 → 6,000 entries in all (+")


C_HELD = r"""
import atexit, heapsnap, sys

for t in range(3):
    for i in range(300):
        payload = ["payload-%d-%d" % (t, i)] * 5
        atexit.register(lambda kept=payload: None)   # held by the interpreter's C state only
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_growth_held_only_by_c_code_is_one_suspect_of_unreached_objects(tmp_path):
    # Each callback is a new object no root reaches: many small new roots, one leak.
    out = diff_of_captures(tmp_path, C_HELD)
    suspects = json.loads(out)["suspects"]
    top = suspects[0]
    assert (top["path"], top["type_name"], top["unreached"]) == ("<unreached>", "function", True), \
        [s["sentence"] for s in suspects]
    assert top["holders"] >= 600 and top["growing_intervals"] == 2
    assert top["entries"][0]["shape"].startswith("<function <lambda> at "), top["entries"]
    assert "no root reaches it" in top["sentence"]


CYCLES = r"""
import gc, heapsnap, sys

gc.disable()                                   # a service that turned the collector off


class Node:
    def __init__(self, payload):
        self.payload = payload
        self.me = self                         # a cycle: only the collector could free it


for t in range(3):
    for i in range(2000):
        Node({"id": t * 2000 + i, "data": "d" * 30})
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_garbage_in_cycles_with_the_collector_off_is_named_by_its_instances(tmp_path):
    # Each cycle is an instance and its __dict__: the instance is the one named, not the dict.
    out = diff_of_captures(tmp_path, CYCLES)
    with gzip.open(tmp_path / "s2.hsnap.gz", "rt") as f:
        assert "#gc\tdisabled\n" in f.read(4096)
    analysis = json.loads(out)
    assert any("disabled its garbage collector" in n for n in analysis["snapshots"][-1]["notes"])
    suspects = analysis["suspects"]
    assert [(s["path"], s["type_name"]) for s in suspects] == [("<garbage>", "__main__.Node")], \
        [s["sentence"] for s in suspects]
    top = suspects[0]
    assert top["growing_intervals"] == 2 and top["entries"][0]["type_name"] == "__main__.Node"
    assert top["garbage"] and top["unreached"]
    assert "garbage in reference cycles (nothing else refers to it), never freed because the process disabled " \
           "the garbage collector" in top["sentence"], top["sentence"]
    summary = subprocess.run([heapsnap_cli(), "summary", str(tmp_path / "s2.hsnap.gz")], check=True,
                             capture_output=True, text=True).stdout
    [garbage] = re.findall(r"kept by C code, ([\d,]+) garbage in reference cycles \(never freed: the process "
                           r"disabled gc\)", summary)
    assert 6000 <= int(garbage.replace(",", "")) < 6100, summary  # (and what the interpreter left at start)


GARBAGE_AND_C_HELD = r"""
import atexit, gc, heapsnap, sys

gc.set_threshold(10 ** 9)                      # enabled, but (almost) never runs


class Node:
    def __init__(self, payload):
        self.payload = payload
        self.me = self                         # garbage once dropped: the collector frees it


for t in range(3):
    for i in range(2000):
        Node({"id": t * 2000 + i, "data": "d" * 30})
    for i in range(300):                       # held by C code only: a real leak
        atexit.register(lambda job=["job %d" % (t * 300 + i)] * 20: None)
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_garbage_the_collector_will_free_is_no_suspect_and_what_c_code_holds_is(tmp_path):
    suspects = json.loads(diff_of_captures(tmp_path, GARBAGE_AND_C_HELD))["suspects"]
    assert [(s["path"], s["type_name"], s["garbage"]) for s in suspects] == [("<unreached>", "function", False)], \
        [s["sentence"] for s in suspects]
    assert suspects[0]["sentence"].endswith("; no root reaches it, and it is not garbage: C code holds it")
    with gzip.open(tmp_path / "s2.hsnap.gz", "rt") as f:
        nodes = [line.split("\t") for line in f if line.startswith("__main__.Node\t")]
    assert len(nodes) == 6000 and {n[6] for n in nodes} == {"<garbage>"}


THREAD_LOCAL = r"""
import heapsnap, sys, threading


class Context(threading.local):
    def __init__(self):
        self.history = []                      # per thread, never trimmed


CONTEXT = Context()
step = threading.Barrier(5)                    # four workers and the capturing thread


def worker(w):
    for t in range(3):
        for i in range(500):
            CONTEXT.history.append({"t": t, "i": i, "worker": w})
        step.wait()                            # this step's requests are served
        step.wait()                            # and captured


workers = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
for w in workers:
    w.start()
for t in range(3):
    step.wait()
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
    step.wait()
for w in workers:
    w.join()
"""


def test_a_thread_local_that_grows_in_every_thread_is_named_by_its_attribute(tmp_path):
    out = diff_of_captures(tmp_path, THREAD_LOCAL)
    suspects = json.loads(out)["suspects"]
    top = suspects[0]
    assert (top["path"], top["holders"]) == ("__main__.CONTEXT <per thread>[*].history", 4), \
        [s["sentence"] for s in suspects]
    assert top["lens"] == [2000, 4000, 6000] and top["entries"][0]["shape"] == "{t, i, worker}"


CONTEXT_VAR = r"""
import contextvars, heapsnap, sys

REQUEST_LOG = contextvars.ContextVar("request_log")
REQUEST_LOG.set([])                            # set once in the main thread's context

for t in range(3):
    for i in range(1000):
        REQUEST_LOG.get().append({"request": t * 1000 + i, "path": "/api/%d" % i})
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_a_context_variable_that_grows_is_named_by_its_name(tmp_path):
    suspects = json.loads(diff_of_captures(tmp_path, CONTEXT_VAR))["suspects"]
    assert [(s["path"], s["unreached"]) for s in suspects][:1] == [("<context>[request_log]", False)], \
        [s["sentence"] for s in suspects]
    assert suspects[0]["lens"] == [1000, 2000, 3000]


PENDING_TASK = r"""
import asyncio, heapsnap, sys


async def consumer(queue):
    batch = []
    while True:
        batch.append(await queue.get())        # never flushed


async def main():
    queue = asyncio.Queue()
    task = asyncio.create_task(consumer(queue))
    for t in range(3):
        for i in range(1000):
            queue.put_nowait({"message": t * 1000 + i, "body": "b" * 30})
        await asyncio.sleep(0.01)
        heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
    task.cancel()


asyncio.run(main())
"""


def test_a_list_in_a_pending_coroutine_is_named_by_its_local(tmp_path):
    suspects = json.loads(diff_of_captures(tmp_path, PENDING_TASK))["suspects"]
    top = suspects[0]
    assert top["path"].endswith(".get_coro() locals['task'].get_coro() locals['batch']"), \
        [s["sentence"] for s in suspects]
    assert top["lens"] == [1000, 2000, 3000]


MODULES = r"""
import heapsnap, sys, types

for t in range(3):
    for i in range(100):
        plugin = types.ModuleType("tenant_plugin_%d_%d" % (t, i))    # made per tenant, never dropped
        plugin.config = {"name": "plugin %d" % i, "rules": list(range(50))}
        sys.modules[plugin.__name__] = plugin
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_modules_made_at_run_time_are_charged_to_sys_modules(tmp_path):
    # Modules are roots of the walk, and the entries of sys.modules: that is where they grow.
    out = diff_of_captures(tmp_path, MODULES)
    suspects = json.loads(out)["suspects"]
    top = suspects[0]
    assert top["path"] == "sys.modules", [s["sentence"] for s in suspects]
    assert top["lens"][2] - top["lens"][0] == 200 and top["growing_intervals"] == 2
    assert top["entries"][0]["shape"] == "<module 'tenant_plugin_#_#'>"


THREADS = r"""
import heapsnap, sys, threading

hang = threading.Event()

def serve_client(n):
    buffer = bytearray(20000)   # what each hung connection's thread keeps
    hang.wait()

for t in range(3):
    for i in range(10):
        threading.Thread(target=serve_client, args=(t * 10 + i,), daemon=True).start()
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
hang.set()
"""


def test_threads_that_never_end_are_one_suspect_with_what_their_frames_hold(tmp_path):
    out = diff_of_captures(tmp_path, THREADS)
    suspects = json.loads(out)["suspects"]
    top = suspects[0]
    assert top["path"] == "<thread Thread-# (serve_client)> *()", [s["sentence"] for s in suspects]
    assert top["type_name"] == "frame" and top["net_bytes"] >= 20 * 20000


KEPT = r"""
import asyncio, heapsnap, sys

class RequestFailed(Exception):
    def __init__(self, message, request_id):
        super().__init__(message)
        self.request_id = request_id

FAILURES = []          # every failure kept, with its traceback and the frames' locals
PENDING = set()        # tasks started and never awaited

def handle(request_id):
    body = {"id": request_id, "blob": "b" * 200}
    raise RequestFailed("upstream timeout", request_id)

async def forever(request_id):
    await asyncio.sleep(3600)

loop = asyncio.new_event_loop()
for t in range(3):
    for i in range(200):
        try:
            handle(t * 200 + i)
        except RequestFailed as e:
            FAILURES.append(e)
        PENDING.add(loop.create_task(forever(t * 200 + i)))
    loop.run_until_complete(asyncio.sleep(0))
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
for task in PENDING:
    task.cancel()
loop.run_until_complete(asyncio.gather(*PENDING, return_exceptions=True))
"""


def test_kept_exceptions_and_pending_tasks_are_named_with_what_they_are(tmp_path):
    out = diff_of_captures(tmp_path, KEPT)
    by_path = {s["path"]: s for s in json.loads(out)["suspects"]}
    failures, pending = by_path["__main__.FAILURES"], by_path["__main__.PENDING"]
    assert failures["lens"] == [200, 400, 600]
    assert failures["entries"][0]["shape"] == "RequestFailed('upstream timeout', request_id=#)"
    assert pending["lens"] == [200, 400, 600]
    assert pending["entries"][0]["shape"].startswith("<_asyncio.Task pending <coroutine forever at "), pending["entries"]


GROWING_IN_PLACE = r"""
import heapsnap, io, sys

BUF = bytearray()       # extended, never trimmed
STREAM = io.BytesIO()   # written, never truncated
POOL = [bytearray(4096) for _ in range(50)]   # rewritten in place: the same size


class Journal:
    def __init__(self):
        self.text = ""


JOURNAL = Journal()     # its text rebuilt longer: a new str each time
LOGS = {"main": b""}
VISITORS = [Journal() for _ in range(50)]     # each one's text rebuilt longer


def visit():
    for visitor in VISITORS:
        visitor.text += ("visit %05d\n" % len(visitor.text)) * 25

for t in range(3):
    BUF.extend(b"x" * 100000)
    STREAM.write(b"y" * 100000)
    for i in range(2000):
        JOURNAL.text += "line %d of the journal\n" % (t * 2000 + i)
    LOGS["main"] += b"z" * 50000
    visit()
    for b in POOL:
        b[0:8] = bytes([t]) * 8
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_buffers_that_grow_in_place_are_suspects_and_rewritten_ones_are_not(tmp_path):
    # No object is new: the bytearray and the BytesIO themselves grew.
    out = diff_of_captures(tmp_path, GROWING_IN_PLACE)
    by_path = {s["path"]: s for s in json.loads(out)["suspects"]}
    assert by_path["__main__.BUF"]["lens"] == [100000, 200000, 300000]
    assert by_path["__main__.BUF"]["net_bytes"] >= 200000
    stream = by_path["__main__.STREAM"]
    assert stream["net_bytes"] >= 200000 and stream["net_count"] == 0
    assert "grew by " in stream["sentence"] and "with no more objects" in stream["sentence"]
    # A str or bytes rebuilt longer is a new object each time: its slot is named, not its holder.
    text = by_path["__main__.JOURNAL.text"]
    assert (text["type_name"], text["replaced"]) == ("str", True)
    assert text["lens"] == [len("".join("line %d of the journal\n" % i for i in range(2000 * n))) for n in (1, 2, 3)]
    assert "characters" in text["sentence"] and "replaced by a larger str" in text["sentence"], text["sentence"]
    assert by_path["__main__.LOGS['main']"]["lens"] == [50000, 100000, 150000]
    assert "__main__.JOURNAL.__dict__" not in by_path and "__main__.LOGS" not in by_path
    visitors = by_path["__main__.VISITORS[*].text"]
    assert (visitors["holders"], visitors["lens"]) == (50, [15000, 30000, 45000])
    assert "characters in all" in visitors["sentence"] and "replaced by larger strs" in visitors["sentence"]
    assert not any(p.startswith("__main__.POOL") for p in by_path), list(by_path)


QUEUES_AND_ARRAYS = r"""
import array, collections, heapsnap, queue, sys

JOBS = queue.Queue()                      # nobody takes from it
RECENT = collections.deque(maxlen=300)    # full after the first interval: churn
SAMPLES = array.array("d")                # a float per measurement, never trimmed

for t in range(3):
    for i in range(1000):
        JOBS.put({"job": t * 1000 + i, "data": "d" * 40})
        RECENT.append(("seen", t * 1000 + i))
        SAMPLES.extend((0.5, 1.5, 2.5))
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_a_queue_nobody_drains_and_an_array_that_grows_are_named_with_their_lengths(tmp_path):
    by_path = {s["path"]: s for s in json.loads(diff_of_captures(tmp_path, QUEUES_AND_ARRAYS))["suspects"]}
    jobs = by_path["__main__.JOBS.queue"]
    assert (jobs["type_name"], jobs["lens"]) == ("collections.deque", [1000, 2000, 3000])
    assert jobs["entries"][0]["shape"] == "{job, data}"
    assert jobs["sentence"].startswith("__main__.JOBS.queue (collections.deque) grew 1,000 → 3,000 entries"), jobs
    samples = by_path["__main__.SAMPLES"]
    assert (samples["type_name"], samples["lens"]) == ("array.array", [3000, 6000, 9000])
    assert not any(p.startswith("__main__.RECENT") for p in by_path), list(by_path)


CLASSES_MADE_PER_REQUEST = r"""
import heapsnap, sys

MODELS = {}                                       # a class made per request, kept

for t in range(3):
    for i in range(500):
        MODELS[t * 500 + i] = type("Model%d" % (t * 500 + i), (object,), {"field": i})
    heapsnap.capture(sys.argv[1] + "/s%d.hsnap.gz" % t)
"""


def test_classes_made_per_request_are_charged_to_their_holder_not_to_the_registry_of_subclasses(tmp_path):
    suspects = json.loads(diff_of_captures(tmp_path, CLASSES_MADE_PER_REQUEST))["suspects"]
    assert [s["path"] for s in suspects] == ["__main__.MODELS"], [s["sentence"] for s in suspects]
    assert suspects[0]["entries"][0]["shape"] == "<class __main__.Model#>"


def test_fail_on_growth_exit_code(tmp_path):
    code = "import heapsnap, sys; heapsnap.capture(sys.argv[1] + '/a.hsnap'); " \
           "L = [dict(n=i) for i in range(3000)]; heapsnap.capture(sys.argv[1] + '/b.hsnap')"
    script = tmp_path / "s.py"
    script.write_text(code)
    run_python("import runpy, sys; sys.argv = ['s', %r]; runpy.run_path(%r, run_name='__main__')"
               % (str(tmp_path), str(script)))
    files = [str(tmp_path / "a.hsnap"), str(tmp_path / "b.hsnap")]
    over = subprocess.run([heapsnap_cli(), "diff", "--fail-on-growth", "100k"] + files, capture_output=True)
    assert over.returncode == 1
    under = subprocess.run([heapsnap_cli(), "diff", "--fail-on-growth", "64M"] + files, capture_output=True)
    assert under.returncode == 0
    bad = subprocess.run([heapsnap_cli(), "diff", "--fail-on-growth", "lots"] + files, capture_output=True)
    assert bad.returncode == 2


def test_snapshots_of_two_processes_are_matched_by_path(tmp_path):
    # A restarted service, or two workers: no address means the same object in both, so the
    # holder is found by its path, and what did not change pairs up by contents.
    script = tmp_path / "service.py"
    script.write_text(SERVICE.replace("for t in range(4):\n    tick(t)\n    heapsnap.capture",
                                      "for t in range(int(sys.argv[2])):\n    tick(t)\nif True:\n    heapsnap.capture"))
    files = []
    for ticks in (1, 3):
        out_dir = tmp_path / ("p%d" % ticks)
        out_dir.mkdir()
        run_python("import runpy, sys; sys.argv = ['service', %r, '%d']; runpy.run_path(%r, run_name='__main__')"
                   % (str(out_dir), ticks, str(script)))
        files.append(str(out_dir / ("s%d.hsnap.gz" % (ticks - 1))))
    out = subprocess.run([heapsnap_cli(), "diff", "--json"] + files, check=True, capture_output=True, text=True).stdout
    analysis = json.loads(out)
    assert any("comes from another process" in n for n in analysis["snapshots"][1]["notes"])
    by_path = {s["path"]: s for s in analysis["suspects"]}
    paths = list(by_path)
    assert paths[:2] == ["__main__.JUMP", "__main__.LEAK"], paths  # JUMP grew by 6,000 between the two
    assert by_path["__main__.LEAK"]["lens"] == [1000, 3000]
    assert by_path["__main__.JUMP"]["lens"] == [0, 6000]
    for quiet in ("__main__.STATIC", "__main__.POOL", "__main__.LRU", "__main__.EVENTS"):
        assert not any(p == quiet or p.startswith(quiet + "[") for p in paths), (quiet, paths)
    static = [r for r in analysis["comparison"]["rows"] if r["type_name"] == "str"][0]
    assert static["new_count"] < 20000, "the unchanged static strings are matched by contents"

