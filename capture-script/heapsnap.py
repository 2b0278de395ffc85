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

The file format is specified in docs/FORMAT.md of the heapsnap repository.
"""

import _tracemalloc  # the C module: costs nothing, imports nothing else
import collections
import gc
import gzip
import heapq
import io
from itertools import islice
import os
import platform
import queue
import re
import socket
import sys
import threading
import time
import types

__version__ = "0.1.0"
__all__ = ["capture", "CaptureOptions", "FORMAT_VERSION", "COLUMNS", "install_signal_handler", "start_periodic",
           "Periodic", "watch", "snapshot_path", "attach", "AttachError"]

#: Snapshot format version written by this module.
FORMAT_VERSION = "1"
#: Columns written, in order.
COLUMNS = ("type", "repr", "size", "len", "id", "parent", "edge", "site")

_HEAPTYPE = 1 << 9
_CO_OPTIMIZED = 0x1
_HAVE_GC = 1 << 14
_GC_HEADER = 16 if sys.maxsize > 2**32 else 8
_UNREACHED = "<unreached>"

# Descriptors of builtin types, read once: calling them never runs user code.
_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_module = type.__dict__["__module__"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_func_qualname = types.FunctionType.__dict__["__qualname__"].__get__
_func_code = types.FunctionType.__dict__["__code__"].__get__
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

# Attributes that name the referents of builtin types (read through their C descriptors).
_NAMED_ATTRS = {
    types.FunctionType: ("__code__", "__globals__", "__defaults__", "__kwdefaults__", "__closure__"),
    types.MethodType: ("__func__", "__self__"),
    _CellType: ("cell_contents",),
    property: ("fget", "fset", "fdel"),
    staticmethod: ("__func__",),
    classmethod: ("__func__",),
}


#: Dict keys and attribute names whose values are masked (case-insensitive search).
DEFAULT_SECRET_KEYS = r"passw(or)?d|secret|token|api_?key|authori[sz]ation|cookie|session|private_?key|credential"
#: Strings shaped like credentials, masked wherever they are.
SECRET_VALUES = re.compile(
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.|[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}")
_REDACTED = "<redacted>"
_CHANGED = "<changed while read>"
_MIN_SECRET = 15  # no credential shape matches a shorter string
_CHECK_EVERY = 4096  # lines between budget checks
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

    def __init__(self, max_repr=200, max_items=8, max_depth=2, compresslevel=1, run_lines=200000, redact=True,
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
    was_enabled = gc.isenabled()
    gc.disable()  # a collection would run __del__ methods (user code) mid-capture
    try:
        return _Capture(path, options, compress).run()
    finally:
        if was_enabled:
            gc.enable()


class _Capture:
    """One capture: walks the heap from the roots, formats each object once, writes sorted runs."""

    def __init__(self, path, options, compress):
        self.path = path
        self.options = options
        self.compress = compress
        self.pages = {}
        self.queue = collections.deque()
        self.lines = []
        self.runs = []
        self.count = 0  # lines written to runs so far; see total()
        self.max_repr = options.max_repr
        self.nested_repr = max(16, options.max_repr // 4)
        self.run_lines = options.run_lines
        # Lines are counted on the way in; at check_at, checkpoint() flushes a full run and
        # looks at the budgets, so the per-object cost is the one comparison emit already had.
        self.check_at = min(self.run_lines, _CHECK_EVERY)
        self.deadline = None
        self.degraded = None  # why contents were dropped, once they are
        self.unreached = 0
        self.changed = 0
        self.type_info = {}
        self.tracing = False
        # Redaction: secret_key/secret_value are the regex searches, or None when off.
        # (No bound method of self is stored on self: that cycle would outlive the capture.)
        self.redact = options.redact
        self.secret_value = SECRET_VALUES.search if options.redact else None
        self.key_verdicts = {}  # key name -> whether it looks secret (names repeat a lot)
        self.key_labels = {}  # str dict key -> its escaped edge label
        self.redacted = set()  # ids of containers whose contents are all masked
        self.no_contents = options.contents == "none"
        self.edges = options.edges
        self.traceback = None

    # --- the walk -------------------------------------------------------

    def run(self):
        started = time.time()
        t0 = time.perf_counter()
        rss = _rss_bytes()
        frames = sys._current_frames()
        tracked = gc.get_objects()
        self.exclude(frames, tracked, self)  # and, inside, everything self holds
        own_globals = globals()
        stacks = []
        for ident, frame in frames.items():
            stack = []
            while frame is not None:
                if frame.f_globals is own_globals:
                    self.mark(frame)
                else:
                    stack.append(frame)
                frame = frame.f_back
            stacks.append((ident, stack))
        frames.clear()
        del frames, frame
        self.start_sites()
        if self.options.max_seconds is not None:
            self.deadline = t0 + self.options.max_seconds
        try:
            self.walk(stacks, tracked)
        finally:
            # gc.get_objects() may hold its own result list: a cycle that would keep every
            # object alive until the next collection. Empty it rather than wait for one.
            tracked.clear()
            del stacks, tracked
            self.queue.clear()
        duration = time.perf_counter() - t0
        header = self.header(started, rss, duration)
        return self.write(header)

    def exclude(self, *objects):
        """Marks the capture's own objects seen, so they are never written."""
        own = [v for v in object.__getattribute__(self, "__dict__").values() if type(v) not in _SHARED_ATOMS]
        for o in objects + tuple(own):
            self.mark(o)

    def mark(self, o):
        """Marks ``o`` seen; returns whether it was seen before."""
        i = id(o)
        page = self.pages.get(i >> 20)
        if page is None:
            page = self.pages[i >> 20] = bytearray(8192)
        bit = (i >> 4) & 0xFFFF
        byte = page[bit >> 3]
        mask = 1 << (bit & 7)
        if byte & mask:
            return True
        page[bit >> 3] = byte | mask
        return False

    def walk(self, stacks, tracked):
        modules = sys.modules
        for name in sorted(dict.keys(modules), key=_sort_key):
            mod = dict.get(modules, name)
            if mod is not None and not self.mark(mod):
                self.emit(mod, "-", _esc(name) if type(name) is str else _UNREACHED)
        self.drain()
        threads = _thread_names()
        for ident, stack in stacks:
            for frame in stack:
                if not self.mark(frame):
                    code = frame.f_code
                    self.emit(frame, "-", _esc("<thread %s> %s()" % (threads.get(ident, ident), code.co_name)))
        self.drain()
        for o in tracked:
            if not self.mark(o):
                self.unreached += 1
                self.emit(o, "-", _UNREACHED)
                self.drain()

    def drain(self):
        queue = self.queue
        expand = self.expand
        while queue:
            expand(queue.popleft())

    def visit(self, o, parent, edge):
        """Emits ``o`` reached from ``parent`` (hex id) by ``edge`` (escaped), unless seen."""
        if not self.mark(o):
            self.emit(o, parent, edge)

    def expand(self, o):
        """Visits the referents of ``o``, labelling each edge."""
        info = self.info(type(o))
        kind = info.kind
        pid = "%x" % id(o)
        secret_key = self.is_secret_key if self.redact else None
        verdicts = self.key_verdicts
        if self.redacted and id(o) in self.redacted:
            visit, emit = self.visit_secret, self.emit_secret  # everything under a secret is masked
        else:
            visit, emit = self.visit, self.emit
        mark = self.mark
        try:
            # Read at most the items present at the start: another thread appending at full
            # speed must not keep the walk chasing new entries forever.
            if kind == "dict":
                key_label = self.key_label
                labels = self.key_labels  # dict keys repeat (JSON records): one label per key text
                for k, v in islice(dict.items(o), dict.__len__(o)):
                    if not mark(k):
                        emit(k, pid, "<key>")
                    if not mark(v):
                        if type(k) is str:
                            label = labels.get(k)
                            if label is None:
                                if len(labels) > 100000:
                                    labels.clear()
                                label = labels[k] = key_label(k)
                        else:
                            label = key_label(k)
                        if secret_key is not None and type(k) is str and (verdicts[k] if k in verdicts else secret_key(k)):
                            self.emit_secret(v, pid, label)
                        else:
                            emit(v, pid, label)
            elif kind == "list" or kind == "tuple":
                for n, v in enumerate(islice(info.iterate(o), info.length(o))):
                    if not mark(v):
                        emit(v, pid, "[%d]" % n)
            elif kind == "set" or kind == "frozenset":
                for v in islice(info.iterate(o), info.length(o)):
                    visit(v, pid, "<item>")
            elif kind == "module":
                visit(_module_dict(o), pid, ".__dict__")
            elif kind == "code":
                for attr in ("co_consts", "co_names", "co_filename", "co_name"):
                    visit(getattr(o, attr), pid, "." + attr)
            elif kind == "frame":
                self.expand_frame(o, pid)
            elif kind == "type":
                d = _referent_dict(o)
                if d is not None:
                    visit(d, pid, ".__dict__")
            if info.dict_desc is not None:
                d = self.instance_dict(o, info)
                if d is not None:
                    visit(d, pid, ".__dict__")
            for attr, getter in info.attributes:
                try:
                    v = getter(o)
                except (AttributeError, ValueError):
                    continue
                if secret_key is not None and secret_key(attr):
                    self.visit_secret(v, pid, "." + attr)
                else:
                    visit(v, pid, "." + attr)
        except RuntimeError:
            # Another thread changed the container while we iterated; what was seen is kept.
            self.changed += 1
        if kind not in _CONTAINER_KINDS:
            for v in gc.get_referents(o):
                visit(v, pid, "<referent>")

    def frame_locals(self, frame):
        """``(name, value)`` of each of ``frame``'s local variables, as a new list."""
        f_locals = frame.f_locals
        snapshot = type(f_locals) is dict and frame.f_code.co_flags & _CO_OPTIMIZED and sys.version_info < (3, 13)
        try:
            return list(dict.items(f_locals)) if type(f_locals) is dict else list(f_locals.items())
        finally:
            if snapshot:
                # Before 3.13, f_locals of a function frame is a snapshot dict cached on the
                # frame: left filled, it would keep values the function has since dropped.
                dict.clear(f_locals)

    def expand_frame(self, frame, pid):
        for k, v in self.frame_locals(frame):
            if not self.mark(v):
                label = _esc("locals[%s]" % self.format(k, 1))
                if self.redact and type(k) is str and self.is_secret_key(k):
                    self.emit_secret(v, pid, label)
                else:
                    self.emit(v, pid, label)
        for attr in _FRAME_ATTRS:
            v = getattr(frame, attr)
            if v is not None:
                self.visit(v, pid, "." + attr)

    # --- one object -------------------------------------------------------

    def info(self, t):
        """The :class:`_TypeInfo` of type ``t``, cached for this capture."""
        info = self.type_info.get(t)
        if info is None:
            info = self.type_info[t] = _TypeInfo(t)
        return info

    def is_secret_key(self, name):
        """Whether dict key or attribute ``name`` (a str) looks secret; cached."""
        verdict = self.key_verdicts.get(name)
        if verdict is None:
            if len(self.key_verdicts) > 100000:
                self.key_verdicts.clear()
            verdict = self.key_verdicts[name] = bool(self.options.secret_keys.search(name))
        return verdict

    def visit_secret(self, o, parent, edge):
        if not self.mark(o):
            self.emit_secret(o, parent, edge)

    def emit_secret(self, o, parent, edge):
        """Writes ``o`` with its contents masked, and masks whatever it holds too."""
        if self.info(type(o)).expandable:
            self.redacted.add(id(o))
        self.lines.append(self.line(o, parent, edge, _REDACTED))
        if len(self.lines) >= self.check_at:
            self.checkpoint()

    def key_label(self, k):
        """The escaped edge label of a dict value under key ``k``: ``['name']``."""
        if type(k) is str and self.secret_value is not None and len(k) >= _MIN_SECRET and self.secret_value(k, 0, 4096):
            return "[" + _REDACTED + "]"
        if type(k) is str and len(k) <= 64:
            label = "[" + str.__repr__(k) + "]"
            return label.replace("\\", "\\\\") if "\\" in label else label
        return _esc("[%s]" % self.format(k, self.options.max_depth))

    def emit(self, o, parent, edge, _type=type, _str=str, _int=int, _float=float, _len=len, _id=id,
             _str_repr=str.__repr__, _sizeof=sys.getsizeof, _big=1 << 128):
        """Writes the line of ``o``, reached from ``parent`` (hex id or ``-``) by ``edge``.

        The common atomic types take inline paths (defaults bind builtins as fast locals);
        under tracemalloc every object takes the general path, which records the site.
        """
        t = _type(o)
        if self.tracing or self.no_contents:
            line = self.line(o, parent, edge)
            t = None  # the general path wrote every column
        elif t is _str:
            n = _len(o)
            r = _str_repr(o) if n <= self.max_repr else _str_repr(o[:self.max_repr]) + "…"
            if "\\" in r:
                r = r.replace("\\", "\\\\")  # repr escaped everything else already
            if n >= _MIN_SECRET and self.secret_value is not None and self.secret_value(o, 0, self.max_repr + 64):
                r = _REDACTED
            line = "str\t%s\t%d\t%d\t%x\t%s\t%s\t-\n" % (r, _sizeof(o), n, _id(o), parent, edge)
        elif t is _int and -_big < o < _big:
            line = "int\t%d\t%d\t-\t%x\t%s\t%s\t-\n" % (o, _sizeof(o), _id(o), parent, edge)
        elif t is _float:
            line = "float\t%r\t%d\t-\t%x\t%s\t%s\t-\n" % (o, _sizeof(o), _id(o), parent, edge)
        else:
            line = self.line(o, parent, edge)
            t = None
        if self.edges and t is not None:
            line = line[:-1] + "\t-\n"  # atoms refer to nothing
        lines = self.lines
        lines.append(line)
        if _len(lines) >= self.check_at:
            self.checkpoint()

    def line(self, o, parent, edge, rep=None):
        """The line of any object (the general, slower path of :meth:`emit`); ``rep``
        replaces its contents when given."""
        info = self.info(type(o))
        if info.expandable:
            self.queue.append(o)
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
        site = self.site(o) if self.tracing else "-"
        if self.edges:
            site += "\t" + self.refs(o, info)
        return "%s\t%s\t%d\t%s\t%x\t%s\t%s\t%s\n" % (info.name, rep, size, length, id(o), parent, edge, site)

    def refs(self, o, info):
        """The ``refs`` field: ids of what ``o`` refers to, space-separated, or ``-``."""
        if not info.expandable:
            return "-"
        if info.kind == "dict":
            # dict's own traversal skips str keys (they cannot form cycles); they are held all the same.
            refs = list(dict.keys(o)) + list(dict.values(o))
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

    def instance_dict(self, o, info):
        desc = info.dict_desc
        if desc is None:
            return None
        try:
            return desc.__get__(o)
        except Exception:
            return None

    def format(self, o, depth):
        """Bounded contents of ``o``; never calls user code."""
        opts = self.options
        t = type(o)
        if t is str:
            limit = opts.max_repr if depth == 0 else max(16, opts.max_repr // 4)
            if self.secret_value is not None and len(o) >= _MIN_SECRET and self.secret_value(o, 0, limit + 64):
                return _REDACTED
            if len(o) > limit:
                return str.__repr__(o[:limit]) + "…"
            return str.__repr__(o)
        if t is int:
            if o.bit_length() > 128:
                return "<int %d bits>" % o.bit_length()
            return int.__repr__(o)
        if t is float or t is bool or o is None:
            return repr(o)
        info = self.info(t)
        kind = info.kind
        name = info.name
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
        if kind == "instance":
            return self.format_instance(o, info, depth)
        if kind == "module":
            d = _module_dict(o)
            return "<module %s>" % self.format(dict.get(d, "__name__"), 1) if type(d) is dict else "<module>"
        if kind == "type":
            return "<class %s>" % _type_name(o)
        if kind == "function":
            code = _func_code(o)
            return "<function %s at %s:%d>" % (_func_qualname(o), code.co_filename, code.co_firstlineno)
        if kind == "code":
            return "<code %s at %s:%d>" % (o.co_name, o.co_filename, o.co_firstlineno)
        if kind == "frame":
            code = o.f_code
            return "<frame %s at %s:%s>" % (code.co_name, code.co_filename, o.f_lineno)
        if kind == "method":
            func = types.MethodType.__dict__["__func__"].__get__(o)
            return "<bound method %s of %s>" % (self.format_name(func), _type_name(type(types.MethodType.__dict__["__self__"].__get__(o))))
        if kind == "builtin":
            return "<built-in %s>" % (types.BuiltinFunctionType.__dict__["__qualname__"].__get__(o),)
        if kind == "cell":
            try:
                inner = _CellType.__dict__["cell_contents"].__get__(o)
            except ValueError:
                return "<cell empty>"
            return "<cell %s>" % self.format(inner, depth + 1) if depth < opts.max_depth else "<cell …>"
        return "<%s>" % name

    def format_name(self, o):
        t = type(o)
        if t is types.FunctionType:
            return _func_qualname(o)
        return "<%s>" % self.info(t).name

    def format_item(self, v, depth):
        """:meth:`format` of a nested item, with the common atomic types inline."""
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
            parts = []
            room = opts.max_repr
            max_items = opts.max_items
            item = self.format_item
            inner = depth + 1
            if kind == "dict":
                verdicts = self.key_verdicts
                for k, v in dict.items(o):
                    if len(parts) >= max_items or room <= 0:
                        break
                    if self.redact and type(k) is str and (verdicts[k] if k in verdicts else self.is_secret_key(k)):
                        part = item(k, inner) + ": " + _REDACTED
                    else:
                        part = item(k, inner) + ": " + item(v, inner)
                    room -= len(part) + 2
                    parts.append(part)
            else:
                for v in info.iterate(o):
                    if len(parts) >= max_items or room <= 0:
                        break
                    part = item(v, inner)
                    room -= len(part) + 2
                    parts.append(part)
                if kind in ("set", "frozenset") and n <= max_items:
                    parts.sort()
            more = ", …%d" % (n - len(parts)) if n > len(parts) else ""
            comma = "," if kind == "tuple" and n == 1 else ""
            text = "%s%s%s%s%s" % (open_, ", ".join(parts), comma, more, close)
            if kind == "frozenset":
                text = "frozenset(%s)" % text
        if t is not _KIND_BASE[kind]:
            return "%s(%s)" % (info.name, text)
        return text

    def attribute_value(self, name, v, depth):
        """Formatted attribute value, masked when the name looks secret."""
        if self.redact and type(name) is str and self.is_secret_key(name):
            return _REDACTED
        return self.format(v, depth + 1)

    def format_instance(self, o, info, depth):
        name = info.name.rpartition(".")[2]
        if depth >= self.options.max_depth:
            return "%s(…)" % name
        parts = []
        d = self.instance_dict(o, info)
        room = self.options.max_repr
        if type(d) is dict:
            for k, v in dict.items(d):
                if len(parts) >= self.options.max_items or room <= 0:
                    parts.append("…")
                    break
                part = "%s=%s" % (k if type(k) is str else self.format(k, depth + 1), self.attribute_value(k, v, depth))
                room -= len(part) + 2
                parts.append(part)
        for slot, getter in info.attributes:
            try:
                v = getter(o)
            except AttributeError:
                continue
            parts.append("%s=%s" % (slot, self.attribute_value(slot, v, depth)))
        return "%s(%s)" % (name, ", ".join(parts))

    # --- allocation sites ---------------------------------------------------

    def start_sites(self):
        self.tracing = _tracemalloc.is_tracing()
        self.traceback = _tracemalloc._get_object_traceback

    def site(self, o):
        frames = self.traceback(o)
        if not frames:
            return "-"
        return _esc("<".join("%s:%d" % (f, n) for f, n in frames))

    # --- output ------------------------------------------------------------

    def checkpoint(self):
        """Every few thousand lines: flush a full run, and drop contents once over budget."""
        if len(self.lines) >= self.run_lines:
            self.flush_run()
        if self.degraded is None:
            opts = self.options
            if opts.max_objects is not None and self.total() >= opts.max_objects:
                self.degrade("max_objects=%d reached" % opts.max_objects)
            elif self.deadline is not None and time.perf_counter() >= self.deadline:
                self.degrade("max_seconds=%g reached" % opts.max_seconds)
        self.check_at = min(self.run_lines, len(self.lines) + _CHECK_EVERY)

    def degrade(self, reason):
        self.degraded = "%s after %d objects: contents dropped for the rest" % (reason, self.total())
        self.no_contents = True

    def flush_run(self):
        lines = self.lines
        lines.sort()
        self.count += len(lines)
        tmp = "%s.run%d.%d" % (self.path, os.getpid(), len(self.runs))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.runs.append(tmp)
        with open(fd, "w", encoding="utf-8", errors="replace", newline="\n") as f:
            f.writelines(lines)
        lines.clear()

    def total(self):
        """Objects emitted so far."""
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
            ("changed", str(self.changed)),
            ("duration", "%.3f" % duration),
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

    def write(self, header):
        directory = os.path.dirname(os.path.abspath(self.path))
        tmp = os.path.join(directory, ".%s.tmp%d" % (os.path.basename(self.path), os.getpid()))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        files = []
        out = None
        try:
            with open(fd, "wb") as raw:
                gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=self.options.compresslevel,
                                   mtime=0) if self.compress else None
                # zlib releases the GIL: compressing in a thread overlaps with the merge.
                out = _BackgroundWriter(gz) if gz is not None else raw
                out.write(header.encode("utf-8", "replace"))
                if self.runs:
                    if self.lines:
                        self.flush_run()
                    files = [open(run, encoding="utf-8", newline="\n") for run in self.runs]
                    merged = heapq.merge(*files)
                else:
                    self.lines.sort()
                    merged = self.lines
                merged = iter(merged)
                while True:
                    chunk = list(islice(merged, 8192))
                    if not chunk:
                        break
                    out.write("".join(chunk).encode("utf-8", "replace"))
                out.write(("#end\t%d\n" % self.total()).encode())
                if out is not raw:
                    out.close()
                    gz.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(directory)
        except BaseException:
            if type(out) is _BackgroundWriter:
                out.stop()
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            for f in files:
                f.close()
            for run in self.runs:
                if os.path.exists(run):
                    os.unlink(run)
            self.lines.clear()
        return self.path


class _BackgroundWriter:
    """Writes byte chunks to ``sink`` from a thread, so compression overlaps the caller's work."""

    def __init__(self, sink):
        self.sink = sink
        self.chunks = queue.Queue(maxsize=8)
        self.error = None
        self.thread = threading.Thread(target=self.drain, name="heapsnap-writer", daemon=True)
        self.thread.start()

    def drain(self):
        while True:
            chunk = self.chunks.get()
            if chunk is None:
                return
            if self.error is None:
                try:
                    self.sink.write(chunk)
                except BaseException as e:  # reported by close(), in the capturing thread
                    self.error = e

    def write(self, chunk):
        if self.error is not None:
            raise self.error
        self.chunks.put(chunk)

    def close(self):
        self.stop()
        if self.error is not None:
            raise self.error

    def stop(self):
        """Ends the thread (idempotent); chunks already queued are still written."""
        if self.thread.is_alive():
            self.chunks.put(None)
            self.thread.join()


# --- type facts ---------------------------------------------------------------

_KIND_BASE = {"dict": dict, "list": list, "tuple": tuple, "set": set, "frozenset": frozenset,
              "str": str, "bytes": bytes, "bytearray": bytearray}
_CONTAINER_KINDS = ("dict", "list", "tuple", "set", "frozenset")
_BRACKETS = {"dict": ("{", "}"), "list": ("[", "]"), "tuple": ("(", ")"), "set": ("{", "}"),
             "frozenset": ("{", "}")}
_EXACT_KINDS = {
    types.FunctionType: "function", types.MethodType: "method", _CellType: "cell", property: "property",
    staticmethod: "staticmethod", classmethod: "classmethod", types.ModuleType: "module",
    types.CodeType: "code", types.FrameType: "frame", types.BuiltinFunctionType: "builtin",
}


class _TypeInfo:
    """What the capture needs to know of one type, found once without running user code.

    ``kind`` picks the formatter and the walk; ``attributes`` are ``(name, getter)`` pairs
    read through C descriptors (slots of user classes, named fields of builtin types).
    """

    __slots__ = ("name", "kind", "sizeof", "length", "iterate", "attributes", "dict_desc", "expandable")

    def __init__(self, t):
        name = _esc(_type_name(t))
        self.name = "\\x23" + name[1:] if name.startswith("#") else name  # '#' starts header lines
        kind = "type" if issubclass(t, type) else _EXACT_KINDS.get(t)
        if kind is None:
            for base_kind, base in _KIND_BASE.items():
                if issubclass(t, base):
                    kind = base_kind
                    break
        heap = bool(_type_flags(t) & _HEAPTYPE)
        if kind is None:
            kind = "instance" if heap else "opaque"
        self.kind = kind
        self.sizeof = _sizeof_for(t)
        base = _KIND_BASE.get(kind)
        self.length = base.__len__ if base is not None else None
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
                          and kind != "type"):  # a class's __dict__ is a new mappingproxy each time
                        self.dict_desc = desc
        for attr in _NAMED_ATTRS.get(t, ()):
            attributes.append((attr, _descriptor(t, attr).__get__))
        self.attributes = tuple(attributes)
        self.expandable = bool(_type_flags(t) & _HAVE_GC) or kind == "code"


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

def _esc(s):
    if s.isprintable() and "\\" not in s:
        return s
    return s.translate(_ESCAPES)


def _sort_key(k):
    return k if type(k) is str else ""


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
# The top frame as lldb (`libc.so.6`__GI___poll(…`) and gdb (` in __GI___poll (…`) print it.
_SAFE_STOPS = re.compile(r"`%s\b| in %s " % (_SAFE_CALL, _SAFE_CALL))


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
            values = [int(v) for v in re.findall(r"^(?:\(int\) )?\$\d+ = (-?\d+)\s*$", output, re.MULTILINE)]
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
