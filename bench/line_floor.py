#!/usr/bin/env python3
"""The floor under any pure-Python capture: formatting one snapshot line per object.

    python3 bench/line_floor.py [OBJECTS]

Formats OBJECTS (default 1.8M, the capture bench's heap) lines the cheapest way Python
offers — one %-format per object of the repr, size, length, id and two precomputed fields,
in a list comprehension, no walk, no sorting, no writing — and prints the seconds as JSON.
A capture that writes a line per object cannot be faster than this in pure Python.
"""

import json
import sys
import time


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_800_000
    objs = ["value-%d-%s" % (i, "v" * (i % 40)) for i in range(n)]
    parents = ["7f3a5c2b1e40"] * n
    edges = ["['key-%d']" % i for i in range(n)]
    sizeof, r = sys.getsizeof, str.__repr__
    t0 = time.perf_counter()
    lines = ["str\t%s\t%d\t%d\t%x\t%s\t%s\t-\n" % (r(o), sizeof(o), len(o), id(o), p, e)
             for o, p, e in zip(objs, parents, edges)]
    seconds = time.perf_counter() - t0
    print(json.dumps({"objects": n, "seconds": round(seconds, 3), "lines": len(lines)}))


if __name__ == "__main__":
    main()
