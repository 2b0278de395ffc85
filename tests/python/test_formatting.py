"""An object's contents read the same whether the capture formats it with others of its type
(in bulk, ``texts_of``) or on its own (``format``): the comparison matches objects by their
contents, so a text that depended on the company an object was met in would make it look
replaced between two captures. Random nested values (dicts, lists, tuples, subclasses with
attributes, instances with a dict, slots or both, long strings, secret-looking names holding
data or code, more items than shown) under several option sets, from fixed seeds."""

import datetime
import decimal
import enum
import random
import sys
import uuid

import heapsnap


class Record:
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class Slotted:
    __slots__ = ("a", "b")


class SlotsAndDict:
    __slots__ = ("s", "__dict__")


class DictWithAttributes(dict):
    pass


class ListWithAttributes(list):
    pass


class Zone(datetime.tzinfo):
    pass


class Shade(enum.Flag):
    DARK = 1
    LIGHT = 2


FUNCTIONS = [lambda: 0, Record.__init__, (lambda: lambda: 1)()]
ZONES = [None, datetime.timezone.utc, Zone()]
KEYS = ["id", "name", "user", "password", "token", "x" * 40, "k%d", "session", "a", "b", "100%", "api_key"]
ATOMS = [
    lambda r: r.randint(-5, 5), lambda r: r.randint(-10 ** 30, 10 ** 30), lambda r: r.random(),
    lambda r: "s" * r.randint(0, 80), lambda r: "tok" + "x" * r.randint(0, 300), lambda r: None,
    lambda r: True, lambda r: "password", lambda r: b"bytes", lambda r: len, lambda r: Record,
    lambda r: random, lambda r: sys, lambda r: frozenset({1, 2}), lambda r: {3, 1, 2},
    lambda r: datetime.datetime(2000 + r.randint(0, 30), 1, 1, r.randint(0, 23), tzinfo=r.choice(ZONES)),
    lambda r: datetime.date(2000, 1, r.randint(1, 31)), lambda r: decimal.Decimal(r.randint(-10 ** 6, 10 ** 6)).scaleb(-2),
    lambda r: complex(r.random(), 1), lambda r: r.choice(list(Shade)), lambda r: Shade.DARK | Shade.LIGHT,
    lambda r: uuid.UUID(int=r.getrandbits(128)),
    lambda r: r.choice(FUNCTIONS), lambda r: r.choice(FUNCTIONS).__code__,
]
OPTIONS = [dict(redact=True), dict(redact=False), dict(max_items=0), dict(max_items=1, max_repr=20),
           dict(max_items=3, max_repr=60, max_depth=3), dict(max_depth=1)]


def value(r, depth):
    if depth < 3 and r.random() < 0.5:
        return container(r, depth + 1)
    return r.choice(ATOMS)(r)


def key(r):
    k = r.choice(KEYS)
    if "%d" in k:
        k = k % r.randint(0, 20)
    return k if r.random() < 0.9 else r.randint(0, 9)


def container(r, depth=0):
    kind = r.choice(["dict", "list", "tuple", "record", "slotted", "mixed", "dict+", "list+"])
    n = r.choice([0, 1, 2, 3, 7, 8, 9, 12, 30])
    if kind in ("dict", "dict+"):
        d = {key(r): value(r, depth) for _ in range(n)}
        return DictWithAttributes(d) if kind == "dict+" else d
    if kind in ("list", "list+"):
        items = [value(r, depth) for _ in range(n)]
        return ListWithAttributes(items) if kind == "list+" else items
    if kind == "tuple":
        return tuple(value(r, depth) for _ in range(n))
    if kind == "record":
        names = ["f%d" % i if r.random() < 0.7 else r.choice(["password", "name", "x" * 30, "a%b"]) for i in range(n)]
        o = Record(**{name: value(r, depth) for name in names})
        if r.random() < 0.05:
            o.__dict__[7] = 1  # a key that is not a str
        return o
    if kind == "slotted":
        o = Slotted()
        if r.random() < 0.8:
            o.a = value(r, depth)
        if r.random() < 0.8:
            o.b = value(r, depth)
        return o
    o = SlotsAndDict()
    o.s = value(r, depth)
    for i in range(r.choice([0, 2, 10])):
        setattr(o, "m%d" % i, value(r, depth))
    return o


def group(seed):
    """Objects of one type, some of them the same object, with shapes that repeat."""
    r = random.Random(seed)
    first = container(r)
    objs = [first]
    size = r.choice([8, 12, 40])
    while len(objs) < size:
        c = container(r)
        if type(c) is type(first):
            objs.append(c)
        elif r.random() < 0.5:
            objs.append(first)
    return objs


def test_an_object_reads_the_same_formatted_in_bulk_or_on_its_own(tmp_path):
    differences = []
    for seed in range(250):
        objs = group(seed)
        for options in OPTIONS:
            capture = heapsnap._Capture(str(tmp_path / "x"), heapsnap.CaptureOptions(**options), False)
            for depth in (0, 1):
                in_bulk = capture.texts_of(id(type(objs[0])), objs, depth)
                alone = [capture.format(o, depth) for o in objs]
                differences += [(seed, options, depth, a, b) for a, b in zip(in_bulk, alone) if a != b][:1]
    assert differences == []


def test_code_under_a_secret_looking_name_is_shown_in_bulk_too(tmp_path):
    def handler():
        pass

    records = [Record(token=len, name="x") for _ in range(10)]
    dicts = [{"token": handler, "password": "hunter2"} for _ in range(10)]
    capture = heapsnap._Capture(str(tmp_path / "x"), heapsnap.CaptureOptions(), False)
    assert capture.texts_of(id(Record), records, 0)[0] == "Record(token=<built-in len>, name='x')"
    text = capture.texts_of(id(dict), dicts, 0)[0]
    assert text.startswith("{'token': <function ") and text.endswith(", 'password': <redacted>}"), text
