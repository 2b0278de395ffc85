"""The capture script: valid, complete, safe, and leaves nothing behind."""

import array
import collections
import contextvars
import datetime
import decimal
import enum
import functools
import gc
import importlib.util
import os
import stat
import sys
import threading
import types
import uuid
import weakref

import pytest

import heapsnap
from conftest import Snapshot, run_python
from heapcheck import census


@pytest.fixture
def snap_path(tmp_path):
    return str(tmp_path / "s.hsnap.gz")


def captured_with_module(snap_path, name, **attributes):
    """The snapshot of this process with a module ``name`` holding ``attributes`` in ``sys.modules``."""
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    try:
        return Snapshot(heapsnap.capture(snap_path))
    finally:
        del sys.modules[name]


def test_writes_a_valid_sorted_gzip_file_with_mode_0600(snap_path):
    assert heapsnap.capture(snap_path) == snap_path
    with open(snap_path, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    assert stat.S_IMODE(os.stat(snap_path).st_mode) == 0o600
    snap = Snapshot(snap_path)
    assert snap.columns == list(heapsnap.COLUMNS)
    for key in ("pid", "time", "python", "host", "rss", "objects", "duration", "options", "writer"):
        assert key in snap.header, key
    assert snap.header["pid"] == str(os.getpid())
    assert snap.footer == "#end\t%d" % len(snap.body)
    assert snap.header["objects"] == str(len(snap.body))
    encoded = [line.encode() for line in snap.body]
    assert encoded == sorted(encoded), "lines are in byte order"
    ncols = len(snap.columns)
    assert all(line.count("\t") == ncols - 1 for line in snap.body)
    assert not any(line.startswith("#") for line in snap.body)
    assert not [n for n in os.listdir(os.path.dirname(snap_path)) if n != "s.hsnap.gz"], "no temp files left"


def test_plain_text_when_the_name_does_not_end_in_gz(tmp_path):
    path = heapsnap.capture(str(tmp_path / "s.hsnap"))
    with open(path, "rb") as f:
        assert f.read(11) == b"#heapsnap 1"


def test_several_sorted_runs_merge_into_one_sorted_file(tmp_path):
    path = heapsnap.capture(str(tmp_path / "s.hsnap"), heapsnap.CaptureOptions(run_lines=1000))
    snap = Snapshot(path)
    encoded = [line.encode() for line in snap.body]
    assert encoded == sorted(encoded)
    assert snap.footer == "#end\t%d" % len(snap.body)
    assert os.listdir(str(tmp_path)) == ["s.hsnap"]


# Untracked objects: an atomic dict and tuple (CPython untracks them) holding unique values.
UNTRACKED_HOLDER = {"key-7f3a": ("needle-untracked-4c1e", 12345678901234567)}


def test_untracked_objects_are_included_with_their_holder(snap_path):
    assert not gc.is_tracked(UNTRACKED_HOLDER)
    snap = Snapshot(heapsnap.capture(snap_path))
    [needle] = [o for o in snap.objects if o["repr"] == "'needle-untracked-4c1e'"]
    assert needle["len"] == "21"
    assert snap.path_of(needle).endswith("UNTRACKED_HOLDER['key-7f3a'][0]")
    [big] = [o for o in snap.objects if o["type"] == "int" and o["repr"] == "12345678901234567"]
    assert big["repr"] == "12345678901234567"
    keys = [o for o in snap.objects if o["type"] == "str" and o["repr"] == "'key-7f3a'"]
    assert [k["edge"] for k in keys] in (["<key>"], [".co_consts"], ["[1]"]) or len(keys) == 1


def test_counts_agree_with_an_independent_census(snap_path):
    gc.collect()
    heapsnap.capture(snap_path)
    expected = census()
    snap = Snapshot(snap_path)
    found = {}
    for o in snap.objects:
        name = o["type"].rpartition(".")[2]
        found[name] = found.get(name, 0) + 1
    for name in ("str", "int", "dict", "tuple", "list", "function", "code", "type", "bytes", "float"):
        want, got = expected.get(name, 0), found.get(name, 0)
        assert abs(got - want) <= max(60, want // 100), (name, want, got)
    assert len(snap.objects) > 0.98 * sum(expected.values())


class Hostile:
    """Every hook records the call and raises."""

    calls = []

    def __init__(self):
        object.__setattr__(self, "value", "hostile-payload")

    def _hook(name):
        def hook(self, *args, **kwargs):
            Hostile.calls.append(name)
            raise RuntimeError("user code ran: " + name)
        return hook

    for _name in ("__repr__", "__str__", "__len__", "__sizeof__", "__eq__", "__hash__", "__iter__",
                  "__getattr__", "__bool__", "__format__", "__lt__", "__dir__", "__reduce_ex__"):
        locals()[_name] = _hook(_name)
    del _name

    def __getattribute__(self, name):
        Hostile.calls.append("__getattribute__ " + name)
        raise RuntimeError("user code ran: __getattribute__")


class HostileMeta(type):
    def __getattribute__(cls, name):
        Hostile.calls.append("meta.__getattribute__ " + name)
        return type.__getattribute__(cls, name)

    def __instancecheck__(cls, obj):
        Hostile.calls.append("meta.__instancecheck__")
        return False

    def __subclasscheck__(cls, sub):
        Hostile.calls.append("meta.__subclasscheck__")
        return False


class HostileByMeta(metaclass=HostileMeta):
    pass


class Recording:
    def __get__(self, obj, owner=None):
        Hostile.calls.append("descriptor.__get__")
        raise RuntimeError("user code ran: descriptor")


class WithDescriptor:
    __slots__ = ("a",)
    prop = Recording()

    def __init__(self):
        self.a = "slot-value-9d2b"


class HostileDict(dict):
    def __repr__(self):
        Hostile.calls.append("dict.__repr__")
        raise RuntimeError

    def __len__(self):
        Hostile.calls.append("dict.__len__")
        raise RuntimeError

    def __iter__(self):
        Hostile.calls.append("dict.__iter__")
        raise RuntimeError

    def items(self):
        Hostile.calls.append("dict.items")
        raise RuntimeError


class HostileStr(str):
    def __repr__(self):
        Hostile.calls.append("str.__repr__")
        raise RuntimeError

    def __str__(self):
        Hostile.calls.append("str.__str__")
        raise RuntimeError

    def __lt__(self, other):
        Hostile.calls.append("str.__lt__")
        raise RuntimeError

    __gt__ = __lt__


def _hostile_subclass(base):
    """A subclass of the C type ``base`` whose reading hooks record the call and raise."""
    def hook(name):
        def call(self, *args, **kwargs):
            Hostile.calls.append("%s.%s" % (base.__name__, name))
            raise RuntimeError
        return call
    names = ("__repr__", "__len__", "__iter__", "__getitem__", "__sizeof__", "__getattribute__", "tolist")
    return type("Hostile" + base.__name__.capitalize(), (base,), {name: hook(name) for name in names})


HostileDeque = _hostile_subclass(collections.deque)
HostileArray = _hostile_subclass(array.array)


def test_never_runs_user_code(snap_path):
    keep = [Hostile(), HostileByMeta(), WithDescriptor(), HostileDict(a=HostileStr("inner-5e1f")),
            HostileDeque(["deque-item-41c7"], 4), HostileArray("i", [7, 8, 9]),
            HostileStr("loose-6a0c"), {Hostile(): 1} if False else None, contextvars.Context()]
    for name in ("ctx-name-7c3a", "ctx-name-0b1d"):  # names are compared when the Context is shown
        keep[-1].run(contextvars.ContextVar(HostileStr(name)).set, name)
    Hostile.calls.clear()
    snap = Snapshot(heapsnap.capture(snap_path))
    assert Hostile.calls == []
    assert snap.find("test_capture.Hostile", "value='hostile-payload'")
    assert snap.find("test_capture.WithDescriptor", "a='slot-value-9d2b'")
    [hd] = snap.find("test_capture.HostileDict", "inner-5e1f")
    assert hd["len"] == "1"
    assert snap.find("test_capture.HostileStr", "loose-6a0c")
    assert snap.find("_contextvars.Context", "(ctx-name-0b1d, ctx-name-7c3a)")
    [deque] = snap.find("test_capture.HostileDeque", "deque-item-41c7")
    assert deque["repr"] == "test_capture.HostileDeque(['deque-item-41c7'], maxlen=4)" and deque["len"] == "1"
    assert snap.find("test_capture.HostileArray", "('i', [7, 8, 9])")
    del keep


def test_keeps_no_reference_and_does_not_grow_the_heap(tmp_path):
    class Probe:
        pass

    probe = Probe()
    ref = weakref.ref(probe)
    heapsnap.capture(str(tmp_path / "a.hsnap"))
    del probe
    assert ref() is None, "the capture holds no reference once it returned"
    gc.collect()
    before = len(gc.get_objects())
    for i in range(3):
        heapsnap.capture(str(tmp_path / ("b%d.hsnap" % i)))
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_objects_of_c_types_get_no_dict_from_being_read(tmp_path):
    # functools.partial keeps its __dict__ in a slot, empty until used: reading it through the
    # descriptor would make one per partial in the heap.
    partials = [functools.partial(print, i) for i in range(3)]
    partials[2].note = "kept-7d1e"
    snap = Snapshot(heapsnap.capture(str(tmp_path / "p.hsnap")))
    dicts = [sum(type(r) is dict for r in gc.get_referents(p)) for p in partials]
    assert dicts == [1, 1, 2], "keywords, and the third's __dict__, which it had already"
    assert [o["edge"] for o in snap.exact("dict", "{'note': 'kept-7d1e'}")] == ["<referent>"]


def test_capture_objects_are_not_in_the_snapshot(tmp_path):
    gc.collect()
    first, second = heapsnap.capture(str(tmp_path / "a.hsnap")), heapsnap.capture(str(tmp_path / "b.hsnap"))
    first, second = Snapshot(first), Snapshot(second)
    assert not [o for o in second.objects if o["type"].startswith("heapsnap.")]
    assert not [o for o in first.objects if o["type"] == "frame" and "heapsnap.py" in o["repr"]]
    assert abs(len(second.objects) - len(first.objects)) < 200


def test_holder_paths_name_module_attribute_and_key(snap_path):
    class Cache:
        def __init__(self):
            self._store = {}

    cache = Cache()
    cache._store["k"] = ["leaked-item-%d" % 3]  # built at run time: not a code constant
    snap = captured_with_module(snap_path, "app_under_test", cache=cache)
    [item] = snap.exact("str", "'leaked-item-3'")
    assert snap.path_of(item) == "app_under_test.cache._store['k'][0]"


def test_a_simple_namespace_shows_and_walks_its_attributes(snap_path):
    config = types.SimpleNamespace(host="db-%d" % 1, pool=["conn-%d" % 7])
    snap = captured_with_module(snap_path, "app_under_test", config=config)
    [ns] = [o for o in snap.objects if snap.path_of(o) == "app_under_test.config"]
    assert ns["repr"] == "SimpleNamespace(host='db-1', pool=['conn-7'])"
    [item] = snap.exact("str", "'conn-7'")
    assert snap.path_of(item) == "app_under_test.config.pool[0]"


def test_a_tuple_key_shows_its_items_in_the_path(tmp_path):
    # (Keys of a small dict are labelled one by one, of a bigger one together.)
    for n in (1, 100):
        cache = {("/orders/%d" % i, i, ("nested", i)): ["response-%d-of-%d" % (i, n)] for i in range(n)}
        snap = captured_with_module(str(tmp_path / ("%d.hsnap" % n)), "app_under_test", cache=cache)
        [item] = snap.exact("list", "['response-0-of-%d']" % n)
        assert snap.path_of(item) == "app_under_test.cache[('/orders/0', 0, (…2))]"


def test_thread_frame_locals_are_roots(snap_path):
    ready, done = threading.Event(), threading.Event()

    def worker():
        batch = ["thread-local-%d" % 8]
        ready.set()
        done.wait(10)
        return batch

    t = threading.Thread(target=worker, name="worker-1")
    t.start()
    ready.wait(10)
    try:
        snap = Snapshot(heapsnap.capture(snap_path))
    finally:
        done.set()
        t.join()
    [item] = snap.exact("str", "'thread-local-8'")
    assert snap.path_of(item) == "<thread worker-1> worker() locals['batch'][0]"


def test_bounded_contents_and_escaping(snap_path):
    keep = {"long": "x" * 10000, "nested": [[[[1]]]], "ctl": "a\tb\nc", "many": list(range(100)),
            "huge": [10 ** 50, -(10 ** 50)]}
    weird = type("We\tird\nName", (), {})()
    snap = Snapshot(heapsnap.capture(snap_path))
    [long_str] = [o for o in snap.objects if o["type"] == "str" and o["len"] == "10000"]
    assert len(long_str["repr"]) < 250 and long_str["repr"].endswith("…")
    assert snap.find("list", "[[[…1]]]")
    assert snap.find("list", "[0, 1, 2, 3, 4, 5, 6, 7, …92]")
    assert snap.find("list", "[<int 167 bits>, <int -167 bits>]")
    assert snap.find("int", "<int -167 bits>")
    assert [o for o in snap.objects if o["type"] == "str" and o["repr"] == "'a\\\\tb\\\\nc'"]
    assert [o for o in snap.objects if o["type"] == "test_capture.We\\tird\\nName"]
    del keep, weird


class JobFailed(Exception):
    """An application error that hides its args and repr behind user code."""

    def __init__(self, job, code):
        super().__init__("job %s failed" % job)
        self.code = code

    def __repr__(self):
        Hostile.calls.append("JobFailed.__repr__")
        raise RuntimeError

    @property
    def args(self):
        Hostile.calls.append("JobFailed.args")
        raise RuntimeError


def failing_handler(request):
    payload = ["request payload 3c1d", request]  # noqa: F841  (a local the traceback keeps alive)
    raise KeyError("missing-7b2e")


def test_deques_and_arrays_show_their_length_and_first_items(snap_path):
    snap = captured_with_module(
        snap_path, "queues_9f1e", jobs=collections.deque([{"job": 1}, "two"], maxlen=100),
        pending=collections.deque(range(1000, 1020)), samples=array.array("d", [0.5] * 30),
        empty=array.array("b"))
    [jobs] = snap.find("collections.deque", "maxlen=100")
    assert (jobs["repr"], jobs["len"]) == ("deque([{'job': 1}, 'two'], maxlen=100)", "2")
    [pending] = snap.find("collections.deque", "1000, 1001")
    assert pending["repr"] == "deque([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, …12])"
    # Its items are labelled by index, as a list's are.
    [item] = [o for o in snap.objects if o["parent"] == pending["id"] and o["repr"] == "1019"]
    assert item["edge"] == "[19]"
    [samples] = snap.find("array.array", "'d', [0.5")
    assert samples["len"] == "30" and samples["repr"].endswith(", …22])")
    assert snap.find("array.array", "array('b', [])")


class UserZone(datetime.tzinfo):
    """A tzinfo whose every hook records the call and raises."""
    calls = []

    def _hook(self, *args):
        UserZone.calls.append(args)
        raise RuntimeError

    utcoffset = tzname = dst = __repr__ = __str__ = _hook


def test_dates_decimals_and_other_c_values_show_their_values(tmp_path):
    values = dict(
        naive=datetime.datetime(2026, 12, 3, 21, 2, 7, 123456),
        utc=datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
        zoned=datetime.datetime(2026, 1, 2, 3, 4, 5, fold=1, tzinfo=UserZone()),
        opening=datetime.time(9, 30, tzinfo=UserZone()), day=datetime.date(2020, 2, 29),
        ttl=datetime.timedelta(minutes=5), price=decimal.Decimal("19.99"), tiny=decimal.Decimal("-1.2E-10"),
        thousand=decimal.Decimal("1E+3"), nan=decimal.Decimal("sNaN12"), z=complex(1, -2.5), steps=range(0, 10, 3),
        password=datetime.date(1999, 1, 1))
    context = contextvars.Context()
    # (In a context of its own: a Decimal's repr would set the decimal context in it.)
    snap = context.run(captured_with_module, str(tmp_path / "v.hsnap"), "values_3c1d", **values)
    assert UserZone.calls == [] and len(context) == 0
    paths = {"values_3c1d." + name: name for name in values}
    shown = {paths[snap.path_of(o)]: o["repr"] for o in snap.objects if snap.path_of(o) in paths}
    assert shown == {
        "naive": "datetime.datetime(2026, 12, 3, 21, 2, 7, 123456)",
        "utc": "datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)",
        "zoned": "datetime.datetime(2026, 1, 2, 3, 4, 5, fold=1, tzinfo=<test_capture.UserZone>)",
        "opening": "datetime.time(9, 30, tzinfo=<test_capture.UserZone>)",
        "day": "datetime.date(2020, 2, 29)", "ttl": "datetime.timedelta(seconds=300)",
        "price": "Decimal('19.99')", "tiny": "Decimal('-1.2E-10')", "thousand": "Decimal('1E+3')",
        "nan": "Decimal('sNaN12')", "z": "(1-2.5j)", "steps": "range(0, 10, 3)", "password": "<redacted>"}
    for text in ("0", "-0", "0E-7", "123.4500", "0.000001", "1E-7", "-Infinity", "NaN", "12345678901234567890.5"):
        assert heapsnap._decimal_text(decimal.Decimal(text).as_tuple()) == str(decimal.Decimal(text))


class Colour(enum.Enum):
    RED = 1
    PAIR = (1, [2, 3])


class Perm(enum.IntFlag):
    R = 4
    W = 2


class Level(str, enum.Enum):
    HIGH = "high"


def test_enum_members_show_as_python_shows_them(snap_path):
    snap = captured_with_module(snap_path, "enums_8e2a", red=Colour.RED, pair=Colour.PAIR, rw=Perm.R | Perm.W,
                                high=Level.HIGH, record={"level": Level.HIGH, "api_token": Colour.RED})
    shown = {snap.path_of(o): o["repr"] for o in snap.objects if snap.path_of(o).startswith("enums_8e2a.")}
    rw = "<Perm.R|W: 6>" if sys.version_info >= (3, 11) else "<Perm: 6>"  # (no name for a combination before)
    assert (shown["enums_8e2a.red"], shown["enums_8e2a.pair"], shown["enums_8e2a.rw"], shown["enums_8e2a.high"]) == (
        "<Colour.RED: 1>", "<Colour.PAIR: (1, […2])>", rw, "<Level.HIGH: 'high'>")
    assert shown["enums_8e2a.record"] == "{'level': <Level.HIGH: 'high'>, 'api_token': <redacted>}"


def test_uuids_show_as_python_shows_them(snap_path):
    snap = captured_with_module(snap_path, "uuids_41d0", request_id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
                                session_id=uuid.UUID(int=7), records=[{"id": uuid.UUID(int=1)}])
    shown = {snap.path_of(o): o["repr"] for o in snap.objects if snap.path_of(o).startswith("uuids_41d0.")}
    assert shown["uuids_41d0.request_id"] == "UUID('12345678-1234-5678-1234-567812345678')"
    assert shown["uuids_41d0.session_id"] == "UUID(<redacted>)"
    assert shown["uuids_41d0.records[0]"] == "{'id': UUID('00000000-0000-0000-0000-000000000001')}"


NUMPY_HEAP = """import heapsnap, numpy as np, sys
big = np.arange(1000000, dtype=np.float64)
VIEW = big[:10]                                   # keeps all of big alive
del big
FRAMES = [np.zeros((64, 32), dtype=np.float32) for _ in range(3)]
M = np.matrix([[1, 2], [3, 4]])
heapsnap.capture(sys.argv[1])
"""


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="numpy not installed (make test installs it)")
def test_numpy_arrays_show_dtype_and_shape_and_the_array_a_view_keeps(tmp_path):
    # (In a fresh interpreter: importing numpy here would change the heap the other tests see.)
    path = str(tmp_path / "np.hsnap")
    run_python("import sys; sys.argv = ['x', %r]; exec(%r)" % (path, NUMPY_HEAP))
    snap = Snapshot(path)
    [view] = [o for o in snap.objects if snap.path_of(o) == "__main__.VIEW"]
    assert view["repr"] == "<numpy.ndarray float64 (10,)>"
    # An array is not tracked by gc, nor is what it views: found through its base.
    [base] = [o for o in snap.objects if snap.path_of(o) == "__main__.VIEW.base"]
    assert base["repr"] == "<numpy.ndarray float64 (1000000,)>" and int(base["size"]) >= 8000000
    [frames] = [o for o in snap.objects if snap.path_of(o) == "__main__.FRAMES"]
    assert frames["repr"].startswith("[<numpy.ndarray float32 (64, 32)>, ")
    assert snap.find("numpy.matrix", " (2, 2)>"), "a subclass, by its name"


def test_exceptions_tracebacks_and_suspended_code_show_what_they_hold(snap_path):
    """A kept exception is a classic leak: its traceback keeps frames and their locals alive."""
    errors = [JobFailed("j-%d" % i, 500 + i) for i in range(3)]
    try:
        failing_handler("r-1")
    except KeyError as e:
        errors.append(e)

    def pending():
        yield "not yet"

    suspended = pending()
    next(suspended)
    Hostile.calls.clear()
    snap = captured_with_module(snap_path, "failed_jobs", errors=errors, suspended=suspended)
    assert Hostile.calls == []
    [job] = snap.exact("test_capture.JobFailed", "JobFailed('job j-1 failed', code=501)")
    assert snap.path_of(job) == "failed_jobs.errors[1]"
    [code] = [o for o in snap.exact("int", "501") if snap.path_of(o) == "failed_jobs.errors[1].code"]
    [key_error] = snap.exact("KeyError", "KeyError('missing-7b2e')")
    assert snap.path_of(key_error) == "failed_jobs.errors[3]"
    [frame] = snap.find("frame", "<frame failing_handler at ")
    assert snap.path_of(frame).startswith("failed_jobs.errors[3].__traceback__.")
    [payload] = snap.find("list", "request payload 3c1d")
    assert snap.path_of(payload).endswith("tb_frame locals['payload']")
    [gen] = snap.find("generator", "test_exceptions_tracebacks_and_suspended_code_show_what_they_hold.<locals>.pending at ")
    assert gen["repr"].startswith("<generator ") and gen["repr"].endswith("test_capture.py:%d>" % pending.__code__.co_firstlineno)
    del errors, suspended, code


def test_asyncio_tasks_and_weak_references_show_what_they_refer_to(snap_path):
    """Tasks piling up in a set are a classic asyncio leak: each shows its state and coroutine."""
    import asyncio
    import weakref

    async def waiter():
        await asyncio.sleep(3600)

    class Target:
        pass

    loop = asyncio.new_event_loop()
    task = loop.create_task(waiter())
    try:
        loop.run_until_complete(asyncio.sleep(0))
        done = loop.create_future()
        done.set_result("ok")
        target = Target()
        refs = [weakref.ref(target), weakref.ref(Target), weakref.ref(Target())]  # the last one is dead
        snap = captured_with_module(snap_path, "pending_work", task=task, done=done, refs=refs)
    finally:
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        loop.close()
    local = "test_asyncio_tasks_and_weak_references_show_what_they_refer_to.<locals>."
    if type(task).__module__ == "_asyncio":  # the C Task (the pure-Python one shows its attributes)
        code = waiter.__code__
        shown = "<_asyncio.Task pending <coroutine %swaiter at %s:%d>>" % (local, code.co_filename, code.co_firstlineno)
        assert [snap.path_of(o) for o in snap.exact("_asyncio.Task", shown)] == ["pending_work.task"]
        assert "pending_work.done" in [snap.path_of(o) for o in snap.exact("_asyncio.Future", "<_asyncio.Future finished>")]
    shown = {snap.path_of(o): o["repr"] for o in snap.objects if snap.path_of(o).startswith("pending_work.refs[")}
    assert shown == {
        "pending_work.refs[0]": "<weakref.ReferenceType to test_capture.%sTarget>" % local,
        "pending_work.refs[1]": "<weakref.ReferenceType to <class test_capture.%sTarget>>" % local,
        "pending_work.refs[2]": "<weakref.ReferenceType dead>",
    }, shown
    del task, done, target, refs


def test_an_lru_cache_shows_its_function_and_its_cache_dict_is_labelled(snap_path):
    """An unbounded ``functools.lru_cache`` is a classic leak: its cache dict is named as such."""
    import functools

    @functools.lru_cache(maxsize=None)
    def price_of(item):
        return {"item": item, "price": item * 1.5}

    for i in range(5):
        price_of(i)
    snap = captured_with_module(snap_path, "pricing", price_of=price_of)
    local = "test_an_lru_cache_shows_its_function_and_its_cache_dict_is_labelled.<locals>.price_of"
    [wrapper] = [o for o in snap.exact("functools._lru_cache_wrapper", "<functools._lru_cache_wrapper %s>" % local)]
    assert snap.path_of(wrapper) == "pricing.price_of"
    [cache] = [o for o in snap.objects if o["parent"] == wrapper["id"] and o["edge"] == "<cache>"]
    assert cache["type"] == "dict" and cache["len"] == "5"
    [entry] = snap.exact("dict", "{'item': 3, 'price': 4.5}")
    assert snap.path_of(entry) == "pricing.price_of <cache>[3]"
    assert [o["edge"] for o in snap.objects if o["parent"] == wrapper["id"] and o["type"] == "dict"].count(".__dict__") == 1
    del price_of


def test_lone_surrogates_in_names_are_written_as_question_marks_in_byte_order(snap_path):
    """A module name or file name decoded with surrogateescape holds lone surrogates, which
    UTF-8 cannot hold: written as '?', and the lines still sort by their bytes."""

    def handler():
        pass

    handler.__code__ = handler.__code__.replace(co_filename="/srv/caf\udce9.py")
    snap = captured_with_module(snap_path, "legacy_\udcff", handler=handler)
    [function] = snap.find("function", "/srv/caf?.py:")
    assert snap.path_of(function) == "legacy_?.handler"
    body = [line.encode("utf-8") for line in snap.body]
    assert body == sorted(body)


def test_concurrent_mutation_never_fails_the_capture(tmp_path):
    shared = {}
    stop = threading.Event()

    def mutate():
        i = 0
        while not stop.is_set():
            shared[i % 5000] = [i] * 3
            if i % 7 == 0:
                shared.pop((i * 13) % 5000, None)
            i += 1

    threads = [threading.Thread(target=mutate) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        paths = [heapsnap.capture(str(tmp_path / ("m%d.hsnap.gz" % i))) for i in range(2)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    for path in paths:
        snap = Snapshot(path)
        assert snap.footer == "#end\t%d" % len(snap.body)
        assert snap.exact("dict", "{}") is not None
        del snap


def test_a_class_changed_by_another_thread_while_read_is_read_as_it_was():
    # Reading a class's attributes runs Python code between items, so the GIL can pass to a
    # thread that sets class attributes (a class-level cache) in the middle of it; under load
    # that failed a capture (and, in a signal handler, took the process down).
    Busy = type("Busy", (), {"a%d" % i: i for i in range(200000)})
    stop = threading.Event()

    def mutate():
        i = 0
        while not stop.is_set():
            setattr(Busy, "extra%d" % (i % 64), i)
            if i % 3 == 0 and hasattr(Busy, "extra%d" % ((i * 7) % 64)):
                delattr(Busy, "extra%d" % ((i * 7) % 64))
            i += 1

    thread = threading.Thread(target=mutate)
    thread.start()
    try:
        for _ in range(20):
            heapsnap._TypeInfo(Busy)  # about 10 ms each: the GIL changes hands inside
    finally:
        stop.set()
        thread.join()


def test_a_container_resized_while_formatted_is_written_as_seen_or_marked(tmp_path, monkeypatch):
    sentinel = bytearray(b"only in victim")  # an object no code constant can be
    victim = {"a": 1, "b": 2, "sentinel": sentinel, "d": 4}
    original = heapsnap._Capture.format_item

    def resizing(self, v, depth):
        # What another thread can do between two items of the formatter's loop.
        if v is sentinel and "added" not in victim:
            victim["added"] = 1
        return original(self, v, depth)

    monkeypatch.setattr(heapsnap._Capture, "format_item", resizing)
    snap = Snapshot(heapsnap.capture(str(tmp_path / "r.hsnap.gz")))
    # Items are taken by one C call before any is formatted: written as they were then (here,
    # a holder showing it nested was formatted first, so its own line has the added item).
    seen = snap.by_id["%x" % id(victim)]
    assert seen["repr"] in ("{'a': 1, 'b': 2, 'sentinel': bytearray(b'only in victim'), 'd': 4}",
                            "{'a': 1, 'b': 2, 'sentinel': bytearray(b'only in victim'), 'd': 4, 'added': 1}"), seen
    assert not [o for o in snap.objects if o["repr"] == "<changed while read>"]

    failed = []

    def failing(self, v, depth):
        # What a read that another thread breaks raises (once: the thread is done then).
        if v is sentinel and not failed:
            failed.append(True)
            raise RuntimeError("dictionary changed size during iteration")
        return original(self, v, depth)

    monkeypatch.setattr(heapsnap._Capture, "format_item", failing)
    snap = Snapshot(heapsnap.capture(str(tmp_path / "f.hsnap.gz")))
    changed = [o for o in snap.objects if o["repr"] == "<changed while read>"]
    # The first object whose formatting read it (the dict, or a holder showing it nested, here
    # the closure cell of `victim`) is marked; the rest of its batch is written; the capture
    # goes on.
    assert len(changed) == 1 and changed[0]["type"] in ("dict", "cell"), changed
    assert int(snap.header["changed"]) >= 1
    assert snap.footer == "#end\t%d" % len(snap.body)
    del victim, sentinel


def test_options_are_checked():
    with pytest.raises(ValueError, match="max_items must be an int >= 0"):
        heapsnap.CaptureOptions(max_items=-1)
    with pytest.raises(ValueError, match="compresslevel must be 0..9"):
        heapsnap.CaptureOptions(compresslevel=10)
    with pytest.raises(ValueError, match="path must be"):
        heapsnap.capture(42)
    with pytest.raises(ValueError, match="options must be"):
        heapsnap.capture("/tmp/x.hsnap", options={})


class Account:
    def __init__(self):
        self.user = "alice-%d" % 7
        self.password = "hunter2-%d" % 7
        self.api_key = {"value": "k-%d" % 7}


class Slotted:
    __slots__ = ("session_token", "name")

    def __init__(self):
        self.session_token = "sess-%d" % 99
        self.name = "visible-%d" % 99


def test_redaction_masks_secret_keys_and_credential_shaped_strings(snap_path):
    keep = [Account(), Slotted(), {"Authorization": "Basic %s" % "dXNlcjpwYXNz", "ok": "plain-%d" % 1},
            "Bearer " + "abcdefghijklmnop%d" % 1, "AKIA" + "Q7ZX3K9P2M4N8B1%d" % 5,
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE" + "x" * 10]
    snap = Snapshot(heapsnap.capture(snap_path))
    text = "\n".join(snap.body)
    leaked = []
    # (Secrets are built at run time: the constants they are made of are in the code objects,
    # and a code object is not masked, whatever its function's name.)
    for secret in ("hunter2~-7", "k~-7", "sess~-99", "Basic dXNlcj~pwYXNz", "abcdefghij~klmnop1", "Q7ZX3K9P~2M4N8B15",
                   "BEGIN RSA ~PRIVATE"):
        if secret.replace("~", "") in text:
            leaked.append(secret)
    del text  # (a huge local would make a failure report slow)
    assert leaked == []
    assert snap.find("test_capture.Account", "user='alice-7', password=<redacted>, api_key=<redacted>")
    assert snap.find("test_capture.Slotted", "session_token=<redacted>")
    assert snap.exact("str", "'visible-99'") and snap.exact("str", "'plain-1'")
    assert snap.header["redaction"].startswith("keys=/")
    # What a secret holds is masked too, its keys included (a session store's keys are session
    # ids), in its repr and in the edge labels below it; its shape and types stay.
    [api_key] = [o for o in snap.objects if o["edge"] == "['api_key']" and o["type"] == "dict"]
    assert api_key["repr"] == "{<redacted>: <redacted>}"
    [value] = [o for o in snap.objects if o["parent"] == api_key["id"] and o["edge"] != "<key>"]
    assert (value["edge"], value["repr"]) == ("[<redacted>]", "<redacted>")
    del keep


class WebSession:
    def __init__(self, user, cart):
        self.user = user
        self.cart = cart
        self.closed = False


def test_under_a_secret_looking_name_data_is_masked_but_not_its_shape_nor_code(snap_path):
    session_id = "f3a9c0ff" + "ee12345678%d" % 9

    def set_password(value):
        return value + session_id  # (a closure over the secret)

    snap = captured_with_module(
        snap_path, "sessions_app", SESSIONS={session_id: WebSession("bob-%d" % 8, [3, 4])},
        set_password=set_password, Tokenizer=WebSession)
    assert session_id not in "\n".join(snap.body)
    [store] = [o for o in snap.objects if snap.path_of(o) == "sessions_app.SESSIONS"]
    assert store["repr"] == "{<redacted>: WebSession(user=<redacted>, cart=[…2], closed=False)}"
    [session] = snap.find("test_capture.WebSession", "closed=False")
    assert snap.path_of(session) == "sessions_app.SESSIONS[<redacted>]"
    assert session["repr"] == "WebSession(user=<redacted>, cart=[<redacted>, <redacted>], closed=False)"
    [cart] = [o for o in snap.objects if snap.path_of(o) == "sessions_app.SESSIONS[<redacted>].cart"]
    assert cart["repr"] == "[<redacted>, <redacted>]", "attribute names show in paths; dict keys do not"
    # Code and classes show as themselves, whatever their names; what they hold is masked.
    [function] = [o for o in snap.objects if snap.path_of(o) == "sessions_app.set_password"]
    assert function["repr"].startswith("<function test_under_a_secret_looking_name_data_is_masked")
    [cell] = [o for o in snap.objects if snap.path_of(o) == "sessions_app.set_password.__closure__[0]"]
    assert cell["repr"] == "<cell <redacted>>" and session_id not in "\n".join(snap.body)
    [cls] = [o for o in snap.objects if snap.path_of(o) == "sessions_app.Tokenizer"]
    assert cls["repr"] == "<class test_capture.WebSession>"


def test_redaction_off_and_contents_none(tmp_path):
    keep = {"password": "hunter3-%d" % 3}
    plain = Snapshot(heapsnap.capture(str(tmp_path / "a.hsnap"), heapsnap.CaptureOptions(redact=False)))
    assert plain.exact("str", "'hunter3-3'") and plain.header["redaction"] == "off"
    bare = Snapshot(heapsnap.capture(str(tmp_path / "b.hsnap"), heapsnap.CaptureOptions(contents="none")))
    assert {o["repr"] for o in bare.objects} <= {"-", "<redacted>"}
    assert "contents=none" in bare.header["options"]
    with pytest.raises(ValueError, match="contents must be"):
        heapsnap.CaptureOptions(contents="some")
    with pytest.raises(ValueError, match="secret_keys must be a regular expression"):
        heapsnap.CaptureOptions(secret_keys="(")
    del keep


def test_the_capture_leaves_no_garbage_cycle(tmp_path):
    gc.collect()
    gc.disable()
    try:
        heapsnap.capture(str(tmp_path / "a.hsnap"))
        assert gc.collect() == 0, "the capture left objects only a collection can free"
    finally:
        gc.enable()


def test_a_failed_write_leaves_no_file_and_no_thread(tmp_path, monkeypatch):
    before = threading.active_count()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(heapsnap.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        heapsnap.capture(str(tmp_path / "x.hsnap.gz"))
    assert os.listdir(str(tmp_path)) == []
    assert threading.active_count() == before
