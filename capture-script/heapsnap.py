#!/usr/bin/env python3
"""heapsnap capture: write a snapshot of every live Python object to a file.

Import it in the process you want to look into (or inject it) and call
:func:`capture`. Each live object becomes one line: type, bounded contents,
shallow size, length, id, the object it was first reached from and how, and
its allocation site when tracemalloc is on. Lines are sorted, so two
snapshots diff with plain ``diff``; the heapsnap analyzer does far more.

Example::

    >>> import heapsnap
    >>> heapsnap.capture("/tmp/before.hsnap.gz")   # doctest: +SKIP
    '/tmp/before.hsnap.gz'

The capture never calls user-defined code (no ``__repr__``, ``__len__``,
``__eq__``, ``__hash__``, descriptors or metaclass hooks): it reads objects
through the C slots of the builtin types. It keeps no reference to any object
after it returns. Standard library only; CPython 3.8+.

What reading changes, each made once and kept by its object: on 3.11+, an
instance's ``__dict__`` (which earlier versions always had) and a suspended
generator's or coroutine's frame object; before 3.13, a function frame's
``f_locals`` snapshot dict, left empty.

The file format is specified in docs/FORMAT.md of the heapsnap repository.
"""

import _contextvars
import _thread
import _tracemalloc  # the C module: costs nothing, imports nothing else
import _weakref
import bisect
import collections
import gc
import gzip
import io
import operator
from itertools import accumulate, chain, compress, filterfalse, islice, repeat, starmap
import os
import platform
import queue
import re
import socket
import struct
import sys
import threading
import time
import types
import zlib

__version__ = "0.1.0"
__all__ = ["capture", "CaptureOptions", "FORMAT_VERSION", "COLUMNS", "install_signal_handler", "start_periodic",
           "Periodic", "watch", "snapshot_path", "attach", "AttachError"]

#: Snapshot format version written by this module.
FORMAT_VERSION = "1"
#: Columns written, in order.
COLUMNS = ("type", "repr", "size", "len", "id", "parent", "edge", "site")

_HEAPTYPE = 1 << 9
# A heap type made by C code (3.10+); its __dict__ descriptor makes a dict where there is none.
_IMMUTABLETYPE = 1 << 8 if sys.version_info >= (3, 10) else 0
_CO_OPTIMIZED = 0x1
_HAVE_GC = 1 << 14
_GC_HEADER = 16 if sys.maxsize > 2**32 else 8
_MANAGED_DICT = 1 << 4
# CPython 3.11's tracemalloc looks an object whose class has a managed __dict__ up at the wrong
# address, missing the two pointers before it, so it finds no site (fixed in 3.12).
_SITE_LOOKUP_MISSES_PREHEADER = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
_UNREACHED = "<unreached>"
_GARBAGE = "<garbage>"

# Descriptors of builtin types, read once: calling them never runs user code.
_type_dict = type.__dict__["__dict__"].__get__
_type_mro_or_none = type.__dict__["__mro__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_bases = type.__dict__["__bases__"].__get__


def _type_mro(t):
    """``t.__mro__``; ``(t,)`` for a C type never made ready (3.8 and 3.9 have instances of some)."""
    return _type_mro_or_none(t) or (t,)


_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_func_qualname = types.FunctionType.__dict__["__qualname__"].__get__
_func_code = types.FunctionType.__dict__["__code__"].__get__
_code_name = types.CodeType.__dict__["co_name"].__get__
_code_file = types.CodeType.__dict__["co_filename"].__get__
_code_line = types.CodeType.__dict__["co_firstlineno"].__get__
_getset_descriptor = type(types.FunctionType.__dict__["__code__"])
_member_descriptor = type(types.FunctionType.__dict__["__globals__"])
_C_METHOD_TYPES = (type(object.__sizeof__), type(object.__init__), type(len))
_CellType = type((lambda x: lambda: x)(0).__closure__[0])
_BIG_INT = 1 << 128
_SHARED_ATOMS = (int, float, bool, str, type(None))  # possibly shared with the process: never excluded
with gzip.GzipFile(filename="", mode="wb", fileobj=io.BytesIO(), mtime=0) as _warm:
    _warm.write(b"warm")  # gzip's struct caches fill now, not inside (and into) the first capture
del _warm

# Escaping of fields: tab, newline, CR, backslash and other control characters.
_ESCAPES = {i: "\\x%02x" % i for i in list(range(32)) + [127]}
_ESCAPES.update({9: "\\t", 10: "\\n", 13: "\\r", 92: "\\\\"})

# Attributes that name the referents of builtin types (read through their C descriptors), by id(type).
_NAMED_ATTRS = {id(t): attrs for t, attrs in (
    (types.FunctionType, ("__code__", "__globals__", "__defaults__", "__kwdefaults__", "__closure__")),
    (types.MethodType, ("__func__", "__self__")),
    (_CellType, ("cell_contents",)),
    (property, ("fget", "fset", "fdel")),
    (staticmethod, ("__func__",)),
    (classmethod, ("__func__",)),
    (types.TracebackType, ("tb_frame", "tb_next")),
)}
# What an exception refers to, read through BaseException's descriptors (a subclass's own are
# never used: they may be properties).
_EXCEPTION_ATTRS = {attr: BaseException.__dict__[attr].__get__
                    for attr in ("args", "__traceback__", "__cause__", "__context__")}
# C types recognized by name (the modules are never imported for this): asyncio's task and
# future, functools.lru_cache's wrapper.
_FUTURE_TYPES = ("_asyncio.Task", "_asyncio.Future")
_LRU_CACHE = "functools._lru_cache_wrapper"
# array.array (C, found by name in a class's bases): its length and first items by its own slots.
_ARRAY = "array.array"
# numpy.ndarray (C, found by name): its dtype, shape, and the array it views, by its getsets.
_NDARRAY = "numpy.ndarray"
_NDARRAY_FIELDS = ("dtype", "shape", "base")
_DEQUE_MAXLEN = collections.deque.__dict__["maxlen"].__get__
# C value types written as their values, by name (the modules are never imported for this):
# their own C __repr__, except that a datetime's or time's tzinfo is named, not repr'd, unless it
# is a C timezone (its repr could run user code); a Decimal's text is made from its as_tuple()
# (its repr reads, and would create, the thread's decimal context).
_VALUE_TYPES = ("complex", "range", "datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta",
                "datetime.timezone", "decimal.Decimal")
_TIMEZONE = "datetime.timezone"
_ENUM_METACLASSES = ("enum.EnumType", "enum.EnumMeta")  # EnumMeta before 3.11
_UUID = "uuid.UUID"  # its 128-bit number is its first slot, `int`
# threading.local: per thread, a namespace dict, in a dict beside the object (keyed by weak
# references to, or from 3.13 by, a dummy object each thread keeps).
_THREAD_LOCAL = _thread._local
# contextvars: a Context keeps its variables' values in a tree of C "hamt" nodes.
_Context = _contextvars.Context
_ContextVar = _contextvars.ContextVar
_CONTEXT_VAR_NAME = _ContextVar.__dict__["name"].__get__
_HAMT_TYPES = ("hamt", "hamt_bitmap_node", "hamt_array_node", "hamt_collision_node")
_CONTEXT_ROOT = "<context>"
_SUBCLASSES = "<subclasses>"
_SUBCLASS = "<subclass>"
# Kinds whose objects a weak reference's repr names (a class, a function …), not just types.
_NAMED_KINDS = ("type", "function", "builtin", "module", "code", "method")
# The code, qualified name and frame (None once finished) of generators, coroutines and async
# generators, by id(type). From 3.11 reading the frame makes the frame object, kept while they
# live: one small object each, made once, as sys._current_frames() does for threads.
_SUSPENDABLE = {id(t): tuple(t.__dict__[attr].__get__ for attr in (prefix + "_code", "__qualname__", prefix + "_frame"))
                for t, prefix in ((types.GeneratorType, "gi"), (types.CoroutineType, "cr"),
                                  (types.AsyncGeneratorType, "ag"))}


#: Dict keys and attribute names whose values are masked (case-insensitive search).
DEFAULT_SECRET_KEYS = r"passw(or)?d|secret|token|api_?key|authori[sz]ation|cookie|session|private_?key|credential"
#: Strings shaped like credentials, masked wherever they are.
SECRET_VALUES = re.compile(
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.|[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}")
_REDACTED = "<redacted>"
_MASKED_KEY_LABEL = "[%s]" % _REDACTED  # a dict value's edge under a secret-looking name
# Code and definitions: a secret-looking name on them (`def set_password`, `class Tokenizer`)
# does not mask their reprs, which name code; what they hold (closures, defaults) it does.
_NEVER_MASKED_KINDS = ("type", "function", "builtin", "code", "module", "property", "staticmethod", "classmethod")
# Under a secret-looking name, data: masked wherever it appears in a repr.
_MASKED_KINDS = ("str", "bytes", "bytearray", "array", "value")
_CHANGED = "<changed while read>"
_BEING_BUILT = "<being built: %d of %d items set>"  # a tuple C code is still filling: see _tuples_being_built
_MIN_SECRET = 15  # no credential shape matches a shorter string
_BATCH = 4096  # containers expanded together, objects formatted together; budgets are checked per batch
_SLICE = 16384  # a container with more items is admitted in slices of this many
_FEW = 8  # fewer containers or instances of a type than this are formatted one by one
_BLOCK = 256  # lines per block of a sorted run
_PARTITION = 32768  # lines per range of the final merge (and per gzip member)
_DECIMALS = 4096  # numbers below this are written from a table
_KEY_CACHE = 100000  # dict keys whose labels and verdicts are kept
_CACHED_DICT = 64  # the keys of dicts up to this size repeat (records, instances): their labels are kept
_KEYS_MET = 8192  # ids of the keys labelled lately, among which repeated key objects are found
# Every credential shape of SECRET_VALUES starts with one of these: only text showing one is searched.
_ANCHORS = ("AKIA", "ASIA", "-----BEGIN", "eyJ", "earer")
_chain = chain.from_iterable
_gt, _le, _is, _not, _floordiv = operator.gt, operator.le, operator.is_, operator.not_, operator.floordiv
_add = operator.add
_FLIP = bytes.maketrans(b"\0\1", b"\1\0")
_STR_ID, _INT_ID, _FLOAT_ID, _BOOL_ID, _NONE_ID = id(str), id(int), id(float), id(bool), id(type(None))
_INLINE_VALUES = sys.version_info >= (3, 13)  # an instance's referents are its values even once its __dict__ exists
_FRAME_ATTRS = ("f_code", "f_globals", "f_back")  # what a frame refers to besides its locals


class CaptureOptions:
    """Limits of a capture, and what it may write.

    Example::

        >>> CaptureOptions(max_repr=80).max_repr
        80
        >>> CaptureOptions(max_items=-1)
        Traceback (most recent call last):
        ...
        ValueError: max_items must be an int >= 0, got -1
    """

    __slots__ = ("max_repr", "max_items", "max_depth", "compresslevel", "run_lines", "redact", "secret_keys",
                 "contents", "max_seconds", "max_objects", "edges")

    def __init__(self, max_repr=200, max_items=8, max_depth=2, compresslevel=1, run_lines=100000, redact=True,
                 secret_keys=DEFAULT_SECRET_KEYS, contents="full", max_seconds=None, max_objects=None, edges=False):
        for name, value, low in (("max_repr", max_repr, 16), ("max_items", max_items, 0),
                                 ("max_depth", max_depth, 0), ("compresslevel", compresslevel, 0),
                                 ("run_lines", run_lines, 1000)):
            if type(value) is not int or value < low:
                raise ValueError("%s must be an int >= %d, got %r" % (name, low, value))
        if compresslevel > 9:
            raise ValueError("compresslevel must be 0..9, got %r" % (compresslevel,))
        self.max_repr = max_repr
        self.max_items = max_items
        self.max_depth = max_depth
        self.compresslevel = compresslevel
        self.run_lines = run_lines
        if type(redact) is not bool:
            raise ValueError("redact must be True or False, got %r" % (redact,))
        if contents not in ("full", "none"):
            raise ValueError("contents must be 'full' or 'none', got %r" % (contents,))
        try:
            self.secret_keys = re.compile(secret_keys, re.IGNORECASE)
        except (TypeError, re.error) as e:
            raise ValueError("secret_keys must be a regular expression: %s" % e) from None
        self.redact = redact
        self.contents = contents
        # Past either budget, the capture drops contents for the rest: a production process
        # gets a complete but cheaper snapshot rather than a long pause.
        if max_seconds is not None and (type(max_seconds) not in (int, float) or not max_seconds > 0):
            raise ValueError("max_seconds must be a number > 0 or None, got %r" % (max_seconds,))
        if max_objects is not None and (type(max_objects) is not int or max_objects < 1):
            raise ValueError("max_objects must be an int >= 1 or None, got %r" % (max_objects,))
        self.max_seconds = max_seconds
        self.max_objects = max_objects
        # With edges, each object's referents are written by id (the `refs` column), so the
        # analyzer can compute dominators and retained sizes.
        if type(edges) is not bool:
            raise ValueError("edges must be True or False, got %r" % (edges,))
        self.edges = edges

    def describe(self):
        """The options as written in the ``#options`` header line."""
        text = "max_repr=%d max_items=%d max_depth=%d contents=%s" % (
            self.max_repr, self.max_items, self.max_depth, self.contents)
        if self.max_seconds is not None:
            text += " max_seconds=%g" % self.max_seconds
        if self.max_objects is not None:
            text += " max_objects=%d" % self.max_objects
        if self.edges:
            text += " edges=1"
        return text

    def describe_redaction(self):
        """What redaction ran, as written in the ``#redaction`` header line."""
        if not self.redact:
            return "off"
        return "keys=/%s/i values=credential-shapes" % self.secret_keys.pattern


def capture(path, options=None, compress=None, edges=None):
    """Write a snapshot of every live object to ``path`` and return the path.

    ``compress`` defaults to whether ``path`` ends in ``.gz``. The file is
    written to a temporary name, fsynced, then renamed, with mode 0600.
    ``edges=True`` (or ``CaptureOptions(edges=True)``) also writes each object's
    referents, for dominators and retained sizes in the analyzer.

    Example::

        >>> capture("/tmp/app.hsnap.gz")    # doctest: +SKIP
        '/tmp/app.hsnap.gz'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError("path must be a str or os.PathLike, got %r" % (type(path),))
    path = os.fspath(path)
    if options is None:
        options = CaptureOptions()
    elif type(options) is not CaptureOptions:
        raise ValueError("options must be a CaptureOptions, got %r" % (type(options),))
    if edges is not None:
        settings = _options_dict(options)
        settings["edges"] = edges
        options = CaptureOptions(**settings)
    if platform.python_implementation() != "CPython":
        raise RuntimeError("heapsnap captures CPython heaps only; this is %s" % platform.python_implementation())
    if compress is None:
        compress = path.endswith(".gz")
    if _SITE_LOOKUP_MISSES_PREHEADER and _tracemalloc.is_tracing():
        _traceback_at()  # before anything is enumerated: what it imports is in every snapshot
    was_enabled = gc.isenabled()
    gc.disable()  # a collection would run __del__ methods (user code) mid-capture
    line_free = _tracemalloc.is_tracing()
    original_code = _drop_line_tables() if line_free else None  # see _LINE_FREE_COPIES
    try:
        return _Capture(path, options, compress, was_enabled, original_code).run()
    except BaseException as e:
        if line_free:
            _restore_lines(e, original_code)
        raise
    finally:
        if original_code is not None:
            _put_back_line_tables(original_code)
        if was_enabled:
            gc.enable()


class _Capture:
    """One capture: a breadth-first walk from the roots, one level at a time, in batches.

    Each batch's children are collected into flat lists, de-duplicated, grouped by type and
    formatted with C-level ``map``/``join`` calls, so per-object work rarely runs bytecode.
    Lines go into sorted runs on disk, merged at the end by range partitions.
    """

    def __init__(self, path, options, compress, gc_enabled=True, original_code=None):
        self.path = path
        self.original_code = original_code  # held here, unseen, while the methods run copies (_drop_line_tables)
        self.gc_enabled = gc_enabled  # as the process had it: the capture pauses the collector
        self.options = options
        self.compress = compress
        # Ids of the objects that may be met again: containers, atoms with several referrers,
        # roots, and the capture's own objects. An atom held by one container only is met once.
        self.seen = set()
        self.slow_ids = set()  # ids written on their own (emit_slow) while expanding this batch
        self.next_level = []  # containers found, expanded at the next level of the walk
        self.lines = []
        self.runs = []
        self.count = 0  # lines written to runs so far; see total()
        self.max_repr = options.max_repr
        self.nested_repr = max(16, options.max_repr // 4)
        self.run_lines = options.run_lines
        self.deadline = None
        self.check_at = _BATCH  # objects recorded when the budgets are looked at next
        self.degraded = None  # why contents were dropped, once they are
        self.unreached = 0
        self.garbage = 0  # of the unreached roots, those in garbage (see _garbage_ids)
        self.changed = 0
        # Type facts by id(type): hashing a class could run its metaclass's __hash__.
        self.types = {}
        self.expandable = set()  # ids of the types whose objects refer to others
        self.dtype_names = {}  # id(numpy dtype) -> (the dtype, its name)
        self.tracing = False
        self.unique_refs = 0  # what admit() sees as the refcount of an object held once
        # Redaction: secret_key/secret_value are the regex searches, or None when off.
        # (No bound method of self is stored on self: that cycle would outlive the capture.)
        self.redact = options.redact
        self.secret_value = SECRET_VALUES.search if options.redact else None
        self.key_verdicts = {}  # str key or attribute name -> whether it looks secret (names repeat a lot)
        self.key_labels = {}  # str dict key -> its escaped edge label
        self.keys_met = set()  # ids of the str keys labelled so far (see key_labels_of)
        self.templates = {}  # (keys, attrs) -> the template of a container body with those keys
        self.class_texts = {}  # id(class) -> (the class, its text as a value: <class module.Name>)
        self.masked_names = set()  # the names found secret-looking (kept when key_verdicts is emptied)
        pattern = options.secret_keys.pattern
        self.lower_keys = re.compile(pattern) if pattern == pattern.lower() else None
        self.redacted = set()  # ids of containers whose contents are all masked
        self.masking = False  # formatting what a secret-looking name holds (see masked_repr)
        self.attribute_dicts = set()  # ids of the masked objects' __dict__s
        self.no_contents = options.contents == "none"
        self.edges = options.edges
        self.atom_tail = "%s\t-\n" if options.edges else "%s\n"  # site (and refs) of an atom
        self.tail = self.atom_tail % "-"
        self.traceback = None
        self.traceback_at = None  # see _traceback_at
        self.site_texts = {}  # site field by traceback (tuples of (file, line) pairs)
        self.decimal = list(map(str, range(_DECIMALS)))
        self.index_labels = list(map("[%d]".__mod__, range(_DECIMALS)))

    # --- the walk -------------------------------------------------------

    def run(self):
        started = time.time()
        t0 = time.perf_counter()
        rss = _rss_bytes()
        frames = sys._current_frames()
        tracked = gc.get_objects()
        self.set_aside_tuples_being_built(tracked)  # first: they must not be held a moment longer
        self.exclude(frames, tracked, self)  # and, inside, everything self holds
        own_globals = globals()
        stacks = []
        for ident, frame in frames.items():
            stack = []
            while frame is not None:
                if frame.f_globals is own_globals:
                    self.seen.add(id(frame))
                else:
                    stack.append(frame)
                frame = frame.f_back
            stacks.append((ident, stack))
        frames.clear()
        del frames, frame
        self.start_sites()
        holder = [0.5 + len(stacks)]  # a new float, held once, seen through admit()'s eyes
        self.unique_refs = next(_refcounts(list(holder)))
        del holder
        if self.options.max_seconds is not None:
            self.deadline = t0 + self.options.max_seconds
        try:
            self.walk(stacks, tracked)
        finally:
            # gc.get_objects() may hold its own result list: a cycle that would keep every
            # object alive until the next collection. Empty it rather than wait for one.
            tracked.clear()
            del stacks, tracked
            self.next_level = []
            self.release()
        duration = time.perf_counter() - t0
        header = self.header(started, rss, duration)
        return self.write(header)

    def set_aside_tuples_being_built(self, tracked):
        """Writes the tuples that C code is still filling (see _tuples_being_built) as they
        are, marked, without their items, and takes them out of ``tracked`` at once: reading
        an item not set yet would crash the interpreter, and a reference kept while their
        builder resumes (in another thread) would make it fail to resize them."""
        building = _tuples_being_built(tracked)
        if not building:
            return
        lines = []
        for t in map(tracked.__getitem__, building):
            text = _BEING_BUILT % (len(gc.get_referents(t)), len(t))
            lines.append("tuple\t%s\t%d\t%d\t%x\t-\t%s\t%s" % (text, tuple.__sizeof__(t), len(t), id(t), _UNREACHED, self.tail))
            self.seen.add(id(t))
        self.add_lines(lines)
        self.unreached += len(building)
        keep = bytearray(b"\1") * len(tracked)
        for i in building:
            keep[i] = 0
        tracked[:] = compress(tracked, keep)
        del t

    def release(self):
        """Drops what only the walk needs (the biggest: the ids met), before the merge."""
        self.seen = self.types = self.expandable = self.redacted = self.attribute_dicts = self.dtype_names = None
        self.key_labels = self.key_verdicts = self.templates = self.masked_names = self.keys_met = None
        self.class_texts = None

    def exclude(self, *objects):
        """Marks the capture's own objects seen, so they are never written."""
        state = object.__getattribute__(self, "__dict__")
        own = [v for v in state.values() if type(v) not in _SHARED_ATOMS]
        self.seen.update(map(id, objects + (state,) + tuple(own)))

    def walk(self, stacks, tracked):
        seen = self.seen
        roots, edges = [], []
        # What else sys.modules holds (typing.io is a class) is walked once the modules'
        # globals are found: `builtins.object`, not `typing.io <referent>`.
        others, other_edges = [], []
        for name, mod in sorted(list(dict.items(sys.modules)), key=_module_sort_key):
            if mod is not None and id(mod) not in seen:
                seen.add(id(mod))
                module = issubclass(type(mod), types.ModuleType)
                (roots if module else others).append(mod)
                (edges if module else other_edges).append(_esc(name) if type(name) is str else _UNREACHED)
        self.record(roots, ["-"] * len(roots), edges)
        del roots[:], edges[:]
        self.drain(levels=2)
        self.record(others, ["-"] * len(others), other_edges)
        del others, other_edges
        self.drain()
        threads = _thread_names()
        for ident, stack in stacks:
            for frame in stack:
                if id(frame) not in seen:
                    seen.add(id(frame))
                    roots.append(frame)
                    edges.append(_esc("<thread %s> %s()" % (threads.get(ident, ident), frame.f_code.co_name)))
        self.record(roots, ["-"] * len(roots), edges)
        del roots[:], edges[:]
        self.drain()
        # What remains of the tracked objects: reached from no root.
        left = list(compress(tracked, map(_not, map(seen.__contains__, map(id, tracked)))))
        # A class's registry of its subclasses is a dict that C code holds: written under the
        # class, `<subclasses>`, so classes made at run time are charged to their base.
        for registry, owner in _subclass_registries(left):
            self.emit_slow(registry, "%x" % id(owner), _SUBCLASSES)
        self.drain()
        left = [o for o in left if id(o) not in seen]
        # Those that something else refers to (C code), and what they lead to, come first;
        # then garbage: cycles that nothing else refers to, which the collector frees.
        garbage = _garbage_ids(left)
        held = [o for o in left if id(o) not in garbage]
        left = [o for o in left if id(o) in garbage]
        del garbage
        self.walk_unreached(held, False)
        self.walk_unreached(left, True)

    def walk_unreached(self, left, garbage):
        """Walks ``left``, tracked objects no root reaches (``garbage`` or not), from the fewest
        roots among them: first those that no other one refers to, together; then of those
        still left (in cycles, or held by one), one root per group that no other group leads
        into (see _cycle_roots). Both orders are fixed (by id), so what they hold is found
        under the same holders in every capture, whatever order the collector keeps."""
        seen = self.seen
        left.sort(key=id)
        held = set(map(id, left)).intersection(map(id, _chain(map(gc.get_referents, left))))
        self.walk_roots([o for o in left if id(o) not in held], garbage)
        del held
        # In a cycle, the instance is the better root than its __dict__ or a list it holds:
        # instances and exceptions first, then other objects, then builtin containers.
        left = [o for o in left if id(o) not in seen]
        left.sort(key=self.cycle_rank)
        self.walk_roots(_cycle_roots(left), garbage)

    def walk_roots(self, roots, garbage):
        """Walks objects no root reaches from ``roots``, taken as roots, together."""
        for start in range(0, len(roots), _BATCH):
            batch = roots[start:start + _BATCH]
            self.seen.update(map(id, batch))
            self.unreached += len(batch)
            if garbage:
                self.garbage += len(batch)
            self.record(batch, ["-"] * len(batch), [_GARBAGE] * len(batch) if garbage else list(map(_root_label, batch)))
        self.drain()

    def cycle_rank(self, o):
        """Sort key of an object left in a cycle that no root reaches (see :meth:`walk`)."""
        info = self.info(type(o))
        rank = 0 if info.kind == "instance" or info.exception else 2 if info.kind in _CONTAINER_KINDS else 1
        return rank, id(o)

    def drain(self, levels=None):
        """Walks the levels below the containers found so far (``levels`` of them, or all)."""
        while self.next_level and levels != 0:
            levels = None if levels is None else levels - 1
            level, self.next_level = self.next_level, []
            for start in range(0, len(level), _BATCH):
                children, parents, edges = self.expand(level[start:start + _BATCH])
                self.admit(children, parents, edges)
                del children, parents, edges
                self.slow_ids.clear()
            del level

    def expand(self, containers):
        """The referents of ``containers``, flat, with their parents' hex ids and edge labels.

        Containers are read type by type (all are of one level of the walk, so the order
        among them changes no path's length), each by one C call, so another thread cannot
        change one halfway. A big one is admitted on its own, in slices, to bound memory.
        """
        C, P, E = [], [], []
        if len(containers) < _FEW:
            infos = list(map(self.info, map(type, containers)))
            if all(info.length is None or info.length(o) <= 64 for o, info in zip(containers, infos)):
                # A few small ones (one level of a chain): one by one is cheaper.
                for o, info in zip(containers, infos):
                    self.expand_one(o, info, "%x" % id(o), C, P, E)
                return C, P, E
        redacted = self.redacted
        for tid, at in _positions_by(list(map(id, map(type, containers)))).items():
            group = list(map(containers.__getitem__, at))
            info = self.types.get(tid) or self.info(type(group[0]))
            walk = info.walk
            if redacted and not redacted.isdisjoint(map(id, group)):
                for o in group:
                    if id(o) in redacted:
                        self.expand_one(o, info, "%x" % id(o), C, P, E)
                group = [o for o in group if id(o) not in redacted]
                if not group:
                    continue
            if walk is None:
                for o in group:
                    self.expand_one(o, info, "%x" % id(o), C, P, E)
                continue
            pids = list(map(int.__format__, map(id, group), repeat("x")))
            if walk == "instance":
                self.add_attributes(info, group, pids, C, P, E)
                continue
            # One C call reads the items of every container of the group.
            items = _items_of(info, group)
            counts = list(map(len, items))
            if max(counts) <= _SLICE:
                self.add_items(walk, list(_chain(items)), pids, counts, C, P, E)
                continue
            for pid, part, n in zip(pids, items, counts):
                if n <= _SLICE:
                    self.add_items(walk, part, [pid], [n], C, P, E)
                    continue
                # A big one: admit what came before, then it alone, slice by slice.
                self.admit(C, P, E)
                C, P, E = [], [], []
                for first in range(0, n, _SLICE):
                    piece = part[first:first + _SLICE]
                    self.add_items(walk, piece, [pid], [len(piece)], C, P, E, first // 2 if walk == "dict" else first)
                    del piece
                    self.admit(C, P, E, 1)  # ``items`` holds them once more
                    C, P, E = [], [], []
            del items
        return C, P, E

    def add_attributes(self, info, group, pids, C, P, E):
        """Adds what instances ``group`` (of one class, parents' ids ``pids``) refer to:
        their ``__dict__``, their slots, then whatever else they hold."""
        secret_key = self.is_secret_key if self.redact else None
        inline = None
        if info.dict_desc is not None:
            dicts = self.instance_dicts(group, info)
            at = list(compress(range(len(group)), map(operator.is_not, dicts, repeat(None))))
            if len(at) < len(group):
                dicts = list(map(dicts.__getitem__, at))
                P += map(pids.__getitem__, at)
            else:
                P += pids
            C += dicts
            E += repeat(".__dict__", len(at))
            if _INLINE_VALUES:
                # The referents of an instance are its attribute values, not the dict that
                # shares them: walked through the dict, they must not be walked again.
                inline = set(map(id, _chain(map(dict.values, compress(dicts, map(_is, map(type, dicts), repeat(dict)))))))
            del dicts
        for attr, getter in info.attributes:
            try:
                values, at = list(map(getter, group)), range(len(group))
            except (AttributeError, ValueError):  # a slot left unset somewhere: one by one
                values, at = [], []
                for i, o in enumerate(group):
                    try:
                        values.append(getter(o))
                        at.append(i)
                    except (AttributeError, ValueError):
                        continue
            if secret_key is not None and secret_key(attr):
                for v, i in zip(values, at):
                    self.emit_slow(v, pids[i], "." + attr, True)
            else:
                C += values
                P += map(pids.__getitem__, at)
                E += repeat("." + attr, len(at))
            del values
        refs = list(map(gc.get_referents, group))
        if inline:
            parents = list(_chain(map(repeat, pids, map(len, refs))))
            refs = list(_chain(refs))
            walked = list(map(_not, map(inline.__contains__, map(id, refs))))
            C += compress(refs, walked)
            P += compress(parents, walked)
            del parents, walked
        else:
            P += _chain(map(repeat, pids, map(len, refs)))
            C += _chain(refs)
        E += repeat("<referent>", len(C) - len(E))

    def add_items(self, walk, items, pids, counts, C, P, E, first=0):
        """Adds the ``items`` (flat) of containers with parents ``pids``, ``counts`` items
        each, to ``C``, with their edge labels; ``walk`` says how they were read, ``first``
        is the index of the first item (in a slice of a big one)."""
        n = len(items)
        if not n:
            return
        P += _chain(map(repeat, pids, counts)) if len(pids) > 1 else repeat(pids[0], n)
        if walk == "dict":
            keys = items[0::2]
            labels, all_str = self.labels_of_keys(keys, max(counts) <= 2 * _CACHED_DICT)
            if self.redact and self.masked_names and not (
                    self.masked_names.isdisjoint(keys) if all_str else self.masked_names.isdisjoint(
                        compress(keys, _exact_str(keys)))):
                # A value under a secret key is written masked, with all it holds.
                secret = self.masked_names
                parents = P[len(P) - n:]
                del P[len(P) - n:]
                for j, (k, v) in enumerate(zip(keys, items[1::2])):
                    C.append(k)
                    P.append(parents[2 * j])
                    E.append("<key>")
                    if type(k) is str and k in secret:
                        self.emit_slow(v, parents[2 * j], labels[j], True)
                    else:
                        C.append(v)
                        P.append(parents[2 * j])
                        E.append(labels[j])
                return
            both = ["<key>"] * n
            both[1::2] = labels
            E += both
        elif walk == "items":
            labels = self.index_labels
            if len(counts) > 1:
                if max(counts) <= len(labels):
                    E += _chain(map(labels.__getitem__, map(slice, repeat(0), counts)))
                else:
                    E += _chain(map(map, repeat("[%d]".__mod__), map(range, counts)))
            else:
                end = first + n
                E += labels[first:end] if end <= len(labels) else map("[%d]".__mod__, range(first, end))
        else:
            E += repeat("<item>", n)
        C += items

    def labels_of_keys(self, keys, cache):
        """Edge labels ``['key']`` of the values under dict ``keys``, and whether all the keys
        are exact str; with ``cache``, new labels are kept for later dicts."""
        if all(_exact_str(keys)):
            labels = list(map(self.key_labels.get, keys))
            if None in labels:
                labels = self.key_labels_of(keys, cache)
            return labels, True
        labels = [None] * len(keys)
        at = list(compress(range(len(keys)), _exact_str(keys)))
        if at:
            collections.deque(map(labels.__setitem__, at, self.key_labels_of(list(map(keys.__getitem__, at)), cache)), 0)
        others = [i for i, label in enumerate(labels) if label is None]
        texts = self.key_texts(list(map(keys.__getitem__, others)))
        collections.deque(map(labels.__setitem__, others, map(_esc, map("[%s]".__mod__, texts))), 0)
        return labels, False

    def expand_one(self, o, info, pid, C, P, E):
        """:meth:`expand` of one container, item by item: any kind, secrets, redacted holders."""
        kind = info.kind
        masked = bool(self.redacted) and id(o) in self.redacted  # everything under a secret is masked
        secret_key = self.is_secret_key if self.redact else None
        inline = ()  # ids of an instance's attribute values, on versions that give them as referents

        def child(v, label, secret=False):
            if secret or masked:
                if label == ".__dict__":
                    self.attribute_dicts.add(id(v))  # its keys are attribute names, shown
                self.emit_slow(v, pid, label, True)
            else:
                C.append(v)
                P.append(pid)
                E.append(label)

        def local(name, v):  # a function frame's local variable, by name
            child(v, _esc("locals[%s]" % self.format(name, 1)),
                  secret_key is not None and type(name) is str and secret_key(name))

        try:
            if kind == "dict" and masked:
                names = id(o) in self.attribute_dicts
                for k, v in list(dict.items(o)):  # (its keys are data too: session ids …)
                    child(k, "<key>")
                    child(v, self.str_key_label(k) if names and type(k) is str else _MASKED_KEY_LABEL)
            elif kind == "dict":
                for k, v in list(dict.items(o)):
                    child(k, "<key>")
                    if type(k) is str:
                        label = self.str_key_label(k)
                        child(v, label, secret_key is not None and secret_key(k))
                    else:
                        child(v, self.key_label(k))
            elif kind in _SEQUENCE_KINDS:
                for n, v in enumerate(list(info.iterate(o))):
                    child(v, "[%d]" % n)
            elif kind == "set" or kind == "frozenset":
                for v in list(info.iterate(o)):
                    child(v, "<item>")
            elif kind == "module":
                child(_module_dict(o), ".__dict__")
            elif kind == "code":
                for attr in ("co_consts", "co_names", "co_filename", "co_name"):
                    child(getattr(o, attr), "." + attr)
            elif kind == "frame":
                for k, v in self.frame_locals(o):
                    if k is None:
                        child(v, ".f_locals")
                    else:
                        local(k, v)
                for attr in _FRAME_ATTRS:
                    v = getattr(o, attr)
                    if v is not None:
                        child(v, "." + attr)
            elif kind == "type":
                d = _referent_dict(o)
                if d is not None:
                    child(d, ".__dict__")
                if not _type_flags(o) & _HEAPTYPE:
                    # A static type is no gc object: nothing leads gc to its MRO, its bases or
                    # the static types made on it (found otherwise only as `<unreached>`, under
                    # holders that change once the collector untracks an MRO tuple).
                    for attr, v in ((".__mro__", _type_mro_or_none(o)), (".__bases__", _type_bases(o))):
                        if v is not None:
                            child(v, attr)
                    for sub in type.__subclasses__(o):  # (its registry, read in C)
                        if not _type_flags(sub) & _HEAPTYPE:
                            child(sub, _SUBCLASS)
            elif info.exception:
                d = _exception_dict(o)
                if d is not None:
                    child(d, ".__dict__")
                for attr, getter in _EXCEPTION_ATTRS.items():
                    child(getter(o), "." + attr)
            if info.dict_desc is not None or kind == "namespace":
                d = self.instance_dict(o, info)
                if d is not None:
                    child(d, ".__dict__")
                    if kind == "lru_cache" or kind == "thread_local" or kind == "namespace":
                        inline = {id(d)}  # among its referents too, beside the cache dict
                    elif _INLINE_VALUES and type(d) is dict:
                        inline = set(map(id, dict.values(d)))  # see add_attributes
            for attr, getter in info.attributes:
                try:
                    v = getter(o)
                except (AttributeError, ValueError):
                    continue
                child(v, "." + attr, secret_key is not None and secret_key(attr))
        except RuntimeError:
            # Another thread changed the container while we read it; what was seen is kept.
            self.changed += 1
        if kind == "suspendable":
            # Its locals by name, as its own: `coro locals['batch']`. (From 3.11 they are its
            # referents too; before, its frame's.)
            frame = _SUSPENDABLE[id(type(o))][2](o)
            if frame is not None:
                inline = set()
                for k, v in self.frame_locals(frame):
                    if k is not None:  # (the frame's emptied snapshot dict: written under the frame)
                        inline.add(id(v))
                        local(k, v)
        elif kind == "ndarray":
            base = info.accessors[2](o)
            if base is not None:
                child(base, ".base")  # the array (or buffer) it views: kept alive by it
        elif kind == "future" and info.future[1] is not None:
            coro = info.future[1](o)
            if coro is not None:
                inline = {id(coro)}
                child(coro, ".get_coro()")
        if kind == "thread_local":
            self.emit_per_thread(self.per_thread_dict(o), pid, masked)
        elif kind == "context":
            self.emit_context(o, pid, masked)
        if kind not in _CONTAINER_KINDS:
            for v in gc.get_referents(o):
                if id(v) not in inline:
                    child(v, "<cache>" if kind == "lru_cache" and type(v) is dict else "<referent>")

    @staticmethod
    def per_thread_dict(local):
        """The dict of a threading.local's namespaces, one per thread (or an empty one): among
        its referents, the non-empty dict whose keys are not strs (the keywords of its
        ``__init__`` and the ``__dict__`` of a subclass's instance have str keys, or none)."""
        for v in gc.get_referents(local):
            if type(v) is dict and v and not any(type(k) is str for k in dict.keys(v)):
                return v
        return {}

    def emit_per_thread(self, per_thread, pid, masked):
        """Writes a threading.local's dict of namespaces as ``<per thread>``, each thread's
        namespace as ``[1]``, ``[2]`` … and the values in it as attributes, ``.name``: the path
        reads ``app.STATE <per thread>[1].seen``."""
        if not per_thread or id(per_thread) in self.seen:
            return
        self.emit_slow(per_thread, pid, "<per thread>", masked, expand=False)
        dict_pid = "%x" % id(per_thread)
        secret_key = self.is_secret_key if self.redact else None
        for n, (key, namespace) in enumerate(list(dict.items(per_thread))):
            self.emit_slow(key, dict_pid, "<key>", masked)
            if type(namespace) is not dict or id(namespace) in self.seen:
                self.emit_slow(namespace, dict_pid, "[%d]" % (n + 1), masked)
                continue
            self.emit_slow(namespace, dict_pid, "[%d]" % (n + 1), masked, expand=False)
            ns_pid = "%x" % id(namespace)
            for name, v in list(dict.items(namespace)):
                self.emit_slow(name, ns_pid, "<key>", masked)
                label = "." + _esc(name) if type(name) is str else self.key_label(name)
                self.emit_slow(v, ns_pid, label, masked or secret_key is not None and type(name) is str
                               and secret_key(name))

    def emit_context(self, context, pid, masked):
        """Writes a contextvars.Context's tree of nodes (``<vars>``, ``<node>``) and each
        variable's value as the Context's own, labelled by the variable's name:
        ``<context>[request_id]``."""
        names = {}
        for var, value in list(_Context.items(context)):
            names[id(value)] = _var_name(var)
        secret_key = self.is_secret_key if self.redact else None
        nodes = [(r, pid, "<vars>") for r in gc.get_referents(context) if self.info(type(r)).kind == "hamt"]
        while nodes:
            node, parent, label = nodes.pop()
            if id(node) in self.seen:
                continue
            self.emit_slow(node, parent, label, masked, expand=False)
            node_pid = "%x" % id(node)
            for r in gc.get_referents(node):
                if self.info(type(r)).kind == "hamt":
                    nodes.append((r, node_pid, "<node>"))
                elif id(r) in names:
                    name = names[id(r)]
                    self.emit_slow(r, pid, _esc("[%s]" % name), masked or secret_key is not None and secret_key(name))
                else:
                    self.emit_slow(r, node_pid, "<key>", masked)

    def frame_locals(self, frame):
        """The locals of ``frame``, as a new list: ``(name, value)`` of each variable of a
        function; for a module or class body, ``[(None, namespace)]``: its locals are the items
        of that mapping (the module's globals, the class namespace), read as one object. Before
        3.13, a function's list ends with ``(None, {})``: the snapshot dict the frame keeps."""
        code = frame.f_code
        if not code.co_flags & _CO_OPTIMIZED:
            return [(None, frame.f_locals)]
        f_locals = frame.f_locals
        snapshot = type(f_locals) is dict and sys.version_info < (3, 13)
        try:
            items = list(dict.items(f_locals)) if type(f_locals) is dict else list(f_locals.items())
        finally:
            if snapshot:
                # Before 3.13, f_locals of a function frame is a snapshot dict cached on the
                # frame: left filled, it would keep values the function has since dropped.
                # Emptied, it is still the frame's: written under it, not as held by no root.
                dict.clear(f_locals)
        if snapshot:
            items.append((None, f_locals))
        return items

    def admit(self, C, P, E, held=0):
        """Records the objects of ``C`` not met before (with parents ``P``, edges ``E``);
        ``held`` more references to each of them are held by the capture."""
        if not C:
            return
        # An object whose only referrer is its parent here cannot have been met before, nor be
        # met again: it needs no lookup. The others are looked up by id, first occurrence kept.
        if len(C) < _FEW:
            # (A few children, one level of a chain: the same, one by one, is cheaper.)
            self.record_few([(c, p, e) for c, p, e, rc in zip(C, P, E, list(_refcounts(C)))
                             if self.first_time(c, rc > self.unique_refs + held)])
            return
        keep = bytearray(map(_le, _refcounts(C), repeat(self.unique_refs + held)))
        if self.slow_ids:
            # Held once but already written on its own: a slot is reached by name and again
            # among the referents, and a secret slot's value is written masked.
            collections.deque(map(keep.__setitem__, compress(range(len(C)), map(self.slow_ids.__contains__, map(id, C))),
                                  repeat(0)), 0)
        if 0 in keep:
            at = list(compress(range(len(C)), keep.translate(_FLIP)))
            first = dict(zip(map(id, map(C.__getitem__, reversed(at))), reversed(at)))
            del at
            new = first.keys() - self.seen
            if new:
                self.seen.update(new)
                collections.deque(map(keep.__setitem__, map(first.__getitem__, new), repeat(1)), 0)
            del first, new
            C = list(compress(C, keep))
            P = list(compress(P, keep))
            E = list(compress(E, keep))
        del keep
        start = 0
        while start < len(C):
            end = start + _BATCH - self.total() % _BATCH  # so that budgets are checked every _BATCH objects
            self.record(C[start:end], P[start:end], E[start:end])
            start = end

    def first_time(self, o, shared):
        """Whether ``o`` (met again if ``shared``, or written on its own) is met for the first
        time; notes it met. :meth:`admit` for one object."""
        i = id(o)
        if not shared and i not in self.slow_ids:
            return True
        if i in self.seen:
            return False
        self.seen.add(i)
        return True

    def record_few(self, found):
        """:meth:`record` of a few ``(object, parent, edge)``, one by one."""
        lines = []
        for o, parent, edge in found:
            info = self.info(type(o))
            if info.expandable:
                self.seen.add(id(o))
                self.next_level.append(o)
            lines.append(self.line(o, parent, edge))
        self.add_lines(lines)
        if len(self.lines) >= self.run_lines:
            self.flush_run()
        self.check_budgets()

    def emit_slow(self, o, parent, edge, secret=False, expand=True):
        """Records ``o`` (unless met before) on its own; ``secret`` masks it and what it holds
        (see :meth:`masked_repr`); ``expand=False`` leaves what it holds to the caller."""
        i = id(o)
        if i in self.seen:
            return
        self.seen.add(i)
        self.slow_ids.add(i)
        info = self.info(type(o))
        if info.expandable and expand:
            if secret:
                self.redacted.add(i)  # (code too: a closure or a default may hold the secret)
            self.next_level.append(o)
        self.add_lines([self.line(o, parent, edge, self.masked_repr(o) if secret and self.masks(o) else None)])

    def masks(self, v):
        """Whether a secret-looking name masks the contents of ``v``: not of code or definitions
        (what they hold, it does)."""
        return self.info(type(v)).kind not in _NEVER_MASKED_KINDS

    def masked_repr(self, o):
        """The contents of ``o``, held under a secret-looking name: its strs, bytes and numbers
        are ``<redacted>``, itself or inside it; its shape, types and attribute names stay:
        ``Session(user=<redacted>, cart=[<redacted>, <redacted>], closed=False)``."""
        if self.no_contents:
            return "-"
        self.masking = True
        try:
            return _esc(self.format(o, 0))
        except RuntimeError:
            self.changed += 1
            return _CHANGED
        finally:
            self.masking = False

    def record(self, objs, P, E):
        """Formats the lines of new objects ``objs`` (parents ``P``, edges ``E``), by type."""
        if not objs:
            return
        tids = list(map(id, map(type, objs)))
        types = self.types
        distinct = set(tids)
        for tid in distinct.difference(types):
            self.info(type(objs[tids.index(tid)]))
        if not distinct.isdisjoint(self.expandable):
            found = list(compress(objs, map(self.expandable.__contains__, tids)))
            self.seen.update(map(id, found))
            self.next_level += found
            del found
        groups = {tids[0]: None} if len(distinct) == 1 else _positions_by(tids)
        lines = []
        for tid, at in groups.items():
            if at is None:
                group, parents, edges = objs, P, E
            else:
                group, parents, edges = (list(map(objs.__getitem__, at)), list(map(P.__getitem__, at)),
                                         list(map(E.__getitem__, at)))
            try:
                lines += self.format_group(types.get(tid), group, parents, edges)
            except RuntimeError:
                # Another thread changed one of them while it was read: one by one, each as it
                # is seen then, or marked.
                lines += list(map(self.line, group, parents, edges))
            del group, parents, edges
        self.add_lines(lines)
        del lines
        if len(self.lines) >= self.run_lines:
            self.flush_run()
        self.check_budgets()

    def add_lines(self, lines):
        """Adds formatted lines (str, each ending in a newline) to the run. They sort as str:
        fields hold no raw surrogate (see ``_esc``), so code point order is the byte order of
        their UTF-8, and the file's; the newline sorts as the end of the line would."""
        self.lines += lines

    # --- formatting in bulk -----------------------------------------------

    def format_group(self, info, objs, P, E):
        """The lines of ``objs``, all of one type (``info``)."""
        if info is None:
            return list(map(self.line, objs, P, E))
        t = info.type
        if t is str:
            lens = list(map(len, objs))
            reprs = (repeat("-") if self.no_contents
                     else self.str_reprs(objs, lens, self.max_repr, self.max_repr, self.max_repr + 64, True))
            sizes = list(map(str.__sizeof__, objs))
            return self.atom_lines("str", reprs, sizes, self.decimals(lens), objs, P, E)
        if t is int:
            reprs = repeat("-") if self.no_contents else self.texts_of(id(int), objs, 0)
            return self.atom_lines("int", reprs, list(map(int.__sizeof__, objs)), repeat("-"), objs, P, E)
        if t is float:
            reprs = repeat("-") if self.no_contents else map(float.__repr__, objs)
            return self.atom_lines("float", reprs, list(map(float.__sizeof__, objs)), repeat("-"), objs, P, E)
        if not info.bulk or len(objs) < _FEW:
            return list(map(self.line, objs, P, E))
        if self.no_contents:
            reprs = repeat("-")
        else:
            reprs = _esc_all(self.texts_of(id(t), objs, 0))
        sizes = list(map(info.sizeof, objs))
        lens = self.decimals(list(map(info.length, objs))) if info.length is not None else repeat("-")
        sites = self.sites_of(objs, info)
        if not self.edges:
            tails = repeat("-\n") if sites is None else map("%s\n".__mod__, sites)
        else:
            if t is _KIND_BASE.get(info.kind):  # an exact dict, list or tuple refers to its items only
                refs = self.item_refs(info, objs)
            else:
                refs = [self.refs(o, info) for o in objs]
            tails = map("%s\t%s\n".__mod__, zip(repeat("-") if sites is None else sites, refs))
        ids = map(int.__format__, map(id, objs), repeat("x"))
        return list(map("\t".join, zip(repeat(info.name), reprs, self.decimals(sizes), lens, ids, P, E, tails)))

    def item_refs(self, info, objs):
        """The ``refs`` fields of exact dicts, lists or tuples ``objs``: the ids of their items
        (a dict's keys and values), read by one C call."""
        items = _items_of(info, objs)
        counts = list(map(len, items))
        ids = list(map(int.__format__, map(id, _chain(items)), repeat("x")))
        del items
        return [text or "-" for text in _joined_runs(" ", ids, counts)]

    def atom_lines(self, name, reprs, sizes, lens, objs, P, E):
        ids = map(int.__format__, map(id, objs), repeat("x"))
        sites = self.sites_of(objs)
        tails = repeat(self.tail) if sites is None else map(self.atom_tail.__mod__, sites)
        return list(map("\t".join, zip(repeat(name), reprs, self.decimals(sizes), lens, ids, P, E, tails)))

    def decimals(self, numbers):
        """``numbers`` (ints >= 0) as text."""
        table = self.decimal
        if max(numbers, default=0) < len(table):
            return map(table.__getitem__, numbers)
        return map(int.__repr__, numbers)

    def item_texts(self, values, depth):
        """``format(v, depth)`` of each of ``values`` (unescaped), grouped by type."""
        if not values:
            return []
        tids = list(map(id, map(type, values)))
        if tids.count(tids[0]) == len(tids):
            return self.texts_of(tids[0], values, depth)
        out = [None] * len(values)
        for tid, at in _positions_by(tids).items():
            texts = self.texts_of(tid, list(map(values.__getitem__, at)), depth)
            collections.deque(map(out.__setitem__, at, texts), 0)
        return out

    def texts_of(self, tid, objs, depth):
        """``format(o, depth)`` of each of ``objs``, all of the type whose id is ``tid``."""
        if tid == _STR_ID:
            limit = self.max_repr if depth == 0 else self.nested_repr
            return self.str_reprs(objs, list(map(len, objs)), limit, limit, limit + 64, False)
        if tid == _INT_ID:
            if -_BIG_INT < min(objs) and max(objs) < _BIG_INT:
                return list(map(int.__repr__, objs))
            return [self.format(o, depth) for o in objs]
        if tid == _FLOAT_ID:
            return list(map(float.__repr__, objs))
        if tid == _NONE_ID:
            return ["None"] * len(objs)
        if tid == _BOOL_ID:
            return list(map(bool.__repr__, objs))
        info = self.info(type(objs[0]))
        if info.kind == "type":
            return list(map(self.class_text, objs))
        if info.bulk == "code":
            return self.code_texts(info, objs)
        if len(objs) >= _FEW:
            # (Any dict, list or tuple subclass: its text shows its items only.)
            if info.kind in _BULK_CONTAINER_KINDS and self.options.max_items:
                return self.container_texts(info, objs, depth)
            if info.bulk == "instance":
                return self.instance_texts(info, objs, depth)
        return [self.format(o, depth) for o in objs]

    def code_texts(self, info, objs):
        """``format(o)`` of functions or code objects ``objs`` (``info``): ``<function qualname
        at file:line>``, ``<code name at file:line>``, read by C descriptors, together."""
        if info.kind == "function":
            codes = list(map(_func_code, objs))
            names = map(_func_qualname, objs)
        else:
            codes, names = objs, map(_code_name, objs)
        template = "<function %s at %s:%d>" if info.kind == "function" else "<code %s at %s:%d>"
        return list(map(template.__mod__, zip(names, map(_code_file, codes), map(_code_line, codes))))

    def class_text(self, cls):
        """``<class module.Name>``, made once per class (it is kept with its text, so that its
        id stays its own until the capture ends)."""
        known = self.class_texts.get(id(cls))
        if known is None:
            known = self.class_texts[id(cls)] = (cls, "<class %s>" % _type_name(cls))
        return known[1]

    def container_texts(self, info, objs, depth):
        """``format(o, depth)`` of plain dicts, lists or tuples ``objs`` (all of type ``info``).

        Items are formatted together, by type; a container whose body is past the room
        (``max_repr``) is cut from those same texts, as :meth:`format_container` cuts it."""
        kind = info.kind
        base = _KIND_BASE[kind]
        open_, close = _BRACKETS[kind]
        lens = list(map(base.__len__, objs))
        # A subclass shows as Name(<literal>).
        prefix, suffix = ("", "") if info.type is base else (info.name + "(", ")")
        if depth >= self.options.max_depth:
            return [prefix + ("%s…%d%s" % (open_, n, close) if n else open_ + close) + suffix for n in lens]
        template = prefix.replace("%", "%%") + open_ + "%s" + close + suffix
        m = self.options.max_items
        tuple_of_one = "," if kind == "tuple" else ""

        def cut(i, parts):  # a body past the room: the parts that fit, then how many more
            n = lens[i]
            shown = _within_room(parts, self.max_repr)
            more = ", …%d" % (n - len(shown)) if n > len(shown) else ""
            return template % (", ".join(shown) + (tuple_of_one if n == 1 else "") + more)

        if kind == "dict":
            # One C call reads the keys and the values (up to m + 1 of each) of every dict.
            views = _chain(zip(map(dict.keys, objs), map(dict.values, objs)))
            heads = list(map(tuple, views if max(lens) <= m else map(islice, views, repeat(m + 1))))
            shapes, rows = heads[0::2], heads[1::2]
            del heads, views
            if (lens == list(map(len, shapes)) and max(lens) <= m
                    and all(_exact_str(_chain(shapes)))):
                return self.wrapped(template, self.shaped_bodies(shapes, rows, depth, False), cut)
            texts = [None] * len(objs)
            shaped = [i for i, (n, k, plain) in enumerate(zip(lens, map(len, shapes), _all_str(shapes)))
                      if plain and n == k <= m]
            if shaped:
                bodies = self.shaped_bodies(list(map(shapes.__getitem__, shaped)),
                                            list(map(rows.__getitem__, shaped)), depth, False)
                collections.deque(map(texts.__setitem__, shaped, self.wrapped(
                    template, bodies, lambda j, parts: cut(shaped[j], parts))), 0)
            del shapes, rows
            rest = [i for i, text in enumerate(texts) if text is None]
            heads = list(map(list, map(islice, map(_chain, map(dict.items, map(objs.__getitem__, rest))),
                                       repeat(2 * m))))
            flat = list(_chain(heads))
            counts = list(map(_floordiv, map(len, heads), repeat(2)))
            del heads
            keys = flat[0::2]
            values = self.item_texts(flat[1::2], depth + 1)
            if self.redact:
                for i in self.secret_positions(keys, False):
                    if self.masks(flat[2 * i + 1]):
                        values[i] = _REDACTED
            parts = list(map("%s: %s".__mod__, zip(self.item_texts(keys, depth + 1), values)))
            del keys, values
        else:
            rest = None
            heads = list(map(base.__getitem__, objs, repeat(slice(0, m))))
            flat = list(_chain(heads))
            counts = list(map(len, heads))
            del heads
            parts = self.item_texts(flat, depth + 1)
        del flat
        bodies = _joined_or_parts(parts, counts, self.max_repr)
        del parts
        if rest is None and lens == counts and (kind != "tuple" or 1 not in lens):
            return self.wrapped(template, bodies, cut)  # all shown, unless past the room
        positions = range(len(bodies)) if rest is None else rest
        out = []
        for i, body, k in zip(positions, bodies, counts):
            if type(body) is not str:
                out.append(cut(i, body))
                continue
            n = lens[i]
            if n > k:
                body += ", …%d" % (n - k)
            elif n == 1 and kind == "tuple":
                body += ","
            out.append(template % body)
        if rest is None:
            return out
        collections.deque(map(texts.__setitem__, rest, out), 0)
        return texts

    def wrapped(self, template, bodies, cut):
        """``template % body`` for each of ``bodies`` (see :meth:`shaped_bodies`); a body past
        the room, given as its parts, is ``cut(index, parts)``."""
        if all(map(_is, map(type, bodies), repeat(str))):
            return list(map(template.__mod__, bodies))
        return [template % body if type(body) is str else cut(i, body) for i, body in enumerate(bodies)]

    def instance_texts(self, info, objs, depth):
        """``format(o, depth)`` of instances ``objs`` of one class (``info``), not in a secret.

        Attribute values are formatted together, by type; an instance whose body is past the
        room (``max_repr``) or that has more than ``max_items`` attributes is cut from those
        same texts, as :meth:`format_instance` cuts it."""
        name = info.name.rpartition(".")[2]
        if depth >= self.options.max_depth:
            return ["%s(…)" % name] * len(objs)
        m = self.options.max_items
        n = len(objs)
        shapes = rows = None
        if info.dict_desc is not None:
            dicts = self.instance_dicts(objs, info)
            if not all(map(_is, map(type, dicts), repeat(dict))):
                empty = {}
                dicts = [d if type(d) is dict else empty for d in dicts]
            heads = list(map(tuple, map(islice, _chain(zip(map(dict.keys, dicts), map(dict.values, dicts))),
                                        repeat(m + 1))))
            del dicts
            shapes, rows = heads[0::2], heads[1::2]
            del heads
        for attr, getter in info.attributes:  # slots: after the dict, all of them
            try:
                values = list(map(getter, objs))
            except AttributeError:  # a slot left unset somewhere: format these one by one
                return [self.format_instance(o, info, depth) for o in objs]
            if shapes is None:
                shapes, rows = [()] * n, [()] * n
            shapes = list(map(_add, shapes, repeat((attr,))))
            rows = list(map(_add, rows, map(_one, values)))
            del values
        if shapes is None:
            return ["%s()" % name] * n
        slots = len(info.attributes)
        template = name.replace("%", "%%") + "(%s)"

        def cut(i, parts):  # the attributes that fit the room, "…" if any is left out, the slots
            attributes = parts[:len(parts) - slots]
            shown = _attributes_within_room(attributes[:m], len(attributes), self.max_repr)
            return template % ", ".join(shown + parts[len(parts) - slots:])

        if max(map(len, shapes)) - slots <= m and all(_exact_str(_chain(shapes))):
            return self.wrapped(template, self.shaped_bodies(shapes, rows, depth, True), cut)
        texts = [None] * n
        named = list(_all_str(shapes))
        # Those with at most max_items attributes, by shape; those with more, cut together.
        for few in (True, False):
            at = [i for i, (k, plain) in enumerate(zip(map(len, shapes), named)) if plain and (k - slots <= m) == few]
            if not at:
                continue
            group = list(map(shapes.__getitem__, at)), list(map(rows.__getitem__, at))
            bodies = self.shaped_bodies(*group, depth, True) if few else self.loose_bodies(*group, depth, True, -1)
            collections.deque(map(texts.__setitem__, at, self.wrapped(
                template, bodies, lambda j, parts: cut(at[j], parts))), 0)
        # A key that is not an exact str (put in the __dict__ by hand): one by one.
        return [self.format_instance(o, info, depth) if text is None else text for o, text in zip(objs, texts)]

    def shaped_bodies(self, shapes, rows, depth, attrs):
        """The bodies of containers shown whole, ``k: v, …`` (``attrs``: ``k=v, …``), given
        their key tuples ``shapes`` (exact str) and value tuples ``rows``. The containers of a
        shape that repeats share one template, each column of values formatted in bulk; the
        others are formatted together, key by key. A body past the room (``max_repr``) is
        given as its list of parts, for the caller to cut."""
        bodies = [None] * len(rows)
        loose = []
        limit = self.max_repr
        for shape, at in _positions_by(shapes).items():
            if len(at) == 1:
                loose += at
                continue
            template, heads, secret = self.template(shape, attrs)
            if heads:
                table = list(zip(*map(rows.__getitem__, at)))
                texts = [self.secret_texts(list(column), depth + 1) if j in secret
                         else self.item_texts(list(column), depth + 1) for j, column in enumerate(table)]
                del table
                values = list(zip(*texts))  # each container's value texts
                del texts
                out = list(map(template.__mod__, values))
                if max(map(len, out)) > limit:
                    for k in list(compress(range(len(out)), map(limit.__lt__, map(len, out)))):
                        out[k] = list(map(_add, heads, values[k]))
                del values
            else:
                out = [template] * len(at)
            collections.deque(map(bodies.__setitem__, at, out), 0)
        if loose:
            out = self.loose_bodies(list(map(shapes.__getitem__, loose)), list(map(rows.__getitem__, loose)),
                                    depth, attrs)
            collections.deque(map(bodies.__setitem__, loose, out), 0)
        return bodies

    def loose_bodies(self, shapes, rows, depth, attrs, limit=None):
        """:meth:`shaped_bodies` of containers whose shapes do not repeat: no template, the keys
        and the values of all formatted together. A body past ``limit`` (``max_repr``; -1: all)
        is given as its list of parts."""
        keys = list(_chain(shapes))
        row_values = list(_chain(rows))
        values = self.item_texts(row_values, depth + 1)
        if self.redact:
            for i in self.secret_positions(keys, False):
                if self.masks(row_values[i]):
                    values[i] = _REDACTED
        del row_values
        if attrs:
            parts = list(map("%s=%s".__mod__, zip(keys, values)))
        else:
            names = self.str_reprs(keys, list(map(len, keys)), self.nested_repr, self.nested_repr,
                                   self.nested_repr + 64, False)
            parts = list(map("%s: %s".__mod__, zip(names, values)))
        del keys, values
        return _joined_or_parts(parts, list(map(len, shapes)), self.max_repr if limit is None else limit)

    def secret_texts(self, values, depth):
        """The texts of ``values`` held under a secret-looking name: ``<redacted>``, but for
        code and definitions (see :meth:`masks`), formatted."""
        out = [_REDACTED] * len(values)
        shown = [i for i, v in enumerate(values) if not self.masks(v)]
        if shown:
            collections.deque(map(out.__setitem__, shown, self.item_texts(list(map(values.__getitem__, shown)), depth)), 0)
        return out

    def template(self, shape, attrs):
        """The %-template of the body of a container with keys ``shape`` (exact str, a shape
        that repeats: the template is kept), one ``%s`` a value; each value's head (``k: ``,
        ``k=``); and the positions of the values under secret-looking names (see
        :meth:`secret_texts`)."""
        found = self.templates.get((shape, attrs))
        if found is None:
            names = list(shape)
            secret = frozenset(self.secret_positions(names)) if self.redact else frozenset()
            if attrs:
                shown, between = names, "="
            else:
                shown = self.str_reprs(names, list(map(len, names)), self.nested_repr, self.nested_repr,
                                       self.nested_repr + 64, False)
                between = ": "
            heads = [text + between for text in shown]
            found = (", ".join([head.replace("%", "%%") + "%s" for head in heads]), heads, secret)
            if len(self.templates) < _KEY_CACHE:
                self.templates[(shape, attrs)] = found
        return found

    def secret_positions(self, names, remember=True):
        """Indexes of the exact str ``names`` that look secret (dict keys, attribute names);
        with ``remember``, the verdicts are kept for the names met again."""
        at = list(compress(range(len(names)), _exact_str(names)))
        strs = list(map(names.__getitem__, at))
        if not remember:
            found = set(self.secret_names(list(dict.fromkeys(strs))))
            self.masked_names.update(found)
            return list(compress(at, map(found.__contains__, strs)))
        verdicts = self.key_verdicts
        if len(verdicts) > _KEY_CACHE:
            verdicts.clear()
        unjudged = list(dict.fromkeys(filterfalse(verdicts.__contains__, strs)))
        if unjudged:
            found = set(self.secret_names(unjudged))
            verdicts.update(zip(unjudged, map(found.__contains__, unjudged)))
            self.masked_names.update(found)
        return list(compress(at, map(verdicts.__getitem__, strs)))

    def str_reprs(self, strs, lens, cut_above, cut_to, window, escape):
        """Reprs of ``strs`` (of lengths ``lens``): those longer than ``cut_above`` cut to
        ``cut_to`` characters and ``…``; credential-shaped ones ``<redacted>``; with
        ``escape``, backslashes doubled for a field of the line."""
        longest = max(lens, default=0)
        if longest > cut_above:
            view = list(strs)
            long_ones = list(compress(range(len(view)), map(_gt, lens, repeat(cut_above))))
            for i in long_ones:
                view[i] = str.__getitem__(view[i], slice(0, cut_to))
            reprs = list(map(str.__repr__, view))
            del view
            for i in long_ones:
                reprs[i] += "…"
        else:
            reprs = list(map(str.__repr__, strs))
        joined = "\0".join(reprs)  # a repr has no NUL: it is escaped
        if self.secret_value is not None and longest >= _MIN_SECRET:
            # Every credential shape starts with an anchor; only reprs showing one are checked.
            starts = None
            for anchor in _ANCHORS:
                at = joined.find(anchor)
                while at >= 0:
                    if starts is None:
                        starts = list(accumulate(map(len, reprs), _plus_one, initial=0))
                    i = bisect.bisect_right(starts, at) - 1
                    s = strs[i]
                    if len(s) >= _MIN_SECRET and self.secret_value(s, 0, window):
                        reprs[i] = _REDACTED
                    at = joined.find(anchor, starts[i + 1])
        if escape and "\\" in joined:
            reprs = list(map(str.replace, reprs, repeat("\\"), repeat("\\\\")))
        return reprs

    def key_labels_of(self, keys, cache=True):
        """Edge labels ``['key']`` of the values under str ``keys``; cached, secret keys noted."""
        lens = list(map(len, keys))
        limit = self.max_repr if self.options.max_depth == 0 else self.nested_repr
        reprs = self.str_reprs(keys, lens, max(64, limit), limit, 4096, True)
        labels = list(map("[%s]".__mod__, reprs))
        if cache and len(self.key_labels) < _KEY_CACHE:
            # Only the labels of key objects met before (attribute names, JSON keys): a cache
            # holding a key met once would make it look shared. Ids do not hold anything.
            met = self.keys_met
            if not met.isdisjoint(map(id, keys)):
                self.key_labels.update(kl for kl in zip(keys, labels) if id(kl[0]) in met)
            if len(met) > _KEYS_MET:
                met.clear()
            met.update(map(id, keys))
        if self.redact:
            # (Not into key_verdicts: a cache holding each key would make it look shared.)
            self.masked_names.update(self.secret_names(keys))
        return labels

    def secret_names(self, names):
        """The str ``names`` that look secret (dict keys, attribute names)."""
        joined = "\0".join(names)
        search = self.options.secret_keys
        if self.lower_keys is not None:
            # A pattern without capitals matches case-insensitively what it matches in lower
            # case, and far faster than with IGNORECASE (when lowering keeps every position).
            lowered = joined.lower()
            if len(lowered) == len(joined):
                search, joined = self.lower_keys, lowered
        found = []
        starts = None
        for match in search.finditer(joined):
            if starts is None:
                starts = list(accumulate(map(len, names), _plus_one, initial=0))
            i = bisect.bisect_right(starts, match.start()) - 1
            if match.end() > starts[i] + len(names[i]):
                # A user's pattern matched across names: ask name by name instead.
                search = self.options.secret_keys
                return [name for name in names if search.search(name)]
            found.append(names[i])
        return found

    # --- one object at a time ---------------------------------------------

    def info(self, t):
        """The :class:`_TypeInfo` of type ``t``, cached for this capture."""
        info = self.types.get(id(t))
        if info is None:
            info = self.types[id(t)] = _TypeInfo(t)
            if info.expandable:
                self.expandable.add(id(t))
        return info

    def is_secret_key(self, name):
        """Whether dict key or attribute ``name`` (a str) looks secret; cached."""
        verdict = self.key_verdicts.get(name)
        if verdict is None:
            if len(self.key_verdicts) > _KEY_CACHE:
                self.key_verdicts.clear()
            verdict = self.key_verdicts[name] = bool(self.options.secret_keys.search(name))
            if verdict:
                self.masked_names.add(name)
        return verdict

    def str_key_label(self, k):
        """The edge label of a dict value under the str key ``k``: cached, or made now."""
        return self.key_labels.get(k) or self.key_labels_of([k])[0]

    def key_label(self, k):
        """The escaped edge label of a dict value under a key ``k`` that is not a str."""
        return _esc("[%s]" % self.key_texts([k])[0])

    def key_texts(self, keys):
        """The texts of dict ``keys`` (not str) in edge labels: cut at the deepest level, but a
        tuple shows its items, ``[('/orders/5', 5)]``, not ``[(…2)]``."""
        depth = self.options.max_depth
        tuples = [i for i, k in enumerate(keys) if type(k) is tuple]
        if not tuples:
            return self.item_texts(keys, depth)
        others = [i for i, k in enumerate(keys) if type(k) is not tuple]
        texts = [None] * len(keys)
        for at, at_depth in ((tuples, max(depth - 1, 0)), (others, depth)):
            collections.deque(map(texts.__setitem__, at, self.item_texts(list(map(keys.__getitem__, at)), at_depth)), 0)
        return texts

    def line(self, o, parent, edge, rep=None):
        """The line of any object, formatted on its own; ``rep`` replaces its contents when given."""
        info = self.info(type(o))
        try:
            size = info.sizeof(o)
        except Exception:
            size = 0
        length = "-"
        if info.length is not None:
            try:
                length = info.length(o)
            except Exception:
                pass
        if rep is None:
            if self.no_contents:
                rep = "-"
            else:
                try:
                    rep = _esc(self.format(o, 0))
                except RuntimeError:
                    # Another thread resized it while we read it: say so rather than fail.
                    self.changed += 1
                    rep = _CHANGED
        site = self.site(o, info) if self.tracing else "-"
        if self.edges:
            site += "\t" + self.refs(o, info)
        return "%s\t%s\t%d\t%s\t%x\t%s\t%s\t%s\n" % (info.name, rep, size, length, id(o), parent, edge, site)

    def refs(self, o, info):
        """The ``refs`` field: ids of what ``o`` refers to, space-separated, or ``-``."""
        if not info.expandable:
            return "-"
        if info.kind == "dict":
            # dict's own traversal skips str keys (they cannot form cycles); they are held all the same.
            # Each key before its value, as item_refs lists them.
            refs = list(_chain(dict.items(o)))
        elif info.kind == "frame":
            # A running frame's traversal leaves its locals to the thread: name them as the walk does.
            refs = [v for _, v in self.frame_locals(o)]
            refs += [v for v in (getattr(o, attr) for attr in _FRAME_ATTRS) if v is not None]
        else:
            if info.dict_desc is not None:
                self.instance_dict(o, info)  # the walk creates it anyway: let it be the referent
            refs = gc.get_referents(o)
        text = " ".join(map("%x".__mod__, map(id, refs))) if refs else "-"
        del refs
        return text

    def instance_dicts(self, objs, info):
        """:meth:`instance_dict` of each of ``objs`` (of class ``info``), by one C call when
        none fails."""
        try:
            return list(map(info.dict_desc.__get__, objs))
        except Exception:
            return list(map(self.instance_dict, objs, repeat(info)))

    def instance_dict(self, o, info):
        desc = info.dict_desc
        if desc is None:
            # A SimpleNamespace's dict: the last dict among its referents (its base's C
            # traversal comes after a subclass's slots).
            return next((r for r in reversed(gc.get_referents(o)) if type(r) is dict), None) \
                if info.kind == "namespace" else None
        try:
            return desc.__get__(o)
        except Exception:
            return None

    def format(self, o, depth):
        """Bounded contents of ``o``; never calls user code."""
        opts = self.options
        t = type(o)
        if self.masking and (t is str or t is int or t is float or t is complex
                             or self.info(t).kind in _MASKED_KINDS):
            return _REDACTED
        if t is str:
            limit = opts.max_repr if depth == 0 else max(16, opts.max_repr // 4)
            if self.secret_value is not None and len(o) >= _MIN_SECRET and self.secret_value(o, 0, limit + 64):
                return _REDACTED
            if len(o) > limit:
                return str.__repr__(o[:limit]) + "…"
            return str.__repr__(o)
        if t is int:
            if o.bit_length() > 128:
                return ("<int -%d bits>" if o < 0 else "<int %d bits>") % o.bit_length()
            return int.__repr__(o)
        if t is float or t is bool or o is None:
            return repr(o)
        info = self.info(t)
        kind = info.kind
        name = info.name
        if info.shown_as is not None:
            text = self.format_enum_member(o, info, depth) if info.shown_as == "enum" else self.format_uuid(o, info)
            if text is not None:
                return text
        if kind == "str":
            return "%s(%s)" % (name, self.format(str.__getitem__(o, slice(0, opts.max_repr)), depth + 1))
        if kind in ("bytes", "bytearray"):
            base = bytes if kind == "bytes" else bytearray
            n = base.__len__(o)
            cut = base.__getitem__(o, slice(0, opts.max_repr // 2))
            text = bytes.__repr__(bytes(cut)) + ("…" if n > len(cut) else "")
            return text if t is bytes else "%s(%s)" % (name, text)
        if kind in _CONTAINER_KINDS:
            return self.format_container(o, t, info, depth)
        if kind == "array":
            return self.format_array(o, info, depth)
        if kind == "ndarray":
            dtype, shape = info.accessors[0](o), info.accessors[1](o)
            if type(shape) is not tuple or not all(type(n) is int for n in shape):
                return "<%s %s ?>" % (name, self.dtype_name(dtype))
            return "<%s %s %s>" % (name, self.dtype_name(dtype), tuple.__repr__(shape))
        if kind == "instance" or kind == "namespace":
            return self.format_instance(o, info, depth)
        if kind == "module":
            d = _module_dict(o)
            return "<module %s>" % self.format(dict.get(d, "__name__"), 1) if type(d) is dict else "<module>"
        if kind == "type":
            return self.class_text(o)
        if kind == "function":
            code = _func_code(o)
            return "<function %s at %s:%d>" % (_func_qualname(o), _code_file(code), _code_line(code))
        if kind == "code":
            return "<code %s at %s:%d>" % (_code_name(o), _code_file(o), _code_line(o))
        if kind == "frame":
            code = o.f_code
            return "<frame %s at %s:%s>" % (code.co_name, code.co_filename, o.f_lineno)
        if kind == "method":
            func = types.MethodType.__dict__["__func__"].__get__(o)
            return "<bound method %s of %s>" % (self.format_name(func), _type_name(type(types.MethodType.__dict__["__self__"].__get__(o))))
        if kind == "builtin":
            return "<built-in %s>" % (types.BuiltinFunctionType.__dict__["__qualname__"].__get__(o),)
        if kind == "exception":
            return self.format_exception(o, info, depth)
        if kind == "traceback":
            code = o.tb_frame.f_code
            return "<traceback %s at %s:%s>" % (code.co_name, code.co_filename, o.tb_lineno)
        if kind == "suspendable":
            code_of, qualname_of, _ = _SUSPENDABLE[id(t)]
            code = code_of(o)
            return "<%s %s at %s:%d>" % (name, qualname_of(o), code.co_filename, code.co_firstlineno)
        if kind == "lru_cache":
            d = self.instance_dict(o, info)
            qualname = dict.get(d, "__qualname__") if type(d) is dict else None
            return "<%s %s>" % (name, qualname) if type(qualname) is str else "<%s>" % name
        if kind == "weakref":
            target = _weakref.ref.__call__(o)
            if target is None:
                return "<%s dead>" % name
            named = self.info(type(target)).kind in _NAMED_KINDS  # a class, a function …: which one
            return "<%s to %s>" % (name, self.format(target, opts.max_depth) if named else self.info(type(target)).name)
        if kind == "future":
            state_of, coro_of = info.future
            state = state_of(o)
            state = str.lower(state) if type(state) is str else "?"
            if coro_of is None:
                return "<%s %s>" % (name, state)
            return "<%s %s %s>" % (name, state, self.format(coro_of(o), depth + 1))
        if kind == "context":
            names = sorted(map(_var_name, _Context.keys(o)))
            more = len(names) - opts.max_items
            return "<%s (%s%s)>" % (name, ", ".join(names[:opts.max_items]), ", …%d" % more if more > 0 else "")
        if kind == "context_var":
            return "<%s %s>" % (name, _var_name(o))
        if kind == "thread_local":
            n = len(self.per_thread_dict(o))
            return "<%s, %d thread%s>" % (name, n, "" if n == 1 else "s")
        if kind == "value":
            return self.format_value(o, info)
        if kind == "cell":
            try:
                inner = _CellType.__dict__["cell_contents"].__get__(o)
            except ValueError:
                return "<cell empty>"
            return "<cell %s>" % self.format(inner, depth + 1) if depth < opts.max_depth else "<cell …>"
        return "<%s>" % name

    def format_value(self, o, info):
        """A C value type's own repr (see _VALUE_TYPES): ``datetime.datetime(2026, 12, 3, 21, 2, 7)``,
        ``Decimal('19.99')``, ``(1+2j)``; a tzinfo other than a C timezone named by its class."""
        show, tzinfo_of, replace = info.accessors
        if show is None:
            text = "Decimal('%s')" % _decimal_text(replace(o))
        else:
            tz = None if tzinfo_of is None else tzinfo_of(o)
            if tz is None or self.info(type(tz)).name == _TIMEZONE and _made_in_c(type(tz)):
                text = show(o)
            else:
                text = show(replace(o, tzinfo=None))[:-1] + ", tzinfo=<%s>)" % self.info(type(tz)).name
        if type(text) is not str:
            return "<%s>" % info.name
        return text if len(text) <= self.max_repr else text[:self.max_repr] + "…"

    def dtype_name(self, dtype):
        """The name of numpy dtype ``dtype``, or ``?``, read once per dtype (arrays share a few)."""
        known = self.dtype_names.get(id(dtype))
        if known is None:
            getter = _dtype_name_getter(type(dtype))
            name = getter(dtype) if getter is not None else None
            known = self.dtype_names[id(dtype)] = (dtype, name if type(name) is str else "?")  # (holds it: its id stays)
        return known[1]

    def format_exception(self, o, info, depth):
        """``ValueError('message')``: an exception of a builtin class, with its args."""
        name = info.name.rpartition(".")[2]
        if depth >= self.options.max_depth:
            return name + "(…)"
        return "%s(%s)" % (name, ", ".join(self.exception_args(o, depth)))

    def exception_args(self, o, depth=0):
        """The texts of exception ``o``'s args (``…N`` for those past ``max_items``)."""
        args = _EXCEPTION_ATTRS["args"](o)
        if type(args) is not tuple:
            return []
        shown = [self.format_item(v, depth + 1) for v in args[:self.options.max_items]]
        if len(args) > len(shown):
            shown.append("…%d" % (len(args) - len(shown)))
        return shown

    def format_name(self, o):
        t = type(o)
        if t is types.FunctionType:
            return _func_qualname(o)
        return "<%s>" % self.info(t).name

    def format_item(self, v, depth):
        """:meth:`format` of a nested item, with the common atomic types inline."""
        if self.masking:
            return self.format(v, depth)
        t = type(v)
        if t is str:
            if self.secret_value is not None and len(v) >= _MIN_SECRET and self.secret_value(v, 0, self.nested_repr + 64):
                return _REDACTED
            if len(v) <= self.nested_repr:
                return str.__repr__(v)
            return str.__repr__(v[:self.nested_repr]) + "…"
        if t is int and -_BIG_INT < v < _BIG_INT:
            return int.__repr__(v)
        if t is float:
            return float.__repr__(v)
        return self.format(v, depth)

    def format_container(self, o, t, info, depth):
        opts = self.options
        kind = info.kind
        n = info.length(o)
        open_, close = _BRACKETS[kind]
        if n == 0:
            text = "set()" if kind == "set" else "frozenset()" if kind == "frozenset" else open_ + close
        elif depth >= opts.max_depth:
            text = "%s…%d%s" % (open_, n, close)
        else:
            max_items = opts.max_items
            item = self.format_item
            inner = depth + 1
            if kind == "dict":
                verdicts = self.key_verdicts

                def part(k, v):
                    if (self.redact and type(k) is str and (verdicts[k] if k in verdicts else self.is_secret_key(k))
                            and self.masks(v)):
                        return item(k, inner) + ": " + _REDACTED
                    return item(k, inner) + ": " + item(v, inner)

                # (Taken by one C call, as below: formatting an item runs Python code, where
                # another thread may resize the dict.)
                parts = _within_room(starmap(part, list(islice(dict.items(o), max_items))), opts.max_repr)
            else:
                # (Taken by one C call: a deque or set changed by another thread while its
                # items are formatted would stop an iterator.)
                parts = _within_room(map(item, list(islice(info.iterate(o), max_items)), repeat(inner)),
                                     opts.max_repr)
                if kind in ("set", "frozenset") and n <= max_items:
                    parts.sort()
            more = ", …%d" % (n - len(parts)) if n > len(parts) else ""
            comma = "," if kind == "tuple" and n == 1 else ""
            text = "%s%s%s%s%s" % (open_, ", ".join(parts), comma, more, close)
            if kind == "frozenset":
                text = "frozenset(%s)" % text
        if kind == "deque":
            maxlen = _DEQUE_MAXLEN(o)
            text = "%s(%s%s)" % ("deque" if t is collections.deque else info.name, text,
                                 "" if maxlen is None else ", maxlen=%d" % maxlen)
        elif t is not _KIND_BASE[kind]:
            return "%s(%s)" % (info.name, text)
        return text

    def format_array(self, o, info, depth):
        """``array('d', [0.5, 1.5, …998])``: an array.array's typecode and first items."""
        typecode_of, tolist, getitem = info.accessors
        n = info.length(o)
        typecode = typecode_of(o)
        if n == 0:
            items = "[]"
        elif depth >= self.options.max_depth:
            items = "[…%d]" % n
        else:
            first = tolist(getitem(o, slice(0, self.options.max_items)))
            more = ", …%d" % (n - len(first)) if n > len(first) else ""
            items = "[%s%s]" % (", ".join([self.format_item(v, depth + 1) for v in first]), more)
        name = "array" if type(o) is info.length.__objclass__ else info.name
        return "%s(%s, %s)" % (name, str.__repr__(typecode) if type(typecode) is str else "?", items)

    def attribute_value(self, name, v, depth):
        """Formatted attribute value, masked when the name looks secret."""
        if self.redact and type(name) is str and self.is_secret_key(name) and self.masks(v):
            return _REDACTED
        return self.format(v, depth + 1)

    def format_instance(self, o, info, depth):
        name = info.name.rpartition(".")[2]
        if depth >= self.options.max_depth:
            return "%s(…)" % name
        if info.exception:
            parts = self.exception_args(o, depth)
            d = _exception_dict(o)
        else:
            parts = []
            d = self.instance_dict(o, info)
        if type(d) is dict:
            # The attributes that fit the room, within max_items parts (an exception's args
            # count), then "…" if any is left out.
            most = max(self.options.max_items - len(parts), 0)
            items = list(islice(dict.items(d), most + 1))  # (one C call)

            def part(k, v):
                return "%s=%s" % (k if type(k) is str else self.format(k, depth + 1), self.attribute_value(k, v, depth))

            parts += _attributes_within_room(starmap(part, items[:most]), len(items), self.options.max_repr)
        for slot, getter in info.attributes:
            try:
                v = getter(o)
            except AttributeError:
                continue
            parts.append("%s=%s" % (slot, self.attribute_value(slot, v, depth)))
        return "%s(%s)" % (name, ", ".join(parts))

    def format_uuid(self, o, info):
        """A ``uuid.UUID`` as Python shows it, ``UUID('12345678-1234-5678-1234-567812345678')``,
        from its ``int`` slot; None if that is not a 128-bit int."""
        if self.masking:
            return "UUID(%s)" % _REDACTED
        try:
            number = info.attributes[0][1](o)
        except AttributeError:
            return None
        if type(number) is not int or not 0 <= number < 1 << 128:
            return None
        h = "%032x" % number
        return "UUID('%s-%s-%s-%s-%s')" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def format_enum_member(self, o, info, depth):
        """An Enum member as Python shows it, ``<Color.RED: 1>`` (``<Perm: 6>``, a combination of
        flags before 3.11), from the ``_name_`` and ``_value_`` of its instance dict; None if
        they are not there."""
        d = self.instance_dict(o, info) if info.dict_desc is not None else None
        if type(d) is not dict or "_name_" not in d or "_value_" not in d:
            return None
        member, value = dict.__getitem__(d, "_name_"), dict.__getitem__(d, "_value_")
        if member is not None and type(member) is not str:
            return None
        value = self.format(value, depth + 1) if depth < self.options.max_depth else "…"
        name = info.name.rpartition(".")[2]
        return "<%s: %s>" % (name if member is None else name + "." + member, value)

    # --- allocation sites ---------------------------------------------------

    def start_sites(self):
        self.tracing = _tracemalloc.is_tracing()
        self.traceback = _tracemalloc._get_object_traceback
        self.traceback_at = _traceback_at() if self.tracing and _SITE_LOOKUP_MISSES_PREHEADER else None

    def site(self, o, info=None):
        """The ``site`` field of ``o`` (of type ``info``, when known)."""
        preheader = (info or self.info(type(o))).preheader
        if preheader and self.traceback_at is not None:
            return self.site_text(self.traceback_at(0, id(o) - preheader))
        return self.site_text(self.traceback(o))

    def site_text(self, frames):
        """A traceback (``(file, line)`` pairs, innermost first) as a site field; made once each."""
        if not frames:
            return "-"
        site = self.site_texts.get(frames)
        if site is None:
            site = self.site_texts[frames] = _esc("<".join("%s:%d" % (f, n) for f, n in frames))
        return site

    def sites_of(self, objs, info=None):
        """The ``site`` field of each of ``objs`` (all of type ``info``, when given), or None when
        tracemalloc is off."""
        if not self.tracing:
            return None
        if info is not None and info.preheader and self.traceback_at is not None:
            addresses = map(int.__sub__, map(id, objs), repeat(info.preheader))
            return list(map(self.site_text, map(self.traceback_at, repeat(0), addresses)))
        return list(map(self.site_text, map(self.traceback, objs)))

    # --- output ------------------------------------------------------------

    def check_budgets(self):
        """Drops contents for the rest once a budget is spent (checked every _BATCH objects)."""
        if self.degraded is None and self.total() >= self.check_at:
            self.check_at = (self.total() // _BATCH + 1) * _BATCH
            opts = self.options
            if opts.max_objects is not None and self.total() >= opts.max_objects:
                self.degrade("max_objects=%d reached" % opts.max_objects)
            elif self.deadline is not None and time.perf_counter() >= self.deadline:
                self.degrade("max_seconds=%g reached" % opts.max_seconds)

    def degrade(self, reason):
        self.degraded = "%s after %d objects: contents dropped for the rest" % (reason, self.total())
        self.no_contents = True

    def flush_run(self):
        """Sorts the lines so far and writes them to a run file, with every block's first line."""
        lines = self.lines
        lines.sort()
        self.count += len(lines)
        tmp = "%s.run%d.%d" % (self.path, os.getpid(), len(self.runs))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        run = _Run(tmp)
        self.runs.append(run)
        with open(fd, "wb") as f:
            for start in range(0, len(lines), _BLOCK):
                block = lines[start:start + _BLOCK]
                data = _utf8("".join(block))
                run.add_block(_utf8(block[0][:-1]), len(data))
                f.write(data)
        lines.clear()

    def total(self):
        """Objects recorded so far."""
        return self.count + len(self.lines)

    def header(self, started, rss, duration):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)) + ".%06dZ" % int((started % 1) * 1e6)
        fields = [
            ("pid", str(os.getpid())),
            ("time", stamp),
            ("python", "%s %s" % (platform.python_version(), platform.python_implementation())),
            ("host", socket.gethostname()),
            ("rss", str(rss) if rss is not None else "-"),
            ("objects", str(self.total())),
            ("unreached", str(self.unreached)),
            ("garbage", str(self.garbage)),
            ("changed", str(self.changed)),
            ("duration", "%.3f" % duration),
            ("gc", self.gc_state()),
            ("options", self.options.describe() + (" tracemalloc=1" if self.tracing else "")),
            ("redaction", self.options.describe_redaction()),
            ("writer", "heapsnap.py@" + __version__),
        ]
        if self.degraded is not None:
            fields.append(("degraded", self.degraded))
        columns = COLUMNS + ("refs",) if self.edges else COLUMNS
        out = ["#heapsnap %s\n" % FORMAT_VERSION, "#columns\t%s\n" % "\t".join(columns)]
        out.extend("#%s\t%s\n" % (k, _esc(v)) for k, v in fields)
        return "".join(out)

    def gc_state(self):
        """``enabled`` or ``disabled`` (the process's collector), and `` frozen=N`` after gc.freeze()."""
        frozen = gc.get_freeze_count() if hasattr(gc, "get_freeze_count") else 0
        return ("enabled" if self.gc_enabled else "disabled") + (" frozen=%d" % frozen if frozen else "")

    def write(self, header):
        directory = os.path.dirname(os.path.abspath(self.path))
        tmp = os.path.join(directory, ".%s.tmp%d" % (os.path.basename(self.path), os.getpid()))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        out = None
        try:
            with open(fd, "wb") as raw:
                out = _GzipMembers(raw, self.options.compresslevel) if self.compress else raw
                out.write(header.encode("utf-8", "replace"))
                for chunk in self.sorted_chunks():
                    out.write(chunk)
                out.write(("#end\t%d\n" % self.total()).encode())
                if out is not raw:
                    out.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(directory)
        except BaseException:
            if type(out) is _GzipMembers:
                out.stop()
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            for run in self.runs:
                run.remove()
            self.lines.clear()
        return self.path

    def sorted_chunks(self):
        """All lines in byte order, as UTF-8 chunks of about ``_PARTITION`` lines.

        With runs on disk, the order is cut into ranges at sampled lines; each range is read
        from every run, sorted (the runs' pieces are sorted already: a C merge) and yielded.
        """
        if not self.runs:
            lines = self.lines
            lines.sort()
            for start in range(0, len(lines), _PARTITION):
                yield _utf8("".join(lines[start:start + _PARTITION]))
            return
        if self.lines:
            self.flush_run()
        runs = self.runs
        step = max(1, _PARTITION // _BLOCK)
        bounds = sorted(_chain(run.heads for run in runs))[step::step]
        files = [open(run.path, "rb") for run in runs]
        try:
            starts = [0] * len(runs)
            for bound in bounds + [None]:
                lines = []
                for r, run in enumerate(runs):
                    f = files[r]
                    end = run.size() if bound is None else run.position(f, bound)
                    if end > starts[r]:
                        lines += _Run.lines_between(f, starts[r], end)
                        starts[r] = end
                if lines:
                    lines.sort()
                    lines.append(b"")
                    yield b"\n".join(lines)
                del lines
        finally:
            for f in files:
                f.close()


# tracemalloc finds the line of the innermost frame for each allocation it traces by scanning
# that code's line table from the start (3.11 keeps the lines only of code that ran under a
# tracer or profiler). Late in the capture's long methods that cost up to 15 us an allocation:
# a traced capture took 12x an untraced one. So a capture under tracing gives the capture's
# methods copies of their code with empty line tables (made once), and tracemalloc finds no
# line at once. The capture holds the originals meanwhile, where no snapshot sees them (code
# objects are not tracked by gc), and puts them back at the end. A traceback through the
# copies gets its lines back (_restore_lines).
_LINE_TABLE = "co_linetable" if sys.version_info >= (3, 10) else "co_lnotab"
_LINE_FREE_COPIES = {}  # id(code of a _Capture method) -> that code with no line table
_LINE_FREE_LOCK = _thread.allocate_lock()  # held while the methods run their copies


def _capture_functions():
    for value in list(_Capture.__dict__.values()):
        f = value.__func__ if type(value) is staticmethod else value
        if type(f) is types.FunctionType:
            yield f


def _drop_line_tables():
    """Gives ``_Capture``'s methods code without line tables; returns ``{id(copy): original}``
    for :func:`_put_back_line_tables`, or None when another capture has done it already."""
    if not _LINE_FREE_LOCK.acquire(False):
        return None
    originals = {}
    for f in _capture_functions():
        code = f.__code__
        copy = _LINE_FREE_COPIES.get(id(code))
        if copy is None or copy.co_consts is not code.co_consts:  # (not made from this code)
            copy = _LINE_FREE_COPIES[id(code)] = code.replace(**{_LINE_TABLE: b""})
        originals[id(copy)] = code
        f.__code__ = copy
    return originals


def _put_back_line_tables(originals):
    for f in _capture_functions():
        f.__code__ = originals.get(id(f.__code__), f.__code__)
    _LINE_FREE_LOCK.release()


def _restore_lines(error, originals):
    """Cuts ``error``'s traceback before its first frame that runs code without a line table,
    and adds the frames from there on as a note, with the lines of the code they copy where
    ``originals`` knows it (3.11+: the traceback module cannot print such a frame there; 3.8-3.10
    print it with the def line or -1)."""
    if not hasattr(error, "add_note"):
        return
    tb, last_kept = error.__traceback__, None
    while tb is not None and getattr(tb.tb_frame.f_code, _LINE_TABLE):
        tb, last_kept = tb.tb_next, tb
    if tb is None or last_kept is None:
        return
    last_kept.tb_next = None
    lines = ["heapsnap ran these frames without line tables (tracemalloc is on); with their lines:"]
    while tb is not None:
        code, line = tb.tb_frame.f_code, tb.tb_lineno
        if not getattr(code, _LINE_TABLE):
            original = (originals or {}).get(id(code))
            line = original and next((n for start, end, n in original.co_lines() if start <= tb.tb_lasti < end), None)
        lines.append('  File "%s", line %s, in %s' % (code.co_filename, line, code.co_name))
        tb = tb.tb_next
    error.add_note("\n".join(lines))


class _Run:
    """A sorted run of lines on disk, in blocks of ``_BLOCK`` lines; each block's first line
    is kept, so a line's place in the run is found with one block read."""

    __slots__ = ("path", "heads", "offsets")

    def __init__(self, path):
        self.path = path
        self.heads = []  # first line of each block, without its newline
        self.offsets = [0]  # byte offset of each block, and the end

    def add_block(self, head, size):
        self.heads.append(head)
        self.offsets.append(self.offsets[-1] + size)

    def size(self):
        return self.offsets[-1]

    def position(self, f, line):
        """Byte offset of the first line >= ``line`` in this run (read through ``f``)."""
        block = bisect.bisect_right(self.heads, line) - 1
        if block < 0:
            return 0
        start = self.offsets[block]
        lines = self.lines_between(f, start, self.offsets[block + 1])
        k = bisect.bisect_left(lines, line)
        return start + sum(map(len, lines[:k])) + k

    @staticmethod
    def lines_between(f, start, end):
        """The lines (without newlines) of run file ``f`` from byte ``start`` to ``end``, which
        are line boundaries."""
        f.seek(start)
        lines = f.read(end - start).split(b"\n")
        lines.pop()
        return lines

    def remove(self):
        if os.path.exists(self.path):
            os.unlink(self.path)


class _GzipMembers:
    """Writes byte chunks to ``sink`` as gzip members, compressed by worker threads (zlib
    releases the GIL) and written in order. Readers see one stream: gzip allows many members.
    The first member's header carries the total text size (extra field ``HS``, FORMAT.md), so
    that readers can size their buffer at once."""

    def __init__(self, sink, level, workers=2, ahead=2):
        self.sink = sink
        self.start = sink.tell()
        self.level = level
        self.ahead = ahead
        self.total = 0
        self.pending = collections.deque()  # [chunk, member or exception, done event, first?], in order
        self.work = queue.Queue()
        self.threads = [threading.Thread(target=self.compress, name="heapsnap-gzip", daemon=True)
                        for _ in range(workers)]
        for thread in self.threads:
            thread.start()

    def compress(self):
        while True:
            item = self.work.get()
            if item is None:
                return
            chunk = item[0]
            try:
                if item[3]:
                    z = zlib.compressobj(self.level, zlib.DEFLATED, -15)  # raw deflate, our own header
                    item[1] = b"".join((_GZIP_HEAD, z.compress(chunk), z.flush(),
                                        _GZIP_TRAILER.pack(zlib.crc32(chunk), len(chunk) & 0xFFFFFFFF)))
                else:
                    z = zlib.compressobj(self.level, zlib.DEFLATED, 31)
                    item[1] = z.compress(chunk) + z.flush()
            except BaseException as e:  # raised in the writing thread
                item[1] = e
            item[0] = chunk = None
            item[2].set()

    def write(self, chunk):
        item = [chunk, None, threading.Event(), self.total == 0 and not self.pending]
        self.total += len(chunk)
        self.pending.append(item)
        self.work.put(item)
        self.flush(len(self.pending) > self.ahead)

    def flush(self, wait):
        """Writes the members done, in order; with ``wait``, at least the first one."""
        pending = self.pending
        while pending and (wait or pending[0][2].is_set()):
            item = pending.popleft()
            item[2].wait()
            if isinstance(item[1], BaseException):
                raise item[1]
            self.sink.write(item[1])
            wait = False

    def close(self):
        while self.pending:
            self.flush(True)
        self.stop()
        end = self.sink.tell()
        self.sink.seek(self.start + _GZIP_SIZE_AT)
        self.sink.write(_GZIP_TOTAL.pack(self.total))
        self.sink.seek(end)

    def stop(self):
        """Ends the threads (idempotent)."""
        for thread in self.threads:
            if thread.is_alive():
                self.work.put(None)
        for thread in self.threads:
            thread.join()


# The header of the first gzip member (RFC 1952): no name, time 0, unknown OS, and an extra
# field holding subfield HS, the total uncompressed size (8 bytes, little-endian, filled last).
_GZIP_HEAD = b"\x1f\x8b\x08\x04\0\0\0\0\0\xff" + struct.pack("<H2sHQ", 12, b"HS", 8, 0)
# Compiled once: struct.pack(format) would add its format to a cache in the process's heap.
_GZIP_TRAILER = struct.Struct("<II")  # CRC-32 and size of a member
_GZIP_TOTAL = struct.Struct("<Q")
_GZIP_SIZE_AT = len(_GZIP_HEAD) - 8


# --- type facts ---------------------------------------------------------------

_KIND_BASE = {"dict": dict, "list": list, "tuple": tuple, "set": set, "frozenset": frozenset,
              "deque": collections.deque, "str": str, "bytes": bytes, "bytearray": bytearray}
_CONTAINER_KINDS = ("dict", "list", "tuple", "set", "frozenset", "deque")
_BULK_CONTAINER_KINDS = ("dict", "list", "tuple")  # formatted together (_Capture.container_texts)
_SEQUENCE_KINDS = ("list", "tuple", "deque")  # items labelled by index
_BRACKETS = {"dict": ("{", "}"), "list": ("[", "]"), "tuple": ("(", ")"), "set": ("{", "}"),
             "frozenset": ("{", "}"), "deque": ("[", "]")}
_EXACT_KINDS = {id(t): kind for t, kind in (  # by id(type)
    (types.FunctionType, "function"), (types.MethodType, "method"), (_CellType, "cell"), (property, "property"),
    (staticmethod, "staticmethod"), (classmethod, "classmethod"), (types.ModuleType, "module"),
    (types.CodeType, "code"), (types.FrameType, "frame"), (types.BuiltinFunctionType, "builtin"),
    (types.TracebackType, "traceback"), (types.GeneratorType, "suspendable"), (types.CoroutineType, "suspendable"),
    (types.AsyncGeneratorType, "suspendable"), (_weakref.ref, "weakref"),
)}


class _TypeInfo:
    """What the capture needs to know of one type, found once without running user code.

    ``kind`` picks the formatter and the walk; ``attributes`` are ``(name, getter)`` pairs
    read through C descriptors (slots of user classes, named fields of builtin types).
    """

    __slots__ = ("type", "name", "kind", "sizeof", "length", "iterate", "attributes", "dict_desc", "expandable",
                 "plain", "bulk", "walk", "exception", "future", "accessors", "preheader", "shown_as")

    def __init__(self, t):
        self.type = t
        name = _esc(_type_name(t))
        self.name = "\\x23" + name[1:] if name.startswith("#") else name  # '#' starts header lines
        # (Looked up by id: hashing a class runs its metaclass's __hash__.)
        kind = "type" if issubclass(t, type) else _EXACT_KINDS.get(id(t))
        if kind is None:
            for base_kind, base in _KIND_BASE.items():
                if issubclass(t, base):
                    kind = base_kind
                    break
        heap = bool(_type_flags(t) & _HEAPTYPE)
        if kind is None:
            kind = "instance" if heap else "exception" if issubclass(t, BaseException) else "opaque"
        # asyncio's C Task and Future: their state, and a task's coroutine, read through their
        # own C descriptors (the module is never imported for this).
        # (A heap type since 3.12; the descriptors' types tell the C ones from look-alikes.)
        self.future = None
        if name in _FUTURE_TYPES:
            task = name == "_asyncio.Task"
            try:
                state = _descriptor(t, "_state")
                coro = _descriptor(t, "get_coro") if task else None
            except AttributeError:
                state = coro = None
            if type(state) is _getset_descriptor and (not task or type(coro) is types.MethodDescriptorType):
                self.future = (state.__get__, coro)
                kind = "future"
        if kind in ("instance", "opaque") and issubclass(t, _THREAD_LOCAL):
            kind = "thread_local"
        elif t is _Context:
            kind = "context"
        elif t is _ContextVar:
            kind = "context_var"
        elif name in _HAMT_TYPES and not heap:
            kind = "hamt"
        lru_dict = None
        if name == _LRU_CACHE:  # functools.lru_cache: its own __dict__, and the cache dict beside it
            try:
                lru_dict = _descriptor(t, "__dict__")
            except AttributeError:
                pass
            if type(lru_dict) is _getset_descriptor:
                kind = "lru_cache"
        array_type = None
        # What the formatter of an array or an ndarray reads, from its C class: an array's
        # (typecode, tolist, __getitem__), an ndarray's getters of _NDARRAY_FIELDS.
        self.accessors = None
        if kind in ("instance", "opaque"):
            array_type = _c_class_named(t, _ARRAY)
            if array_type is not None:
                kind = "array"
                self.accessors = (_descriptor(array_type, "typecode").__get__, _descriptor(array_type, "tolist"),
                                  _descriptor(array_type, "__getitem__"))
            if issubclass(t, types.SimpleNamespace):
                kind = "namespace"
            numpy_type = _c_class_named(t, _NDARRAY)
            if numpy_type is not None:
                getters = [dict.get(_referent_dict(numpy_type) or {}, field) for field in _NDARRAY_FIELDS]
                if all(type(g) is _getset_descriptor for g in getters):
                    kind = "ndarray"
                    self.accessors = tuple(g.__get__ for g in getters)
        if kind == "opaque" and name in _VALUE_TYPES and _made_in_c(t):
            self.accessors = _value_accessors(t, name)
            if self.accessors is not None:
                kind = "value"
        self.kind = kind
        self.sizeof = _sizeof_for(t)
        base = _KIND_BASE.get(kind, array_type)
        self.length = _descriptor(base, "__len__") if base is not None else None
        self.iterate = base.__iter__ if kind in _CONTAINER_KINDS else None
        attributes = []
        self.dict_desc = None
        if heap:
            for klass in _type_mro(t):
                if not _type_flags(klass) & _HEAPTYPE:
                    continue  # member descriptors of builtin bases (type.__dictoffset__ …) make new ints
                # A copy (made in C, under the GIL): another thread may set class attributes
                # while this loop runs Python code.
                for attr, desc in list(dict.items(_referent_dict(klass) or {})):
                    if type(desc) is _member_descriptor and type(attr) is str and not attr.startswith("__"):
                        # (dunder members of C-made heap types, __vectorcalloffset__ …, make new ints)
                        attributes.append((attr, desc.__get__))
                    elif (attr == "__dict__" and self.dict_desc is None and type(desc) is _getset_descriptor
                          and kind != "type"  # a class's __dict__ is a new mappingproxy each time
                          and not _type_flags(klass) & _IMMUTABLETYPE):  # (a C type's dict, if any, is a referent)
                        self.dict_desc = desc
        for attr in _NAMED_ATTRS.get(id(t), ()):
            attributes.append((attr, _descriptor(t, attr).__get__))
        if kind == "lru_cache":
            self.dict_desc = lru_dict
        self.attributes = tuple(attributes)
        # (An array is not tracked by gc: the array it views is found by its getset.)
        self.expandable = bool(_type_flags(t) & _HAVE_GC) or kind == "code" or kind == "ndarray"
        # Bytes from the start of an object's memory block to the object, when 3.11's tracemalloc
        # would miss its site (see _traceback_at); 0 otherwise. (The GC header and the managed
        # dict's pointers are two pointers each.)
        flags = _type_flags(t)
        self.preheader = (_GC_HEADER * (1 + bool(flags & _HAVE_GC))
                          if _SITE_LOOKUP_MISSES_PREHEADER and flags & _MANAGED_DICT else 0)
        # A builtin container, or a subclass adding no attributes: its items are all it holds.
        self.plain = kind in _CONTAINER_KINDS and self.dict_desc is None and not self.attributes
        # Exceptions show their args (then, of a user class, its attributes) and are read one by one.
        self.exception = kind == "exception" or kind == "instance" and issubclass(t, BaseException)
        # Shown as Python shows them, not by their attributes: a member of an Enum class (its
        # metaclass is enum's, found by name), `<Color.RED: 1>`; a uuid.UUID, `UUID('…')`.
        self.shown_as = None
        if heap and kind != "type" and any(_type_name(k) in _ENUM_METACLASSES for k in _type_mro(type(t))):
            self.shown_as = "enum"
        elif name == _UUID and kind == "instance" and self.attributes[:1] and self.attributes[0][0] == "int":
            self.shown_as = "uuid"
        # How a group of these objects is formatted together: None formats one by one.
        self.bulk = ("container" if self.plain and kind in _BULK_CONTAINER_KINDS
                     else "instance" if kind == "instance" and not self.exception and self.shown_as is None
                     else "code" if kind in ("code", "function") else None)
        # How the capture reads what one of these refers to; None: item by item (expand_one).
        self.walk = (("dict" if kind == "dict" else "items" if kind in _SEQUENCE_KINDS else "set") if self.plain
                     else "instance" if kind == "instance" and not self.exception else None)


def _var_name(var):
    """A ContextVar's name, as an exact str (a str subclass could run code when compared)."""
    return str.__str__(_CONTEXT_VAR_NAME(var))


def _cycle_roots(objs):
    """Of ``objs``, the fewest roots from which all of them are reached through one another:
    one per group that no other object of ``objs`` reaches (a source strongly connected
    component). A depth-first pass in the given order finds them by finishing order, so a
    group's root is the member the pass entered it by: the first in ``objs``, unless another
    group leads into it."""
    ids = set(map(id, objs))
    entered = set()
    finished = []
    for start in objs:
        if id(start) in entered:
            continue
        entered.add(id(start))
        stack = [(start, iter(gc.get_referents(start)))]
        while stack:
            o, referents = stack[-1]
            for r in referents:
                if id(r) in ids and id(r) not in entered:
                    entered.add(id(r))
                    stack.append((r, iter(gc.get_referents(r))))
                    break
            else:
                stack.pop()
                finished.append(o)
    # Last finished first: each one not reached from a root taken before is a root.
    roots = []
    for o in reversed(finished):
        if id(o) not in ids:
            continue
        ids.discard(id(o))
        roots.append(o)
        reach = [o]
        while reach:
            for r in gc.get_referents(reach.pop()):
                if id(r) in ids:
                    ids.discard(id(r))
                    reach.append(r)
    return roots


def _subclass_registries(objs):
    """``(registry, owner)`` for each class's registry of its subclasses among ``objs``: a
    dict of weak references to classes (by their ids) that all have ``owner`` among their
    bases. When they share more bases than one (mixins), the owner is the one whose
    ``type.__subclasses__()`` (which reads its registry, in C) are the same classes; each
    class has one registry. (Neither the registry nor its class refers to it for ``gc``.)"""
    found = []
    taken = set()
    for d in objs:
        if type(d) is not dict or not d or not all(map(_is, map(type, dict.keys(d)), repeat(int))):
            continue
        refs = list(dict.values(d))
        if not all(map(_is, map(type, refs), repeat(_weakref.ref))):
            continue
        owners = None  # the bases all the live ones share, in the first one's order
        live = set()
        for ref in refs:
            sub = _weakref.ref.__call__(ref)
            if sub is None:
                continue
            if not issubclass(type(sub), type):
                owners = None
                break
            live.add(id(sub))
            bases = _type_bases(sub)
            shared = set(map(id, bases))  # (by id: == could run a metaclass's __eq__)
            owners = list(bases) if owners is None else [b for b in owners if id(b) in shared]
            if not owners:
                break
        if not owners:
            continue
        if len(owners) > 1:
            owners = [b for b in owners if id(b) not in taken and set(map(id, type.__subclasses__(b))) == live]
        if owners:
            taken.add(id(owners[0]))
            found.append((d, owners[0]))
    return found


try:
    from _collections import _count_elements as _count  # (counts, items): in C
except ImportError:
    def _count(counts, items):
        """Adds to dict ``counts`` how many times each of ``items`` occurs."""
        for item in items:
            counts[item] = counts.get(item, 0) + 1


def _garbage_ids(objs):
    """The ids of the objects of ``objs`` that nothing but others of ``objs`` refers to, nor
    anything that one referred to from elsewhere leads to: garbage in reference cycles, which
    the collector frees at its next run (unless it is disabled). The collector's own test:
    an object's references from within ``objs`` (as ``gc`` sees them) against its refcount.
    Each of ``objs`` must be held by ``objs`` and by gc.get_objects()'s list, and by nothing
    else of the capture. Empty where refcounts are not exact (free-threaded builds)."""
    if not objs or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return set()
    probe = [1.5 * len(objs)]  # a new float held by two lists, as each of objs is
    base = next(_refcounts(list(probe)))
    del probe
    counts = list(_refcounts(objs))
    index = set(map(id, objs))
    within = {}  # (not a Counter: its isinstance() check on the iterable fills ABC caches)
    _count(within, filter(index.__contains__, map(id, _chain(map(gc.get_referents, objs)))))
    reached = [o for o, n in zip(objs, counts) if n - base > within.get(id(o), 0)]
    del counts, within
    held = set(map(id, reached))
    while reached:
        found = {id(r): r for r in _chain(map(gc.get_referents, reached)) if id(r) in index and id(r) not in held}
        held.update(found)
        reached = list(found.values())
        del found
    return index - held


def _tuples_being_built(objs):
    """Positions in ``objs`` of the tuples whose items C code is still setting: ``tuple(g)``,
    or ``zip``, interrupted while a generator ``g`` runs Python code (a signal handler that
    captures, a thread switch). Such a tuple is tracked before it is full, and an item not set
    yet is NULL: the collector skips those, iterating or indexing crashes. Exact tuples only:
    a subclass's are filled by C code from a finished tuple."""
    at = list(compress(range(len(objs)), map(_is, map(type, objs), repeat(tuple))))
    tuples = list(map(objs.__getitem__, at))
    full = map(operator.eq, map(len, tuples), map(len, map(gc.get_referents, tuples)))
    return [i for i, ok in zip(at, full) if not ok]


def _root_label(o):
    """The edge of an object reached from no root: a contextvars.Context is most likely a
    thread's current one (the thread state holds it)."""
    return _CONTEXT_ROOT if type(o) is _Context else _UNREACHED


def _exception_dict(e):
    """The attribute dict of exception ``e``, or None: found among its referents, since reading
    ``__dict__`` would make one for an exception that has none."""
    for r in gc.get_referents(e):
        if type(r) is dict:
            return r
    return None


def _dtype_name_getter(t):
    """What reads the name of a numpy dtype of class ``t`` (``float32``): numpy.dtype's own
    getset, called as a function; None when C code did not make it."""
    for klass in _type_mro(t):
        desc = dict.get(_referent_dict(klass) or {}, "name")
        if desc is not None:
            return desc.__get__ if type(desc) is _getset_descriptor and _made_in_c(klass) else None
    return None


def _c_class_named(t, name):
    """The class named ``name`` (module-qualified) among ``t``'s MRO that C code made, or None."""
    return next((k for k in _type_mro(t) if _type_name(k) == name and _made_in_c(k)), None)


def _value_accessors(t, name):
    """What :meth:`_Capture.format_value` reads values of C type ``t`` (named ``name``) with:
    ``(repr, tzinfo getter or None, replace or None)``, or ``(None, None, as_tuple)`` for a
    Decimal; None when ``t``'s own dict does not hold C descriptors for them."""
    own = _referent_dict(t) or {}
    if name == "decimal.Decimal":
        as_tuple = dict.get(own, "as_tuple")
        return (None, None, as_tuple) if type(as_tuple) is types.MethodDescriptorType else None
    show = dict.get(own, "__repr__")
    if type(show) is not types.WrapperDescriptorType:
        return None
    if name not in ("datetime.datetime", "datetime.time"):
        return show, None, None
    tzinfo, replace = dict.get(own, "tzinfo"), dict.get(own, "replace")
    if type(tzinfo) is not _getset_descriptor or type(replace) is not types.MethodDescriptorType:
        return None
    return show, tzinfo.__get__, replace


def _decimal_text(parts):
    """A Decimal's str (the spec's to-scientific-string, as ``Decimal.__str__`` writes it) from
    its ``as_tuple()``: ``(sign, digits, exponent)``."""
    sign = "-" if tuple.__getitem__(parts, 0) else ""
    digits = "".join(map(int.__repr__, tuple.__getitem__(parts, 1)))
    exponent = tuple.__getitem__(parts, 2)
    if type(exponent) is str:
        return sign + {"F": "Infinity", "n": "NaN", "N": "sNaN"}.get(exponent, "?") + (digits if exponent != "F" else "")
    left = exponent + len(digits)
    dot = left if exponent <= 0 and left > -6 else 1
    if dot <= 0:
        number = "0." + "0" * -dot + digits
    elif dot >= len(digits):
        number = digits + "0" * (dot - len(digits))
    else:
        number = digits[:dot] + "." + digits[dot:]
    return sign + number + ("" if left == dot else "E%+d" % (left - dot))


def _made_in_c(t):
    """Whether class ``t`` was made by C code: a static type, or (3.10+) an immutable heap type."""
    flags = _type_flags(t)
    return not flags & _HEAPTYPE or bool(flags & _IMMUTABLETYPE)


def _descriptor(t, attr):
    for klass in _type_mro(t):
        desc = dict.get(_referent_dict(klass) or {}, attr)
        if desc is not None:
            return desc
    raise AttributeError(attr)


def _referent_dict(t):
    """The real dict behind a type's mappingproxy ``__dict__``."""
    for r in gc.get_referents(_type_dict(t)):
        if type(r) is dict:
            return r
    return None


def _type_name(t):
    try:
        module = _type_module(t)
    except AttributeError:
        module = None
    qualname = _type_qualname(t)
    if type(qualname) is not str:
        qualname = "?"
    if type(module) is not str or module == "builtins":
        name = qualname
    else:
        name = module + "." + qualname
    return name


def _sizeof_for(t):
    """``sys.getsizeof`` when ``__sizeof__`` is implemented in C, else a computed size."""
    for klass in _type_mro(t):
        impl = dict.get(_referent_dict(klass) or {}, "__sizeof__")
        if impl is not None:
            if type(impl) in _C_METHOD_TYPES:
                return sys.getsizeof
            break
    gc_extra = _GC_HEADER if _type_flags(t) & _HAVE_GC else 0
    return lambda o: object.__sizeof__(o) + gc_extra


# --- helpers ------------------------------------------------------------------

def _traceback_at():
    """CPython 3.11's ``_PyTraceMalloc_GetTraceback(domain, address)``, called through ctypes
    (stdlib), or None. It looks the address up in tracemalloc's table and reads no memory, so the
    site of an object with a managed ``__dict__`` is found at its block's true start."""
    global _TRACEBACK_AT
    if _TRACEBACK_AT is None:
        try:
            import ctypes
            prototype = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_uint, ctypes.c_size_t)
            _TRACEBACK_AT = prototype(("_PyTraceMalloc_GetTraceback", ctypes.pythonapi))
        except Exception:
            _TRACEBACK_AT = False
    return _TRACEBACK_AT or None


_TRACEBACK_AT = None  # made once per process: see _traceback_at


def _esc(s):
    if s.isprintable() and "\\" not in s:
        return s
    out = s.translate(_ESCAPES)
    if not out.isascii():
        try:
            out.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (a file name decoded with surrogateescape)
            out = out.encode("utf-8", "replace").decode("utf-8")  # each as '?', as UTF-8 has none
    return out


def _utf8(text):
    """``text`` (escaped fields: no lone surrogate) as UTF-8."""
    return text.encode("utf-8", "replace")


def _items_of(info, objs):
    """The items of plain containers ``objs`` (of one type, ``info``), a list each (a dict's
    keys and values alternating), each read by one C call."""
    if info.kind == "dict":
        return list(map(list, map(_chain, map(dict.items, objs))))
    return list(map(list, map(info.iterate, objs)))


def _joined_runs(separator, parts, counts):
    """``parts`` cut into consecutive runs of ``counts`` items, each run joined by ``separator``."""
    bounds = list(accumulate(counts, initial=0))
    return list(map(separator.join, map(parts.__getitem__, map(slice, bounds, bounds[1:]))))


def _joined_or_parts(parts, counts, limit):
    """``parts`` cut into consecutive runs of ``counts`` items, each run joined by ``", "``;
    a run whose text is longer than ``limit`` is given as its list of parts instead."""
    bodies = _joined_runs(", ", parts, counts)
    if max(map(len, bodies), default=0) > limit:
        bounds = list(accumulate(counts, initial=0))
        for i, body in enumerate(bodies):
            if len(body) > limit:
                bodies[i] = parts[bounds[i]:bounds[i + 1]]
    return bodies


def _within_room(parts, room):
    """The first of ``parts`` (texts, or an iterator making them) shown in a container's text of
    ``room`` characters: each while room is left, the last one possibly past it. An iterator is
    not advanced once the room is full, so what is not shown is not formatted."""
    shown = []
    parts = iter(parts)
    while room > 0:
        part = next(parts, None)
        if part is None:
            break
        room -= len(part) + 2
        shown.append(part)
    return shown


def _attributes_within_room(parts, available, room):
    """The attribute ``parts`` (of ``available`` attributes) that fit ``room`` (see
    :func:`_within_room`), then ``…`` if any attribute is left out."""
    shown = _within_room(parts, room)
    return shown + ["…"] if len(shown) < available else shown


def _esc_all(texts):
    """:func:`_esc` of each of the str ``texts`` (a list), in one pass when none needs it."""
    joined = "".join(texts)
    if joined.isprintable() and "\\" not in joined:
        return texts
    return list(map(_esc, texts))


def _module_sort_key(item):
    """Modules by name, builtins first: a builtin class is `builtins.object` where another
    module's name for it is as short (`_pytest.approx.ndarray`)."""
    name = item[0] if type(item[0]) is str else ""
    return name != "builtins", name


def _positions_by(keys):
    """``{key: [index, …]}`` of the list ``keys``, keys in first-seen order (C loops only).
    The keys are hashed: ids, or exact str."""
    groups = collections.defaultdict(list)
    collections.deque(map(list.append, map(groups.__getitem__, keys), range(len(keys))), 0)
    return groups


def _exact_str(items):
    """For each of ``items``, whether its type is exactly str (lazily, C loops only)."""
    return map(_is, map(type, items), repeat(str))


def _all_str(tuples):
    """For each tuple of ``tuples``, whether all its items are exact str."""
    return map(all, map(_exact_str, tuples))


def _one(v):
    return (v,)


def _plus_one(total, n):
    return total + n + 1


def _refcounts(objs):
    """``sys.getrefcount`` of each of ``objs``, lazily."""
    return map(sys.getrefcount, objs)


def _thread_names():
    """Thread ident → name, read from threading's registry without calling user code."""
    threading = sys.modules.get("threading")
    names = {}
    if threading is None:
        return names
    active = getattr(threading, "_active", None)
    if type(active) is not dict:
        return names
    for ident, thread in list(dict.items(active)):
        t = type(thread)
        for klass in _type_mro(t):
            desc = dict.get(_referent_dict(klass) or {}, "__dict__")
            if type(desc) is _getset_descriptor:
                d = desc.__get__(thread)
                name = dict.get(d, "_name") if type(d) is dict else None
                if type(name) is str:
                    names[ident] = name
                break
    return names


def _rss_bytes():
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        try:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        except Exception:
            return None


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- triggers ---------------------------------------------------------------

def snapshot_path(out_dir, label="", pid=None):
    """A new snapshot file name in ``out_dir``: ``heapsnap-<pid>-<UTC time><label>.hsnap.gz``
    (``pid`` defaults to this process's).

    Example::

        >>> snapshot_path("/tmp", "-before")    # doctest: +SKIP
        '/tmp/heapsnap-4242-20261125T140102.123456Z-before.hsnap.gz'
    """
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1e6)
    return os.path.join(out_dir, "heapsnap-%d-%s%s.hsnap.gz" % (os.getpid() if pid is None else pid, stamp, label))


def _ready_dir(out_dir):
    if not isinstance(out_dir, (str, os.PathLike)):
        raise ValueError("out_dir must be a str or os.PathLike, got %r" % (type(out_dir),))
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, mode=0o700, exist_ok=True)
    return out_dir


def install_signal_handler(signum=None, out_dir=".", options=None):
    """On signal ``signum`` (default SIGUSR2), write a snapshot into ``out_dir``.

    The path is printed to stderr. Returns the previous handler.

    Example::

        >>> heapsnap.install_signal_handler(signal.SIGUSR2, "/var/tmp/snaps")   # doctest: +SKIP
        # then, from a shell: kill -USR2 <pid>
    """
    import signal
    if signum is None:
        signum = signal.SIGUSR2
    out_dir = _ready_dir(out_dir)

    def on_signal(received, frame):
        del frame  # the interrupted frame is the process's, not ours to keep
        # Whatever the capture meets, the interrupted code must go on: never raise into it.
        _report(lambda: capture(snapshot_path(out_dir), options))

    return signal.signal(signum, on_signal)


def _report(capture_one):
    """Runs ``capture_one()`` for a trigger and writes its path, or why it failed, to stderr."""
    try:
        sys.stderr.write("heapsnap: %s\n" % capture_one())
    except Exception as e:
        sys.stderr.write("heapsnap: capture failed: %s: %s\n" % (type(e).__name__, e))


def _seconds(every):
    """``30``, ``"30s"``, ``"5m"``, ``"1h"`` as seconds."""
    if isinstance(every, (int, float)) and not isinstance(every, bool):
        value = float(every)
    elif isinstance(every, str) and re.fullmatch(r"\d+(\.\d+)?[smh]?", every.strip()):
        text = every.strip()
        scale = {"s": 1, "m": 60, "h": 3600}.get(text[-1], 1)
        value = float(text.rstrip("smh")) * scale
    else:
        raise ValueError("every must be seconds or a duration like '30s', '5m', '1h', got %r" % (every,))
    if value <= 0:
        raise ValueError("every must be positive, got %r" % (every,))
    return value


class Periodic:
    """Snapshots every ``every`` seconds into ``out_dir``, keeping the newest ``keep``.

    Made by :func:`start_periodic`; ``stop()`` ends it. ``paths`` lists the kept files.
    """

    def __init__(self, every, out_dir, keep, options):
        if type(keep) is not int or keep < 1:
            raise ValueError("keep must be an int >= 1, got %r" % (keep,))
        self.every = _seconds(every)
        self.out_dir = _ready_dir(out_dir)
        self.keep = keep
        self.options = options
        self.paths = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="heapsnap-periodic", daemon=True)

    def _loop(self):
        while not self.stopped.wait(self.every):
            _report(self.capture_now)  # a failed capture must not end the later ones

    def capture_now(self):
        """Writes one snapshot now and drops the oldest beyond ``keep``; returns its path."""
        path = capture(snapshot_path(self.out_dir), self.options)
        self.paths.append(path)
        while len(self.paths) > self.keep:
            old = self.paths.pop(0)
            try:
                os.unlink(old)
            except OSError:
                pass
        return path

    def stop(self):
        self.stopped.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join()


def start_periodic(every="60s", out_dir=".", keep=10, options=None):
    """Start writing a snapshot every ``every`` (seconds or ``"30s"``, ``"5m"``) in a thread.

    Example::

        >>> p = heapsnap.start_periodic(every="5m", out_dir="/var/tmp/snaps", keep=12)   # doctest: +SKIP
        >>> p.stop()                                                                   # doctest: +SKIP
    """
    periodic = Periodic(every, out_dir, keep, options)
    periodic.thread.start()
    return periodic


class watch:
    """Context manager for tests: a snapshot before and one after the block.

    Example::

        >>> with heapsnap.watch("/tmp/snaps") as w:        # doctest: +SKIP
        ...     run_the_suspect_code()
        >>> w.before, w.after                               # doctest: +SKIP
        ('/tmp/snaps/heapsnap-…-before.hsnap.gz', '/tmp/snaps/heapsnap-…-after.hsnap.gz')
    """

    def __init__(self, out_dir=".", options=None):
        self.out_dir = _ready_dir(out_dir)
        self.options = options
        self.before = None
        self.after = None

    def __enter__(self):
        self.before = capture(snapshot_path(self.out_dir, "-before"), self.options)
        return self

    def __exit__(self, *exc):
        self.after = capture(snapshot_path(self.out_dir, "-after"), self.options)
        return False


# --- attach: make a running process capture itself ----------------------------

# Run inside the target (by sys.remote_exec, or a debugger's PyRun_SimpleString, in a fresh
# namespace): loads this file as a module and starts the capture in a thread, so the target is
# stopped only for as long as that takes. The result goes to a status file.
_ATTACH_SCRIPT = """\
def _heapsnap_attach():
    import importlib.util, sys, threading
    module = sys.modules.get("heapsnap")
    if type(module) is not type(sys) or module.__dict__.get("__file__") != {source!r}:
        spec = importlib.util.spec_from_file_location("heapsnap", {source!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules.setdefault("heapsnap", module)
    threading.Thread(target=module._attached_capture, args=({path!r}, {options!r}, {status!r}),
                     name="heapsnap-attach", daemon=True).start()
_heapsnap_attach()
"""


class AttachError(RuntimeError):
    """The snapshot could not be taken from the other process; the message says why and what to do."""


def attach(pid, out_dir=".", options=None, timeout=600.0, debugger=None):
    """Make the running CPython process ``pid`` write a snapshot of itself into ``out_dir``.

    The process does not need to have imported heapsnap. On CPython 3.14+ this uses
    ``sys.remote_exec``; before, a debugger (gdb or lldb) calls into the interpreter with
    the GIL held, starts the capture in a thread and detaches at once: the target is stopped
    for milliseconds, then captures while it keeps running. The snapshot is written by the
    target, as its own user, so ``out_dir`` must be writable by it. Returns the path.

    ``options`` is a :class:`CaptureOptions` or a dict of its arguments; ``debugger`` is
    ``"gdb"``, ``"lldb"`` or None (whichever is installed, lldb first).

    Example::

        >>> attach(4242, "/var/tmp/snaps")           # doctest: +SKIP
        '/var/tmp/snaps/heapsnap-4242-20261125T140102.123456Z.hsnap.gz'
    """
    if type(pid) is not int or pid <= 0:
        raise ValueError("pid must be an int > 0, got %r" % (pid,))
    if isinstance(options, CaptureOptions):
        options = _options_dict(options)
    options = dict(options or {})
    CaptureOptions(**options)  # refuse bad options here, not inside the target
    if debugger not in (None, "gdb", "lldb"):
        raise ValueError("debugger must be 'gdb', 'lldb' or None, got %r" % (debugger,))
    out_dir = os.path.abspath(_ready_dir(out_dir))
    version = _target_python(pid)
    path = snapshot_path(out_dir, "", pid)
    status = path + ".status"
    work = _private_dir()
    script = os.path.join(work, "attach.py")
    with open(script, "w") as f:
        f.write(_ATTACH_SCRIPT.format(source=os.path.abspath(__file__), path=path, status=status,
                                      options=options))
    os.chmod(work, 0o755)  # the target may run as another user: it must read the script
    os.chmod(script, 0o644)
    try:
        if version >= (3, 14) and hasattr(sys, "remote_exec"):
            sys.remote_exec(pid, script)
        else:
            _inject_with_debugger(pid, script, debugger)
        return _wait_for_status(pid, path, status, timeout)
    finally:
        for leftover in (script, work):
            try:
                (os.rmdir if leftover == work else os.unlink)(leftover)
            except OSError:
                pass


def _attached_capture(path, options, status):
    """The capture thread that :func:`attach` starts inside the target; reports to ``status``."""
    try:
        result = "ok\t" + capture(path, CaptureOptions(**options))
    except BaseException as e:  # reported to the attaching side, never raised in the target
        result = "error\t%s: %s" % (type(e).__name__, e)
    fd = os.open(status, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(result)


def _options_dict(options):
    keys = ("max_repr", "max_items", "max_depth", "compresslevel", "run_lines", "redact", "contents",
            "max_seconds", "max_objects", "edges")
    out = {k: getattr(options, k) for k in keys}
    out["secret_keys"] = options.secret_keys.pattern
    return out


def _private_dir():
    import tempfile
    return tempfile.mkdtemp(prefix="heapsnap-attach-")


def _target_python(pid):
    """(major, minor) of the CPython that process ``pid`` runs; AttachError if it is none."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except FileNotFoundError:
        raise AttachError("no process %d" % pid) from None
    except PermissionError:
        raise AttachError("cannot read /proc/%d: not allowed to inspect that process (run as its user, or "
                          "as root)" % pid) from None
    found = re.search(r"libpython(\d)\.(\d+)", maps) or re.search(r"^python(\d)\.(\d+)", exe)
    if found:
        return int(found.group(1)), int(found.group(2))
    if exe.startswith("python"):
        return sys.version_info[:2]  # a static python3 binary: assume the version we run
    raise AttachError("process %d (%s) is not a CPython interpreter" % (pid, exe))


# Where a stopped thread may safely take the GIL: blocked in a system call that it entered
# after releasing the GIL, so it holds none of the interpreter's internal locks. (A thread
# stopped inside the GIL hand-over itself would deadlock on its own mutex.)
_SAFE_CALL = (r"(?:__GI_+)?(?:__libc_)?_*(?:poll|ppoll|select|pselect6?|epoll_wait|epoll_pwait|read|recv|recvfrom|"
              r"recvmsg|accept4?|clock_nanosleep|nanosleep|wait4|waitpid|sigtimedwait)")
# The top frame as lldb (`libc.so.6`__GI___poll(…`) and gdb print it: ` in __GI___poll (…`, or,
# where libc's debug symbols are installed, `"python3" __GI___poll (…` after the thread's name.
_SAFE_STOPS = re.compile(r"`%s\b|(?: in |\" )%s \(" % (_SAFE_CALL, _SAFE_CALL))


class _DebuggerSession:
    """One gdb or lldb attached to ``pid``, driven command by command through a pipe, so the
    thread that runs our code is chosen while the process is stopped, not before."""

    # A command whose output marks the end of the previous one.
    _MARK = {"gdb": ("echo __heapsnap_done__\\n", "__heapsnap_done__"), "lldb": ("version", "lldb version")}

    def __init__(self, tool, pid):
        import subprocess
        import queue as _queue
        self.tool = tool
        cmd = (["gdb", "-q", "-nx", "-p", str(pid)] if tool == "gdb"
               else ["lldb", "--no-lldbinit", "-p", str(pid)])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lines = _queue.Queue()
        self.reader = threading.Thread(target=self._read, name="heapsnap-debugger-output", daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command, timeout):
        """Sends ``command``; returns its output, or raises TimeoutError / EOFError."""
        import queue as _queue
        send, expect = self._MARK[self.tool]
        self.proc.stdin.write((command + "\n" if command else "") + send + "\n")
        self.proc.stdin.flush()
        out = []
        deadline = time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except _queue.Empty:
                raise TimeoutError(command) from None
            if line is None:
                raise EOFError("".join(out))
            if expect in line and not line.lstrip().startswith("(lldb)"):
                return "".join(out)
            out.append(line)

    def close(self):
        try:
            self.proc.stdin.write(("detach\nquit\n" if self.tool == "gdb" else "process detach\nquit\n"))
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def _gdb_cannot_call():
    """Whether this gdb would fail to call functions here: gdb before 15 cannot write the AMX
    register state of CPUs that have it, and a failed call can leave the target hung."""
    import subprocess
    try:
        with open("/proc/cpuinfo") as f:
            amx = " amx_tile" in f.read()
        first = subprocess.run(["gdb", "--version"], capture_output=True, text=True, timeout=10).stdout.split("\n")[0]
        version = re.search(r"(\d+)\.\d+\S*\s*$", first)
        return amx and (version is None or int(version.group(1)) < 15)
    except (OSError, subprocess.SubprocessError):
        return False


def _safe_thread(tool, listing):
    """The debugger's number of a thread in ``listing`` (``thread list`` / ``info threads``)
    that is blocked in a system call where it may take the GIL, or None."""
    if tool == "gdb":
        pattern = re.compile(r"^\*?\s+(\d+)\s+Thread .*$", re.MULTILINE)
    else:
        pattern = re.compile(r"^\*?\s*thread #(\d+): tid = .*$", re.MULTILINE)
    for match in pattern.finditer(listing):
        if _SAFE_STOPS.search(match.group(0)):
            return match.group(1)
    return None


def _debugger_calls(tool, script):
    """The three calls, in the debugger's syntax: take the GIL, run ``script``, release it."""
    code = 'exec(open(\\"%s\\").read(), {\\"__name__\\": \\"__heapsnap_attach__\\"})' % script
    if tool == "gdb":
        return ["call (int)PyGILState_Ensure()", 'call (int)PyRun_SimpleString("%s")' % code,
                "call (void)PyGILState_Release($1)"]
    return ["expr -- (int)((int(*)(void))PyGILState_Ensure)()",
            'expr -- (int)((int(*)(const char*))PyRun_SimpleString)("%s")' % code,
            "expr -- (void)((void(*)(int))PyGILState_Release)($0)"]


def _inject_with_debugger(pid, script, choice, attempts=20):
    """Runs ``script`` in process ``pid`` through gdb or lldb; AttachError when that fails.

    Each attempt stops the process, lists its threads, and only goes on when one is blocked
    in an I/O wait or a sleep; otherwise it detaches and tries again a moment later.
    """
    import shutil
    tools = [choice] if choice else ["lldb", "gdb"]
    available = [t for t in tools if shutil.which(t)]
    if not available:
        raise AttachError("attaching to a running process needs %s on PATH (Debian/Ubuntu: apt-get install %s); "
                          "or add heapsnap.install_signal_handler() to the program" % (
                              " or ".join(tools), " ".join(tools)))
    failures = []
    for tool in available:
        if tool == "gdb" and _gdb_cannot_call():
            failures.append((tool, "Couldn't write extended state (refused before attaching)"))
            continue
        for attempt in range(attempts):
            session = _DebuggerSession(tool, pid)
            try:
                try:
                    out = session.run("", 60)
                    listing = session.run("info threads" if tool == "gdb" else "thread list", 60)
                except EOFError as e:
                    failures.append((tool, str(e)))
                    break
                except TimeoutError:
                    raise AttachError("%s did not attach to process %d within 60 s" % (tool, pid)) from None
                if re.search(r"Operation not permitted|attach failed|error: ", out + listing):
                    failures.append((tool, out + listing))
                    break
                thread = _safe_thread(tool, listing)
                if thread is None:
                    continue  # nothing safe at this instant: detach, look again
                output = session.run(("thread %s" if tool == "gdb" else "thread select %s") % thread, 30)
                for call in _debugger_calls(tool, script):
                    output += session.run(call, 60)
            except TimeoutError:
                raise AttachError("%s did not finish within 60 s; the process may be stuck in native code "
                                  "holding a lock (try again, or use a signal handler)" % tool) from None
            finally:
                session.close()
            # The values of the calls, in order: PyGILState_Ensure's, then PyRun_SimpleString's.
            # (gdb may print its prompt before a value: `(gdb) $1 = 1`.)
            values = [int(v) for v in re.findall(r"^(?:\(gdb\) )*(?:\(int\) )?\$\d+ = (-?\d+)\s*$", output, re.MULTILINE)]
            if len(values) >= 2 and values[1] == 0:
                return
            if len(values) >= 2:
                raise AttachError("the injected code raised inside process %d (its traceback is on that process's "
                                  "stderr)" % pid)
            failures.append((tool, output))
            if values:
                raise AttachError(_explain_failure(pid, failures))  # something ran: never again
            break
        else:
            raise AttachError("no thread of process %d was waiting on I/O or sleeping in %d tries, so none could "
                              "take the GIL safely; try again, or use a signal handler" % (pid, attempts))
    raise AttachError(_explain_failure(pid, failures))


def _explain_failure(pid, failures):
    tool, out = failures[-1]
    text = "\n".join(out for _, out in failures)
    if re.search(r"Operation not permitted|ptrace: |attach failed|not permitted", text, re.IGNORECASE):
        scope = None
        try:
            with open("/proc/sys/kernel/yama/ptrace_scope") as f:
                scope = f.read().strip()
        except OSError:
            pass
        hint = "run as root or as the process's user"
        if scope and scope != "0":
            hint = ("kernel.yama.ptrace_scope is %s: run as root, or 'sysctl kernel.yama.ptrace_scope=0'" % scope)
        return ("%s may not trace process %d (%s; in a container, add the SYS_PTRACE capability)" % (tool, pid, hint))
    if re.search(r"No symbol|undeclared identifier|undefined symbol", text):
        return "process %d has no CPython symbols (PyGILState_Ensure): not a CPython process" % pid
    if "Couldn't write extended state" in text:
        return ("gdb before 15 cannot call functions in a process on this CPU (AMX register state); heapsnap "
                "did not let it try on process %d: install lldb, or a newer gdb" % pid)
    last = [line for line in out.strip().splitlines() if line.strip()][-3:]
    return "%s could not run code in process %d: %s" % (tool, pid, " | ".join(last) or "no output")


def _wait_for_status(pid, path, status, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(status):
            with open(status) as f:
                result = f.read()
            if result:
                os.unlink(status)
                kind, _, detail = result.partition("\t")
                if kind == "ok":
                    return detail
                raise AttachError("the capture failed inside process %d: %s" % (pid, detail))
        if not os.path.exists("/proc/%d" % pid):
            raise AttachError("process %d ended before the snapshot was written" % pid)
        time.sleep(0.05)
    raise AttachError("no snapshot from process %d after %g s; it keeps capturing in the background and "
                      "will write %s" % (pid, timeout, path))



def _capture_flag(flag, argv, options):
    """Takes one capture-option flag (and its value) off ``argv`` into ``options`` (a dict);
    False when ``flag`` is not one. Shared by ``capture``, ``run`` and ``attach``."""
    if flag == "--edges":
        options["edges"] = True
        return True
    names = {"--max-seconds": ("max_seconds", float), "--max-objects": ("max_objects", int),
             "--contents": ("contents", str)}
    if flag not in names:
        return False
    if not argv:
        raise ValueError("%s needs a value" % flag)
    name, kind = names[flag]
    try:
        options[name] = kind(argv.pop(0))
    except ValueError:
        raise ValueError("%s needs a %s" % (flag, "number" if kind is not str else "value")) from None
    return True


def _command_flags(argv, own):
    """Takes the flags off the front of ``argv`` (up to the first other word): the capture
    options, as a dict for :class:`CaptureOptions`, and the command's ``own`` flags (flag ->
    converter of its value), as a dict by flag."""
    options, values = {}, {}
    while argv and argv[0].startswith("--"):
        flag = argv.pop(0)
        if _capture_flag(flag, argv, options):
            continue
        if flag not in own:
            raise ValueError("unknown option %s" % flag)
        if not argv:
            raise ValueError("%s needs a value" % flag)
        values[flag] = own[flag](argv.pop(0))
    return options, values


def _capture_command(argv):
    """``capture [--edges] [--max-seconds S] [--max-objects N] [--contents none] OUT``."""
    options, _ = _command_flags(argv, {})
    if len(argv) != 1:
        raise ValueError("capture needs one output path")
    return capture(argv[0], CaptureOptions(**options))


def _attach_command(argv):
    """``attach PID [--out DIR] [--max-seconds S] [--max-objects N] [--contents none] …``."""
    if not argv or not argv[0].isdigit():
        raise ValueError("attach needs a process id")
    pid = int(argv.pop(0))
    options, own = _command_flags(argv, {"--out": str, "--debugger": str, "--timeout": float})
    if argv:
        raise ValueError("unknown option %s" % argv[0])
    return attach(pid, own.get("--out", "."), options, own.get("--timeout", 600.0), own.get("--debugger"))


def _run_setup(argv):
    """``run [--every D] [--out DIR] [--keep N] script.py args…``: checks the arguments
    (``ValueError`` if bad) and returns what runs the script as __main__, with its triggers."""
    import runpy
    settings, own = _command_flags(argv, {"--every": str, "--out": str, "--keep": int})
    every, out_dir, keep = own.get("--every", "60s"), own.get("--out", "."), own.get("--keep", 10)
    if not argv:
        raise ValueError("run needs a script to run")
    options = CaptureOptions(**settings)
    periodic = Periodic(every, out_dir, keep, options)

    def run_script():
        install_signal_handler(None, out_dir, options)
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        periodic.thread.start()
        try:
            runpy.run_path(argv[0], run_name="__main__")
        finally:
            periodic.stop()
            sys.stderr.write("heapsnap: snapshots in %s: %s\n" % (periodic.out_dir, ", ".join(
                os.path.basename(p) for p in periodic.paths) or "none (the script ended first)"))
        return 0

    return run_script


_USAGE = """\
usage: heapsnap.py attach PID [--out DIR] [--max-seconds S] [--max-objects N] [--contents none]
                              [--edges] [--debugger gdb|lldb] [--timeout S]
                                      make running CPython process PID write a snapshot of
                                      itself into DIR (needs gdb or lldb before Python 3.14)
       heapsnap.py run [--every 60s] [--out DIR] [--keep 10] [OPTIONS] script.py [args…]
                                      run a script with a snapshot every 60s (and on SIGUSR2)
       heapsnap.py capture [OPTIONS] OUT
                                      write a snapshot of this (fresh) interpreter to OUT
       heapsnap.py --version
       heapsnap.py --help

OPTIONS of capture, run and attach: --edges (record references, for retained sizes),
--contents none (types, sizes and paths only), --max-seconds S / --max-objects N (past
either, drop contents for the rest instead of taking longer).

In your own process:
    import heapsnap                       # this file, on sys.path
    heapsnap.capture("/tmp/app-1.hsnap.gz")
    heapsnap.install_signal_handler(signal.SIGUSR2, "/var/tmp/snaps")   # kill -USR2 <pid>
    heapsnap.start_periodic(every="5m", out_dir="/var/tmp/snaps", keep=12)
    with heapsnap.watch("/tmp/snaps"): ...                              # before/after, in tests

Then compare two snapshots: heapsnap diff A B, or drop them on the heapsnap page.
With PYTHONTRACEMALLOC=1 in the environment, each object's allocation site is recorded.
"""


def _usage_error(command, error):
    """Says what was wrong with the arguments of ``command``, then the usage; exit status 2."""
    sys.stderr.write("heapsnap.py %s: %s\n\n%s" % (command, error, _USAGE))
    return 2


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_USAGE)
        return 0
    if argv[0] == "--version":
        print("heapsnap.py " + __version__ + " (format " + FORMAT_VERSION + ")")
        return 0
    if argv[0] in ("capture", "attach"):
        command = _capture_command if argv[0] == "capture" else _attach_command
        try:
            print(command(list(argv[1:])))
            return 0
        except ValueError as e:
            return _usage_error(argv[0], e)
        except AttachError as e:
            sys.stderr.write("heapsnap.py attach: %s\n" % e)
            return 1
    if argv[0] == "run":
        try:
            script = _run_setup(list(argv[1:]))
        except ValueError as e:
            return _usage_error("run", e)
        return script()  # what the script raises is its own: a plain traceback, not a usage error
    sys.stderr.write(_USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
