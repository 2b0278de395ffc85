"""The walk: every object exactly once with the right holder, however many paths lead to it,
in big containers too; and the gzip output of several members."""

import gc
import gzip
import json
import re
import struct
import sys
import types

import heapsnap
from conftest import Snapshot, run_python


class Slotted:
    __slots__ = ("value", "token")

    def __init__(self, value, token):
        self.value = value
        self.token = token


def capture(tmp_path, name="s.hsnap", **options):
    return Snapshot(heapsnap.capture(str(tmp_path / name), heapsnap.CaptureOptions(**options)))


def by_path(snap, module_name):
    """Objects whose holder path starts at module ``module_name``, by path."""
    found = {}
    for o in snap.objects:
        path = snap.path_of(o)
        if path.startswith(module_name):
            found.setdefault(path, []).append(o)
    return found


def install(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def test_an_object_held_once_is_written_once_though_reached_twice(tmp_path):
    # A slot value is reached by the slot's name and again among the instance's referents.
    install("walk_slots", item=Slotted("slot-value-%d" % 1, "slot-token-%d" % 2))
    try:
        snap = capture(tmp_path)
    finally:
        del sys.modules["walk_slots"]
    [value] = snap.exact("str", "'slot-value-1'")
    assert snap.path_of(value) == "walk_slots.item.value"
    assert not snap.exact("str", "'slot-token-2'"), "a secret slot's value is masked"
    [token] = [o for o in snap.objects if snap.path_of(o) == "walk_slots.item.token"]
    assert token["repr"] == "<redacted>"


def test_big_containers_are_walked_whole_with_their_labels(tmp_path):
    n = 40000  # several slices of the walk
    shared = "shared-%d" % 7
    big_dict = {"key-%d" % i: "value-%d" % i for i in range(n)}
    big_dict["again"] = shared
    big_list = ["item-%d" % i for i in range(n)] + [shared]
    install("walk_big", big_dict=big_dict, big_list=big_list, also=shared)
    try:
        snap = capture(tmp_path, run_lines=20000)
    finally:
        del sys.modules["walk_big"]
    paths = by_path(snap, "walk_big")
    assert [o["repr"] for o in paths["walk_big.big_dict['key-39999']"]] == ["'value-39999'"]
    assert [o["repr"] for o in paths["walk_big.big_list[39999]"]] == ["'item-39999'"]
    assert len([p for p in paths if p.startswith("walk_big.big_list[")]) == n  # not the shared one:
    [once] = snap.exact("str", "'shared-7'")  # held three times, written once, by the nearest holder
    assert snap.path_of(once) == "walk_big.also"
    keys = [o for o in snap.objects if o["type"] == "str" and re.fullmatch(r"'key-\d+'", o["repr"])]
    assert len(keys) == n and all(k["edge"] == "<key>" for k in keys)


def test_an_object_in_a_big_container_and_elsewhere_is_written_once(tmp_path):
    payload = ["payload-%d" % i for i in range(30000)]
    install("walk_twice", first=payload, second=list(payload))
    try:
        snap = capture(tmp_path)
    finally:
        del sys.modules["walk_twice"]
    found = [o for o in snap.objects if o["type"] == "str" and o["repr"] == "'payload-29999'"]
    assert len(found) == 1
    assert snap.path_of(found[0]) in ("walk_twice.first[29999]", "walk_twice.second[29999]")


def test_secrets_are_masked_in_big_dicts_too(tmp_path):
    config = {"setting-%d" % i: "on-%d" % i for i in range(20000)}
    config["db_password"] = "pw-%d" % 99
    install("walk_secret", config=config)
    try:
        snap = capture(tmp_path)
    finally:
        del sys.modules["walk_secret"]
    assert not snap.exact("str", "'pw-99'")
    [masked] = [o for o in snap.objects if snap.path_of(o) == "walk_secret.config['db_password']"]
    assert masked["repr"] == "<redacted>"


def test_same_shaped_records_are_formatted_like_any_dict(tmp_path):
    records = [{"id": i, "user": "user-%d" % i, "tags": ["t%d" % i, "x"], "token": "s-%d" % i} for i in range(5000)]
    odd = {"id": 1, 2: "int key", "long": "y" * 300}
    install("walk_records", records=records, odd=odd)
    try:
        snap = capture(tmp_path)
    finally:
        del sys.modules["walk_records"]
    [first] = [o for o in snap.objects if snap.path_of(o) == "walk_records.records[0]"]
    assert first["repr"] == "{'id': 0, 'user': 'user-0', 'tags': ['t0', 'x'], 'token': <redacted>}"
    [o] = [o for o in snap.objects if snap.path_of(o) == "walk_records.odd"]
    assert o["repr"].startswith("{'id': 1, 2: 'int key', 'long': 'yyyy") and o["repr"].endswith("y'…}")


def test_the_gzip_file_is_several_members_read_as_one_with_its_size_up_front(tmp_path):
    keep = ["member-%d" % i for i in range(100000)]  # more lines than one member holds
    path = heapsnap.capture(str(tmp_path / "m.hsnap.gz"))
    data = open(path, "rb").read()
    assert data.count(b"\x1f\x8b\x08") >= 2
    text = gzip.decompress(data).decode()
    # The first member's extra field says how big the text is (FORMAT.md: subfield HS).
    assert data[3] & 4 and struct.unpack("<H2sHQ", data[10:24]) == (12, b"HS", 8, len(text.encode()))
    lines = text.split("\n")[:-1]
    body = [line for line in lines if not line.startswith("#")]
    assert lines[-1] == "#end\t%d" % len(body)
    assert [b.encode() for b in body] == sorted(b.encode() for b in body)
    del keep


def test_every_credential_shape_has_an_anchor():
    # Only text showing an anchor is searched for credentials: each shape must contain one.
    for alternative in heapsnap.SECRET_VALUES.pattern.split("|"):
        assert any(anchor in alternative for anchor in heapsnap._ANCHORS), alternative


def test_a_deep_chain_is_walked_whole(tmp_path):
    # One container per level of the walk, 3,000 levels deep (levels this small take a path
    # of their own).
    head = None
    for i in range(3000):
        head = {"next": head, "v": i + 0.25}
    install("walk_chain", head=head)
    try:
        snap = capture(tmp_path)
    finally:
        del sys.modules["walk_chain"]
    values = [o for o in snap.objects if o["type"] == "float" and o["repr"].endswith(".25")
              and snap.path_of(o).startswith("walk_chain.head")]
    assert len(values) == 3000
    [deepest] = [o for o in values if o["repr"] == "0.25"]
    assert snap.path_of(deepest) == "walk_chain.head" + "['next']" * 2999 + "['v']"


class Cyclic:
    """Garbage in a cycle (it refers to itself), holding another one."""

    def __init__(self, name, child=None):
        self.name = name
        self.me = self
        self.child = child


def test_garbage_cycles_are_rooted_where_nothing_else_leads_in(tmp_path):
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(300):
            Cyclic("outer-%d" % i, Cyclic("inner-%d" % i))  # the inner one is made first
        snap = capture(tmp_path)
    finally:
        gc.collect()
        if was_enabled:
            gc.enable()
    paths = {}
    for o in snap.objects:
        if o["type"] == "test_walk.Cyclic":
            kind = re.search(r"name='(outer|inner)-", o["repr"]).group(1)
            paths.setdefault(kind, set()).add(snap.path_of(o))
    # One root per outer cycle; each inner one is found under its outer one, not as a root.
    assert paths == {"outer": {"<garbage>"}, "inner": {"<garbage>.child"}}
    assert sum(1 for o in snap.objects if o["edge"] == "<garbage>" and o["type"] == "test_walk.Cyclic") == 300


class Base:
    pass


def test_a_class_registry_of_subclasses_is_written_under_the_class(tmp_path):
    # C code holds it: without this it would be one more dict that no root reaches.
    made = [type("Made%d" % i, (Base,), {}) for i in range(5)]
    snap = capture(tmp_path)
    [cls] = snap.exact("type", "<class test_walk.Base>")
    [registry] = [o for o in snap.objects if o["parent"] == cls["id"] and o["edge"] == "<subclasses>"]
    assert (registry["type"], registry["len"]) == ("dict", "5")
    assert "<weakref.ReferenceType to <class test_walk.Made0>>" in registry["repr"]
    [object_class] = snap.exact("type", "<class object>")
    assert snap.path_of(object_class) == "builtins.object", "typing.io (a class in sys.modules) comes later"
    [object_registry] = [o for o in snap.objects if o["parent"] == object_class["id"] and o["edge"] == "<subclasses>"]
    assert snap.path_of(object_registry) == "builtins.object <subclasses>"
    del made


STATIC_TYPES_TWICE = """
import gc, json, sys
import heapsnap
static, stack = [], [object]
while stack:
    t = stack.pop()
    if not type.__dict__["__flags__"].__get__(t) & (1 << 9):  # not a heap type
        static.append(t)
        stack.extend(type.__subclasses__(t))
heapsnap.capture(sys.argv[1])
gc.collect()  # untracks the MRO tuples of static types that were still tracked
heapsnap.capture(sys.argv[2])
internal = type(iter(memoryview(b"")))  # memory_iterator: no module names it
print(json.dumps({"types": ["%x" % id(t) for t in static], "mros": ["%x" % id(t.__mro__) for t in static],
                  "internal": "%x" % id(internal)}))
"""


def test_static_types_have_a_holder_and_their_mro_is_written(tmp_path):
    # gc sees no static type, so nothing led to C's internal classes or to their MRO tuples,
    # which the collector untracks in time: their holders changed from one capture to the next.
    first, second = str(tmp_path / "a.hsnap"), str(tmp_path / "b.hsnap")
    ids = json.loads(run_python("import sys; sys.argv = ['x', %r, %r]; exec(%r)" % (first, second, STATIC_TYPES_TWICE)).stdout)
    snap, again = Snapshot(first), Snapshot(second)
    assert not [t for t in ids["types"] if snap.by_id[t]["edge"] == "<unreached>"]
    assert not [m for m in ids["mros"] if m not in snap.by_id]
    assert snap.path_of(snap.by_id[ids["internal"]]) == "builtins.object <subclass>"
    moved = [t for t in ids["types"] if (snap.by_id[t]["parent"], snap.by_id[t]["edge"]) != (again.by_id[t]["parent"], again.by_id[t]["edge"])]
    assert not moved


class Mixin:
    pass


class Model:
    pass


def test_registries_of_classes_that_share_all_their_subclasses_go_to_each(tmp_path):
    # Every subclass of Model is also one of Mixin: their registries hold the same classes.
    made = [type("Both%d" % i, (Model, Mixin), {}) for i in range(3)]
    snap = capture(tmp_path)
    for name in ("Model", "Mixin"):
        [cls] = snap.exact("type", "<class test_walk.%s>" % name)
        [registry] = [o for o in snap.objects if o["parent"] == cls["id"] and o["edge"] == "<subclasses>"]
        assert registry["len"] == "3"
    del made
