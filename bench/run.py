#!/usr/bin/env python3
"""`make bench`: heapsnap against its baselines, side by side in one run, printed as ratios.

1. Capture: the same synthetic heap (bench/heap_app.py), built in fresh processes, captured
   by the seed method and by heapsnap, alternating; medians of wall time and peak extra RSS.
   Then attach by PID, the capture under tracemalloc (with and without line tables), and both
   methods on the heap of a process using django, sqlalchemy, pandas and numpy
   (bench/library_heap.py, in a virtual environment made under target/ on first use).
2. Analyzer: two real captures of a ~1M-object heap (gzip) compared by `heapsnap diff`,
   against GNU diff and `sort | comm` on the same files decompressed (the seed's workflow);
   the page on the same files; the parsed model's memory; then ~5M objects: time and memory.

    python3 bench/run.py [--runs 3] [--scale 1.0] [--analyzer-scale 0.55] [--big-scale 2.8]
                        [--traced-scale 0.3]
"""

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLI = os.path.join(ROOT, "target", "release", "heapsnap")


def ensure_pympler():
    try:
        import pympler  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pympler"],
                       check=True)


def app(method, out, scale, then=None):
    cmd = [sys.executable, os.path.join(HERE, "heap_app.py"), method, out, "--scale", str(scale)]
    if then:
        cmd += ["--then", then]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def header_of(path):
    """The `#key<TAB>value` header lines of a gzip snapshot, as a dict (read up to the first object)."""
    header = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].rstrip("\n").partition("\t")
            header[key] = value
    return header


def timed(cmd, runs):
    """Median wall seconds of `cmd` over `runs` runs."""
    return timed_alternating([cmd], runs)[0]


def timed_alternating(cmds, runs):
    """Median wall seconds of each of `cmds` over `runs` rounds, the commands taking turns in each
    round, so a slow spell of the machine falls on all of them alike."""
    times = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, spent in zip(cmds, times):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
            spent.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def peak_rss_mib(cmd):
    """Peak RSS of one run of `cmd`, measured in a fresh child so no other process counts."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + cmd, check=True, capture_output=True, text=True).stdout
    return int(out) / 1024


def seed_against_heapsnap(tmp, runs, tag, run_one):
    """Both capture methods, taking turns `runs` times: `run_one(method, out)` runs one in a fresh
    process and returns its JSON. Prints each run; returns every result and the medians of wall
    time and extra memory, by method."""
    results = {"seed": [], "heapsnap": []}
    for i in range(runs):
        for method in ("seed", "heapsnap"):
            out = os.path.join(tmp, "%s%s-%d.%s" % (tag, method, i, "txt" if method == "seed" else "hsnap.gz"))
            r = run_one(method, out)
            results[method].append(r)
            print("  run %d %-8s %6.2f s  +%6.1f MiB  %9s objects  %6.1f MiB file" % (
                i + 1, method, r["seconds"], r["extra_rss_mib"], r["objects"] or "all", r["out_bytes"] / 2**20))
    med = {m: (statistics.median(r["seconds"] for r in rs), statistics.median(r["extra_rss_mib"] for r in rs))
           for m, rs in results.items()}
    return results, med


def capture_bench(tmp, runs, scale):
    print("== capture: seed method (pympler muppy + str() + sort + write) vs heapsnap.capture")
    results, med = seed_against_heapsnap(tmp, runs, "", lambda method, out: app(method, out, scale))
    print("  median seed     %6.2f s  +%6.1f MiB" % med["seed"])
    print("  median heapsnap %6.2f s  +%6.1f MiB" % med["heapsnap"])
    print("  ratio heapsnap/seed: time %.2fx (target <= 1.0), extra memory %.2fx (target <= 0.5)" % (
        med["heapsnap"][0] / med["seed"][0], med["heapsnap"][1] / med["seed"][1]))
    objects = results["heapsnap"][0].get("objects") or int(1.8e6 * scale)
    floor = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "line_floor.py"), str(objects)], check=True,
                                      capture_output=True, text=True).stdout)
    print("  floor: formatting %s lines with one %%-format each, nothing else, takes %.2f s = %.2fx the seed method" % (
        "{:,}".format(floor["objects"]), floor["seconds"], floor["seconds"] / med["seed"][0]))


# The library heap's packages, pinned: their objects are what is measured.
LIBRARIES = ["django==5.2.19", "sqlalchemy==2.1.9", "pandas==3.1.1", "numpy==2.4.6", "requests==2.32.5",
             "pympler"]
BENCH_VENV = os.path.join(ROOT, "target", "bench-venv")


def library_python():
    """The Python of a virtual environment holding LIBRARIES (made on first use)."""
    python = os.path.join(BENCH_VENV, "bin", "python")
    stamp = os.path.join(BENCH_VENV, "libraries.txt")
    wanted = "\n".join(LIBRARIES)
    if not os.path.exists(stamp) or open(stamp).read() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", BENCH_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + LIBRARIES,
                       check=True)
        with open(stamp, "w") as f:
            f.write(wanted)
    return python


def library_bench(tmp, runs):
    """The same two methods on the heap of a process using django, sqlalchemy, pandas, numpy."""
    print("== capture of a library-heavy heap (bench/library_heap.py: django, sqlalchemy, pandas, numpy)")
    try:
        python = library_python()
    except subprocess.CalledProcessError as e:
        print("  skipped: could not make its virtual environment (%s)" % e)
        return
    script = os.path.join(HERE, "library_heap.py")
    _, med = seed_against_heapsnap(tmp, runs, "lib-", lambda method, out: json.loads(subprocess.run(
        [python, script, method, out], check=True, capture_output=True, text=True).stdout))
    print("  median seed %.2f s +%.1f MiB, heapsnap %.2f s +%.1f MiB: time %.2fx, extra memory %.2fx" % (
        med["seed"] + med["heapsnap"] + (med["heapsnap"][0] / med["seed"][0], med["heapsnap"][1] / med["seed"][1])))
    # The analyzer on a pair of such captures: more text per object, more types, ORM rows.
    a, b = os.path.join(tmp, "lib-a.hsnap.gz"), os.path.join(tmp, "lib-b.hsnap.gz")
    subprocess.run([python, script, "heapsnap", a, "--then", b], check=True, stdout=subprocess.DEVNULL)
    plain = plain_copies([a, b])
    ours, gnu = timed_alternating([[CLI, "diff", a, b], ["diff", plain[0], plain[1]]], max(runs, 5))
    page = page_run([a, b])
    print("  analyzer on a pair of them (%.0f MiB of text each): heapsnap diff %.2f s, peak RSS %.0f MiB; GNU diff "
          "%.2f s (%.1fx); the page %.2f s to the first suspect (%.1fx the native diff), worker %.0f MiB" % (
              os.path.getsize(plain[0]) / 2**20, ours, peak_rss_mib([CLI, "diff", a, b]), gnu, gnu / ours,
              page["seconds"], page["seconds"] / ours, page["workerBytes"] / 2**20))


def traced_bench(tmp, scale):
    """The capture under tracemalloc: its line-table-free methods against the methods as written."""
    print("== capture under tracemalloc (1 frame; a smaller heap, scale %.2f)" % scale)
    runs = {m: app(m, os.path.join(tmp, m + ".hsnap.gz"), scale)["seconds"]
            for m in ("heapsnap", "heapsnap-traced-line-tables", "heapsnap-traced")}
    untraced, lines, free = runs["heapsnap"], runs["heapsnap-traced-line-tables"], runs["heapsnap-traced"]
    print("  untraced %.2f s; traced, methods as written %.2f s (%.1fx); traced, without line tables %.2f s (%.1fx)"
          % (untraced, lines, lines / untraced, free, free / untraced))
    print("  ratio without line tables / as written: %.2fx" % (free / lines))


def gzip_level_bench(plain_path):
    """The capture's choice of gzip level: 1 against 6 on the same snapshot text."""
    import zlib
    with open(plain_path, "rb") as f:
        data = f.read()
    print("== gzip level for snapshots (%.0f MiB of text; the capture uses level 1)" % (len(data) / 2**20))
    results = {}
    for level in (1, 6):
        t0 = time.perf_counter()
        size = len(zlib.compress(data, level))
        results[level] = (time.perf_counter() - t0, size)
        print("  level %d  %5.2f s  %6.1f MiB" % (level, results[level][0], size / 2**20))
    print("  level 6 / level 1: time %.2fx, size %.2fx" % (results[6][0] / results[1][0], results[6][1] / results[1][1]))


def attach_bench(tmp, scale):
    """heapsnap.py attach on a running ~1.5M-object process that never imported heapsnap."""
    sys.path.insert(0, os.path.join(ROOT, "capture-script"))
    import heapsnap
    print("== attach: heapsnap.py attach PID on a running process (never imported heapsnap)")
    target = subprocess.Popen([sys.executable, os.path.join(HERE, "heap_app.py"), "target", "-", "--scale", str(scale)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout.readline() == "ready\n"
        ask = lambda: (target.stdin.write("?\n"), target.stdin.flush(), json.loads(target.stdout.readline()))[2]
        idle = ask()
        t0 = time.perf_counter()
        try:
            path = heapsnap.attach(target.pid, tmp)
        except heapsnap.AttachError as e:
            print("  skipped: %s" % e)
            return
        seconds = time.perf_counter() - t0
        after = ask()
        header = header_of(path)
        print("  %s objects; attach to snapshot written %.2f s (capture %s s inside the target)" % (
            "{:,}".format(int(header["objects"])), seconds, header["duration"]))
        print("  target: longest stall of a thread ticking every 1 ms %.0f ms (idle: %.0f ms); "
              "peak extra RSS +%.1f MiB" % (after["longest_stall_ms"], idle["longest_stall_ms"], after["extra_rss_mib"]))
    finally:
        target.kill()
        target.wait()


def edges_bench(tmp, scale):
    """Reference edges: what they cost in the capture, and dominators on a real and synthetic graph."""
    print("== edges and retained sizes (capture(path, edges=True), heapsnap top --retained)")
    runs = {}
    for method in ("heapsnap", "heapsnap-edges"):
        out = os.path.join(tmp, method + ".hsnap.gz")
        runs[method] = app(method, out, scale)
        runs[method]["path"] = out
    plain, edges = runs["heapsnap"], runs["heapsnap-edges"]
    print("  capture without edges %.2f s, %.1f MiB; with edges %.2f s, %.1f MiB (time %.2fx, file %.2fx)" % (
        plain["seconds"], plain["out_bytes"] / 2**20, edges["seconds"], edges["out_bytes"] / 2**20,
        edges["seconds"] / plain["seconds"], edges["out_bytes"] / plain["out_bytes"]))
    top = [CLI, "top", "--retained", edges["path"]]
    seconds = timed(top, 1)
    print("  heapsnap top --retained on that capture (gzip in, parse + graph + dominators): %.2f s, peak RSS %.0f MiB" % (
        seconds, peak_rss_mib(top)))
    a, b = os.path.join(tmp, "e3-a.hsnap.gz"), os.path.join(tmp, "e3-b.hsnap.gz")
    app("heapsnap-edges", a, 1.7, then=b)
    page = page_run(["--retained", a, b])
    objects = int(header_of(b)["objects"])
    print("  page: two %s-object snapshots with edges, dominator tree of the newest shown %.2f s after the page "
          "receives them (analysis with retained sizes of both included; target <= 3 s for the dominators); "
          "worker %.0f MiB" % ("{:,}".format(objects), page["seconds"], page["workerBytes"] / 2**20))
    subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "dominators_bench"], cwd=ROOT, check=True)
    example = os.path.join(ROOT, "target", "release", "examples", "dominators_bench")
    synthetic = os.path.join(tmp, "synthetic.hsnap")
    for shape in ("heap", "uniform"):
        extra = ["uniform"] if shape == "uniform" else ["--write", synthetic]
        r = json.loads(subprocess.run([example] + extra, check=True, capture_output=True, text=True).stdout)
        print("  dominators alone, %s-shaped graph of %s nodes and %s edges: %.2f s (target <= 2 s), graph %d MiB" % (
            shape, "{:,}".format(r["nodes"]), "{:,}".format(r["edges"]), r["seconds"], r["graph_mib"]))
    top = [CLI, "top", "--retained", synthetic]
    print("  that heap-shaped graph as a snapshot (%.0f MiB of text): heapsnap top --retained %.2f s "
          "(parse, graph from the refs column, dominators, paths), peak RSS %.0f MiB" % (
              os.path.getsize(synthetic) / 2**20, timed(top, 1), peak_rss_mib(top)))
    for path in (synthetic, b):
        w = json.loads(subprocess.run(["node", os.path.join(HERE, "browser-retained.mjs"), path], check=True,
                                      capture_output=True, text=True).stdout)
        print("  in headless Chromium (the page's worker) on %s: parse %.2f s, graph + dominators %.2f s "
              "(target <= 3 s)" % (os.path.basename(path), w["parseSeconds"], w["dominatorsSeconds"]))


def two_snapshots(tmp, tag, scale):
    """Two captures of one process by the real capture script, gzip and plain; object count."""
    a, b = os.path.join(tmp, tag + "-a.hsnap.gz"), os.path.join(tmp, tag + "-b.hsnap.gz")
    app("heapsnap", a, scale, then=b)
    return a, b, plain_copies([a, b]), int(header_of(a)["objects"])


def plain_copies(paths):
    """Each gzip file of `paths` decompressed next to it (`.gz` dropped); the new paths."""
    for path in paths:
        with gzip.open(path, "rb") as src, open(path[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return [path[:-3] for path in paths]


def page_run(args):
    """One run of bench/browser.mjs (the page in headless Chromium) with ``args``: its JSON."""
    return json.loads(subprocess.run(["node", os.path.join(HERE, "browser.mjs")] + args, check=True,
                                     capture_output=True, text=True).stdout)


def analyzer_bench(tmp, runs, scale):
    print("== analyzer: heapsnap diff (gzip in) vs GNU diff and sort|comm (plain text in)")
    a, b, plain, objects = two_snapshots(tmp, "m1", scale)
    size = os.path.getsize(plain[0])
    print("  two snapshots of one process: %s objects each, %.0f MiB plain, %.0f MiB gzip" % (
        "{:,}".format(objects), size / 2**20, os.path.getsize(a) / 2**20))
    # Each takes under a second: more rounds than --runs, so the medians hold on a noisy machine.
    rounds = max(runs, 7)
    ours, gnu, comm = timed_alternating([
        [CLI, "diff", a, b],
        ["diff", plain[0], plain[1]],
        ["bash", "-c", 'LC_ALL=C sort "$0" | LC_ALL=C comm -3 - <(LC_ALL=C sort "$1")', plain[0], plain[1]],
    ], rounds)
    print("  medians of %d rounds, the three commands taking turns" % rounds)
    print("  heapsnap diff (gzip)   %6.3f s" % ours)
    print("  GNU diff (plain)       %6.3f s" % gnu)
    print("  sort | comm (plain)    %6.3f s" % comm)
    print("  speed-up vs diff %.1fx (target >= 5), vs sort|comm %.1fx; heapsnap %.3f s (target <= 0.35 s)" % (
        gnu / ours, comm / ours, ours))
    cold, picked = (statistics.median(page_run(flags + [a, b])["seconds"] for _ in range(runs))
                    for flags in ([], ["--picked"]))
    print("  page (headless Chromium, wasm), median of %d: first suspect %.2f s after the page receives the files "
          "(target <= 1.0 s); %.1fx the native diff (target <= 1.6)" % (runs, cold, cold / ours))
    print("  page, the file button pressed 1 s before the files arrive (workers readied meanwhile): %.2f s; "
          "%.1fx the native diff" % (picked, picked / ours))
    gzip_level_bench(plain[0])
    summary_rss = peak_rss_mib([CLI, "summary", plain[0]])
    gzip_summary_rss = peak_rss_mib([CLI, "summary", a])
    diff_rss = peak_rss_mib([CLI, "diff", a, b])
    print("  peak RSS: summary of one %.0f MiB snapshot, read plain %.0f MiB (%.2fx its text; target <= 1.3x), "
          "read gzip %.0f MiB (%.2fx); diff of two %.0f MiB" % (
              size / 2**20, summary_rss, summary_rss * 2**20 / size, gzip_summary_rss, gzip_summary_rss * 2**20 / size,
              diff_rss))


def big_bench(tmp, scale):
    print("== analyzer at scale: two snapshots of a bigger heap")
    a, b, plain, objects = two_snapshots(tmp, "big", scale)
    size = os.path.getsize(plain[0])
    print("  %s objects each, %.0f MiB plain, %.0f MiB gzip" % (
        "{:,}".format(objects), size / 2**20, os.path.getsize(a) / 2**20))
    ours = timed([CLI, "diff", a, b], 1)
    gnu = timed(["diff", plain[0], plain[1]], 1)
    diff_rss = peak_rss_mib([CLI, "diff", a, b])
    summary_rss = peak_rss_mib([CLI, "summary", a])
    print("  heapsnap diff (gzip) %.2f s, peak RSS %.0f MiB (%.2fx the two texts); GNU diff (plain) %.2f s" % (
        ours, diff_rss, diff_rss * 2**20 / (size + os.path.getsize(plain[1])), gnu))
    print("  heapsnap summary (gzip) peak RSS %.0f MiB (%.2fx its text)" % (summary_rss, summary_rss * 2**20 / size))
    page = page_run([a, b])
    print("  page (headless Chromium, wasm): first suspect %.2f s after the page receives the files; "
          "analysis worker memory %.0f MiB (%.2fx the two texts); main thread JS heap %.0f MiB" % (
              page["seconds"], page["workerBytes"] / 2**20, page["workerBytes"] / (size + os.path.getsize(plain[1])),
              (page["mainHeapBytes"] or 0) / 2**20))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--analyzer-scale", type=float, default=0.55, help="heap scale of the ~1M-object comparison")
    parser.add_argument("--big-scale", type=float, default=2.8, help="heap scale of the ~5M-object run (0 skips it)")
    parser.add_argument("--traced-scale", type=float, default=0.3, help="heap scale of the tracemalloc capture run")
    parser.add_argument("--only", choices=["capture", "library", "analyzer", "edges"])
    args = parser.parse_args()
    ensure_pympler()
    with tempfile.TemporaryDirectory(prefix="heapsnap-bench-") as tmp:
        if args.only in (None, "capture"):
            capture_bench(tmp, args.runs, args.scale)
            attach_bench(tmp, args.scale)
            traced_bench(tmp, args.traced_scale)
        if args.only in (None, "capture", "library"):
            library_bench(tmp, args.runs)
        if args.only in (None, "analyzer"):
            analyzer_bench(tmp, args.runs, args.analyzer_scale)
            if args.big_scale > 0:
                big_bench(tmp, args.big_scale)
        if args.only in (None, "analyzer", "edges"):
            edges_bench(tmp, args.scale)


if __name__ == "__main__":
    main()
