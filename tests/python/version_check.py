"""Run by every installed CPython (3.8+) in test_versions.py: capture a heap of hostile and
ordinary objects, then check the snapshot with the standard library only. Prints a JSON result.

    python3.X tests/python/version_check.py CAPTURE_DIR OUT
"""

import contextvars
import gc
import gzip
import json
import sys
import threading
import types

sys.path.insert(0, sys.argv[1])
import heapsnap  # noqa: E402
from heapcheck import census, joined_path  # noqa: E402  (beside this file)

CALLS = []


def hook(name):
    def run(self, *args, **kwargs):
        CALLS.append(name)
        raise RuntimeError("user code ran: " + name)
    return run


Hostile = type("Hostile", (), {name: hook(name) for name in (
    "__repr__", "__str__", "__len__", "__sizeof__", "__eq__", "__hash__", "__iter__", "__getattr__",
    "__getattribute__", "__bool__", "__format__", "__lt__")})
HostileMeta = type("HostileMeta", (type,), {"__getattribute__": hook("meta"), "__hash__": hook("meta hash"),
                                            "__eq__": hook("meta eq")})


class Local(threading.local):
    """A thread-local namespace, as services keep per-thread state."""


class Slotted:
    __slots__ = ("value", "other")

    def __init__(self, i):
        self.value = "slot-%d" % i


PENDING = []  # (loop, task) of the zoo's asyncio task, cancelled after the capture


def zoo():
    """Objects of many builtin and standard-library kinds, as a service holds them."""
    import array
    import collections
    import datetime
    import decimal
    import functools
    import io
    import itertools
    import re
    import threading
    import weakref

    cached = functools.lru_cache(maxsize=8)(str.upper)  # 3.8/3.9: entries of a type never made ready
    cached("a"), cached("b")

    def generator():
        held = ["held by a suspended generator"]
        yield held

    suspended = generator()
    next(suspended)

    def closure():
        cell = ["in a cell"]
        return lambda: cell

    class AppError(Exception):
        pass

    try:
        try:
            raise AppError("inner", 7)
        except AppError as inner:
            raise KeyError("kept with its traceback") from inner
    except KeyError as outer:
        kept = outer

    import asyncio

    async def waiter():
        held = ["held by a pending task"]
        await asyncio.sleep(3600)
        return held

    loop = asyncio.new_event_loop()
    task = loop.create_task(waiter())
    loop.run_until_complete(asyncio.sleep(0))
    finished = loop.create_future()
    finished.set_result(1)
    PENDING.append((loop, task))

    return [cached, suspended, closure(), functools.partial(print, 1), itertools.count(), iter([1, 2]),
            collections.deque(range(5), maxlen=3), collections.OrderedDict(a=1), collections.Counter("hello"),
            collections.defaultdict(list, b=[1]), collections.namedtuple("Pair", "x y")(1, 2),
            array.array("i", range(4)), bytearray(b"ba"), memoryview(b"mv"), frozenset({1, 2}), range(3),
            slice(1, 2), decimal.Decimal("1.5"), datetime.datetime(2020, 1, 1), re.compile(r"a+b"),
            threading.Lock(), io.BytesIO(b"x"), weakref.ref(closure), 10 ** 100, 1j, b"\x00\xff",
            "\udc80 lone surrogate", "tab\there", types.SimpleNamespace(q=1), types.MappingProxyType({"m": 1}),
            property(len), classmethod(len), staticmethod(len), kept, task, finished, weakref.ref(task)]


class Cycle:
    def __init__(self, name):
        self.name = name
        self.me = self


def main():
    out = sys.argv[2]
    module = types.ModuleType("version_app")
    module.zoo = zoo()
    module.records = [{"id": i, "user": "user-%d" % i, "tags": ["t%d" % i]} for i in range(3000)]
    module.big = {"key-%d" % i: "value-%d" % i for i in range(20000)}
    module.slots = [Slotted(i) for i in range(1000)]
    module.request_var = contextvars.ContextVar("request_var")
    module.request_var.set(["context value"])
    module.local = Local()
    module.local.seen = ["per-thread value"]
    module.hostile = [Hostile(), HostileMeta("ByMeta", (), {})()]
    sys.modules["version_app"] = module
    gc.collect()
    gc.disable()  # (until the capture: the cycle below must still be there)
    cycle = Cycle("garbage-marker")
    del cycle
    __import__("atexit").register(lambda held=["held by atexit"]: None)
    heapsnap.capture(out)
    gc.enable()
    expected = census()
    for loop, task in PENDING:
        task.cancel()
        loop.run_until_complete(__import__("asyncio").gather(task, return_exceptions=True))
        loop.close()
    with gzip.open(out, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    body = [line for line in lines if not line.startswith("#")]
    header = dict(line[1:].split("\t", 1) for line in lines if line.startswith("#") and "\t" in line)
    columns = header["columns"].split("\t")
    rows = [dict(zip(columns, line.split("\t"))) for line in body]
    by_id = {r["id"]: r for r in rows}

    def path(r):
        edges = []
        while r is not None:
            edges.append(r["edge"])
            r = by_id.get(r["parent"])
        return joined_path(reversed(edges))

    found = {}
    for r in rows:
        name = r["type"].rpartition(".")[2]
        found[name] = found.get(name, 0) + 1
    [first] = [r for r in rows if r["repr"] == "{'id': 0, 'user': 'user-0', 'tags': ['t0']}"]
    zoo_last = ["version_app.zoo[%d]" % i for i in range(len(module.zoo) - 3, len(module.zoo))]
    print(json.dumps({
        "python": sys.version.split()[0],
        "user_code_calls": CALLS,
        "sorted": [b.encode() for b in body] == sorted(b.encode() for b in body),
        "footer": lines[-1] == "#end\t%d" % len(body),
        "ids_unique": len(by_id) == len(rows),
        "counts": {name: [expected.get(name, 0), found.get(name, 0)] for name in
                   ("str", "int", "dict", "tuple", "list", "function", "code", "type", "Slotted")},
        "other_counts_off": {name: [expected.get(name, 0), found.get(name, 0)] for name in set(expected) | set(found)
                             if abs(expected.get(name, 0) - found.get(name, 0)) > 8},
        "record_path": path(first),
        "slot_path": [path(r) for r in rows if r["repr"] == "'slot-7'"],
        "local_path": [path(r) for r in rows if r["repr"] == "['per-thread value']"],
        "context_path": [path(r) for r in rows if r["repr"] == "['context value']"],
        "generator_local_path": [path(r) for r in rows if r["repr"] == "['held by a suspended generator']"],
        "task_local_path": [path(r) for r in rows if r["repr"] == "['held by a pending task']"],
        "local": [r["repr"] for r in rows if r["type"] == "__main__.Local"],
        "garbage_path": [path(r) for r in rows if r["type"] == "__main__.Cycle"],
        "c_held_path": [path(r) for r in rows if r["repr"] == "['held by atexit']"],
        "garbage_roots": header.get("garbage"),
        "object_registry": [path(r) for r in rows if r["edge"] == "<subclasses>"
                            and by_id.get(r["parent"], {}).get("repr") == "<class object>"],
        "sequences": sorted("%s %s" % (r["repr"], r["len"]) for r in rows
                            if r["type"] in ("collections.deque", "array.array") and path(r).startswith("version_app.zoo")),
        "big_value_path": [path(r) for r in rows if r["repr"] == "'value-19999'"],
        "zoo_last": {path(r): r["repr"] for r in rows if path(r) in zoo_last},
        "zoo_len": len(module.zoo),
    }))


main()
