#!/usr/bin/env python3
"""A synthetic application heap of about 1.5M live objects, then one capture method, measured.

    python3 bench/heap_app.py METHOD OUT [--scale S] [--then OUT2]
    python3 bench/heap_app.py target - [--scale S]     (a service to attach to; see below)

METHOD is `heapsnap` (capture-script/heapsnap.py) or `seed` (the blog post's method:
pympler's muppy.get_objects(), str(type(o)) + ' ' + str(o) for each, sorted, written);
`heapsnap-edges` captures with edges=True; `heapsnap-traced` runs tracemalloc (1 frame) from
before the heap is built, and `heapsnap-traced-line-tables` too, with the capture's methods
kept as written (the baseline of their line-table-free copies; see _LINE_FREE_COPIES).
Prints one JSON line: {"method", "objects", "seconds", "extra_rss_mib", "out_bytes"}.
Extra memory is the peak RSS during the capture above the RSS before it (VmHWM, reset
through /proc/self/clear_refs). METHOD `target` never imports heapsnap: it builds the heap,
prints "ready", runs a thread that ticks every millisecond, and answers each stdin line with
JSON {"extra_rss_mib", "longest_stall_ms"} since the last answer — for `heapsnap.py attach`. With --then, the heap then grows (new records kept in a
module-level list) and a second heapsnap capture goes to OUT2: a pair from one process.
"""

import argparse
import gc
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "capture-script"))


class Item:
    def __init__(self, name, price, qty):
        self.name = name
        self.price = price
        self.qty = qty


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


GROWTH = []


def grow(scale):
    GROWTH.extend(json.loads('{"id": %d, "user": "late%d", "extra": [1, 2, 3]}' % (i, i))
                  for i in range(int(scale * 20000)))


def build(scale):
    n = int(scale * 60000)
    records = [json.loads('{"id": %d, "user": "user%d", "email": "u%d@example.com", "tags": ["t%d", "x"], '
                          '"score": %d.5}' % (i, i % 5000, i, i % 97, i)) for i in range(n)]
    items = [Item("item-%d" % i, i * 1.25, i) for i in range(int(scale * 100000))]
    points = [Point(i, -i) for i in range(int(scale * 50000))]
    index = {"key-%d" % i: "value-%d-%s" % (i, "v" * (i % 40)) for i in range(int(scale * 200000))}
    return records, items, points, index


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def seed_method(path):
    from pympler import muppy
    all_objects = muppy.get_objects()
    with open(path, "w", encoding="utf-8", errors="replace") as f:
        latest_snapshot = []
        for item in all_objects:
            try:
                snap = str(type(item)) + " " + str(item)
                latest_snapshot.append(snap)
            except BaseException:
                pass
        latest_snapshot.sort()
        for item in latest_snapshot:
            f.write(item)
            f.write("\n")
        del latest_snapshot
    return len(all_objects)


def heapsnap_method(path, edges=False):
    import heapsnap
    heapsnap.capture(path, edges=edges)
    with open(path, "rb") as f:
        f.seek(-64, os.SEEK_END)
        tail = f.read()
    if path.endswith(".gz"):
        import gzip
        with gzip.open(path, "rb") as g:
            g.seek(0)
        return None
    return int(tail.rsplit(b"#end\t", 1)[1])


def serve_as_target(heap):
    import threading
    stall = [0.0]

    def tick():
        last = time.perf_counter()
        while True:
            time.sleep(0.001)
            now = time.perf_counter()
            stall[0] = max(stall[0], now - last)
            last = now

    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = rss_kib("VmRSS")
    threading.Thread(target=tick, daemon=True).start()
    print("ready", flush=True)
    for _ in sys.stdin:
        print(json.dumps({"extra_rss_mib": round((rss_kib("VmHWM") - before) / 1024, 1),
                          "longest_stall_ms": round(stall[0] * 1000, 1)}), flush=True)
        stall[0] = 0.0
    del heap


def measure(method, out, capture):
    """Runs `capture()` (it writes `out` and returns the objects it saw, or None) on the heap
    built; prints the JSON line: wall time, and peak RSS above the RSS before (VmHWM, reset)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = rss_kib("VmRSS")
    t0 = time.perf_counter()
    objects = capture()
    seconds = time.perf_counter() - t0
    peak = rss_kib("VmHWM")
    print(json.dumps({"method": method, "objects": objects, "seconds": round(seconds, 3),
                      "extra_rss_mib": round((peak - before) / 1024, 1), "out_bytes": os.path.getsize(out)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("method", choices=["heapsnap", "heapsnap-edges", "heapsnap-traced",
                                           "heapsnap-traced-line-tables", "seed", "target"])
    parser.add_argument("out")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--then", metavar="OUT2", help="grow the heap, then capture again to OUT2")
    args = parser.parse_args()
    if args.method == "target":
        return serve_as_target(build(args.scale))
    import heapsnap  # noqa: F401  (imported before measuring, as a service would have it)
    if args.method.startswith("heapsnap-traced"):
        import tracemalloc
        tracemalloc.start(1)
    if args.method == "heapsnap-traced-line-tables":
        heapsnap._drop_line_tables = lambda: None  # (then nothing is put back either)
    if args.method == "seed":
        from pympler import muppy  # noqa: F401
    heap = build(args.scale)
    if args.method == "seed":
        measure(args.method, args.out, lambda: seed_method(args.out))
    else:
        measure(args.method, args.out, lambda: heapsnap_method(args.out, edges=args.method == "heapsnap-edges"))
    if args.then:
        grow(args.scale)
        heapsnap_method(args.then, edges=args.method == "heapsnap-edges")
    del heap


if __name__ == "__main__":
    main()
