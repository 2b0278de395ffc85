"""Captures while the process is busy: inside a running asyncio loop, and a real multi-threaded
WSGI server (waitress, from PyPI) under a bounded local load, attached to and signalled."""

import asyncio
import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import heapsnap
from conftest import CAPTURE_DIR, Snapshot

SERVER = r"""
import signal, sys
import heapsnap
from waitress import serve
SEEN = []  # the leak: every request is kept
def app(environ, start_response):
    SEEN.append({"path": environ["PATH_INFO"], "agent": environ.get("HTTP_USER_AGENT", "")})
    body = b"ok %d" % len(SEEN)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
heapsnap.install_signal_handler(signal.SIGUSR2, sys.argv[1])
serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=8, _quiet=True)
"""


def test_capture_inside_a_running_asyncio_loop(tmp_path):
    async def producer(store, stop):
        i = 0
        while not stop.is_set():
            store[i % 2000] = {"n": i, "payload": "x" * (i % 30)}
            i += 1
            await asyncio.sleep(0)

    async def main():
        store, stop = {}, asyncio.Event()
        tasks = [asyncio.ensure_future(producer(store, stop)) for _ in range(4)]
        await asyncio.sleep(0.05)
        inline = heapsnap.capture(str(tmp_path / "inline.hsnap.gz"))  # blocks the loop: fine
        loop = asyncio.get_running_loop()
        threaded = await loop.run_in_executor(None, heapsnap.capture, str(tmp_path / "thread.hsnap.gz"))
        stop.set()
        await asyncio.gather(*tasks)
        return inline, threaded

    inline, threaded = asyncio.run(main())
    for path in (inline, threaded):
        snap = Snapshot(path)
        assert snap.footer == "#end\t%d" % len(snap.objects)
        assert snap.find("dict", "'payload': 'x")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"User-Agent": "heapsnap-load"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def server(tmp_path):
    pytest.importorskip("waitress")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=CAPTURE_DIR, PYTHONFAULTHANDLER="1")  # a crash prints every thread's stack
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path), str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while True:
        try:
            get(port, "/warm-up")
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("server did not start: %s" % proc.stderr.read())
            time.sleep(0.05)
    yield proc, port
    proc.kill()
    proc.wait()


def load(port, seconds, clients=8):
    """Bounded load: `clients` threads sending requests for `seconds`; returns the statuses."""
    statuses, lock = [], threading.Lock()
    stop = time.time() + seconds

    def client(k):
        n = 0
        while time.time() < stop:
            status, _ = get(port, "/item/%d/%d" % (k, n))
            with lock:
                statuses.append(status)
            n += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    return threads, statuses


def wait_for_snapshot(directory, count, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        names = [n for n in os.listdir(str(directory)) if n.endswith(".hsnap.gz")]
        if len(names) >= count:
            return sorted(os.path.join(str(directory), n) for n in names)
        time.sleep(0.05)
    proc.kill()  # to read what it said
    raise AssertionError("no snapshot in %s; the server said:\n%s" % (directory, proc.communicate()[1]))


def test_a_wsgi_server_under_load_is_captured_by_signal_and_by_attach(server, tmp_path):
    proc, port = server
    threads, statuses = load(port, seconds=3.0)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGUSR2)  # the handler captures in the signalled thread
    [by_signal] = wait_for_snapshot(tmp_path, 1, proc)
    attached = None
    if shutil.which("lldb") or shutil.which("gdb") or hasattr(sys, "remote_exec"):
        attached = heapsnap.attach(proc.pid, str(tmp_path))
    for t in threads:
        t.join()
    assert statuses and set(statuses) == {200}, "every request answered while capturing"
    assert get(port, "/after")[0] == 200
    for path in filter(None, (by_signal, attached)):
        snap = Snapshot(path)
        assert snap.footer == "#end\t%d" % len(snap.objects)
        [seen] = [o for o in snap.objects if o["type"] == "list" and snap.path_of(o) == "__main__.SEEN"]
        assert int(seen["len"]) > 10
        assert snap.find("dict", "'agent': 'heapsnap-load'")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err
