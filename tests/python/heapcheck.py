"""Standard-library helpers shared by the capture tests and version_check.py (which runs on
interpreters without pytest): an independent census of live objects, and holder paths."""

import gc
import sys
import types

_type_name = type.__dict__["__name__"].__get__  # a class's name without its metaclass's hooks
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_type_bases = type.__dict__["__bases__"].__get__
_HEAPTYPE = 1 << 9
_getset_descriptor = type(types.FunctionType.__dict__["__code__"])
# 3.13+ keeps instance attributes inline: an instance's __dict__ (made when it is first read,
# as the capture does) is then no referent of the instance.
_INLINE_VALUES = sys.version_info >= (3, 13)


def _dict_getter(t):
    """The ``__dict__`` descriptor of instances of class ``t``, looked up without its hooks."""
    for klass in _type_mro(t) or ():
        if not _type_flags(klass) & _HEAPTYPE:
            return None  # a builtin base keeps its instances' dicts in place (or is type)
        desc = dict(_type_dict(klass)).get("__dict__")
        if type(desc) is _getset_descriptor:
            return desc
    return None


def census():
    """An independent count of live objects per type name: gc objects and all they reach."""
    stack = gc.get_objects()
    getters = {}
    seen = {id(stack)}  # made after the object list, so the census does not count its own state
    counts = {}
    for frame in sys._current_frames().values():  # running frames' locals: no gc referents
        while frame is not None:
            if frame.f_code is not census.__code__:
                stack.extend(frame.f_locals.values())
            frame = frame.f_back
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        name = _type_name(type(o))
        counts[name] = counts.get(name, 0) + 1
        stack.extend(gc.get_referents(o))
        if _INLINE_VALUES and _type_flags(type(o)) & _HEAPTYPE:
            if id(type(o)) not in getters:
                getters[id(type(o))] = _dict_getter(type(o))
            getter = getters[id(type(o))]
            if getter is not None:
                stack.append(getter.__get__(o))
        if issubclass(type(o), type) and not _type_flags(o) & _HEAPTYPE:
            # gc sees no static type: its MRO and bases tuples, and the static types made on
            # it, are reached through it (as the capture does).
            stack.extend(t for t in (_type_mro(o), _type_bases(o)) if t is not None)
            stack.extend(type.__subclasses__(o))
        if type(o) is dict:
            stack.extend(o.keys())
        elif type(o) is types.CodeType:
            stack.extend((o.co_consts, o.co_names, o.co_filename, o.co_name))
    return counts


def joined_path(edges):
    """Edge labels from a root down, joined the way FORMAT.md says readers show them."""
    out = ""
    for edge in edges:
        if out.endswith(".__dict__") and edge.startswith("['") and edge.endswith("']"):
            out = out[: -len(".__dict__")] + "." + edge[2:-2]
        elif out and (edge[:1].isalpha() or edge[:1] == "<"):
            out += " " + edge
        else:
            out += edge
    return out
