"""Attach to a running process that never imported heapsnap: it writes a snapshot of itself."""

import os
import shutil
import subprocess
import sys

import pytest

import heapsnap
from conftest import CAPTURE_DIR, Snapshot

TARGET = r"""
import sys, threading, time
cache = {}
class Session:
    def __init__(self, n):
        self.n = n
def work():
    i = 0
    while True:  # mutates at full speed while the capture runs
        cache[i % 5000] = Session(i)
        i += 1
threading.Thread(target=work, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:  # answers each line: proves the process still runs, unharmed
    print("alive %d" % len(cache), flush=True)
"""

needs_debugger = pytest.mark.skipif(not (shutil.which("lldb") or shutil.which("gdb")) and
                                    not hasattr(sys, "remote_exec"), reason="no gdb or lldb (make tools-debugger)")


@pytest.fixture
def target():
    proc = subprocess.Popen([sys.executable, "-c", TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONPATH=""))
    assert proc.stdout.readline() == "ready\n"
    yield proc
    proc.kill()
    proc.wait()


def ask(proc):
    proc.stdin.write("?\n")
    proc.stdin.flush()
    return proc.stdout.readline()


@needs_debugger
def test_attach_writes_a_snapshot_of_the_target_which_keeps_running(target, tmp_path):
    path = heapsnap.attach(target.pid, str(tmp_path))
    assert os.path.basename(path).startswith("heapsnap-%d-" % target.pid)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    snap = Snapshot(path)
    assert snap.header["pid"] == str(target.pid)
    cache = [o for o in snap.objects if o["type"] == "dict" and snap.path_of(o) == "__main__.cache"]
    assert len(cache) == 1 and int(cache[0]["len"]) > 0
    assert snap.find("__main__.Session", "Session(n=")
    assert ask(target).startswith("alive ")
    # Only the capture's thread and the file were added; nothing is left in the status file.
    assert os.listdir(str(tmp_path)) == [os.path.basename(path)]
    # A second attach reuses the module the first one loaded.
    again = heapsnap.attach(target.pid, str(tmp_path), {"contents": "none"})
    assert Snapshot(again).header["options"].endswith("contents=none")
    assert ask(target).startswith("alive ")


@needs_debugger
def test_attach_command_prints_the_path(target, tmp_path):
    out = subprocess.run([sys.executable, os.path.join(CAPTURE_DIR, "heapsnap.py"), "attach", str(target.pid),
                          "--out", str(tmp_path), "--max-objects", "1000"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert os.path.dirname(out) == str(tmp_path)
    assert Snapshot(out).header["degraded"].startswith("max_objects=1000 reached")


@pytest.mark.skipif(not shutil.which("gdb"), reason="no gdb")
def test_gdb_is_never_let_loose_where_it_cannot_call(target, tmp_path):
    if not heapsnap._gdb_cannot_call():
        pytest.skip("this gdb can call functions here")
    with pytest.raises(heapsnap.AttachError, match="did not let it try"):
        heapsnap.attach(target.pid, str(tmp_path), debugger="gdb")
    assert ask(target).startswith("alive "), "the target is untouched"


def test_attach_refuses_a_process_that_is_not_python(tmp_path):
    proc = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(heapsnap.AttachError, match="not a CPython interpreter"):
            heapsnap.attach(proc.pid, str(tmp_path))
    finally:
        proc.kill()
        proc.wait()


def test_attach_to_no_process(tmp_path):
    with pytest.raises(heapsnap.AttachError, match="no process"):
        heapsnap.attach(2 ** 22 + 12345, str(tmp_path))


def test_attach_says_what_to_install_without_a_debugger(target, tmp_path, monkeypatch):
    if hasattr(sys, "remote_exec"):
        pytest.skip("3.14+ attaches without a debugger")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(heapsnap.AttachError, match="needs lldb or gdb on PATH.*apt-get install"):
        heapsnap.attach(target.pid, str(tmp_path))
    assert ask(target).startswith("alive ")


def test_attach_explains_refused_ptrace():
    message = heapsnap._explain_failure(42, [("gdb", "ptrace: Operation not permitted.\n")])
    assert "may not trace process 42" in message and "SYS_PTRACE" in message


def test_attach_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="pid"):
        heapsnap.attach(-1, str(tmp_path))
    with pytest.raises(ValueError, match="max_objects"):
        heapsnap.attach(os.getpid(), str(tmp_path), {"max_objects": 0})
    with pytest.raises(ValueError, match="debugger"):
        heapsnap.attach(os.getpid(), str(tmp_path), debugger="windbg")


def test_a_thread_blocked_in_a_system_call_is_found_in_each_debugger_listing():
    gdb_plain = ('  Id   Target Id                                   Frame \n'
                 '* 1    Thread 0x7f73 (LWP 23427) "python3" 0x00007f73 in __GI___libc_read (fd=0, buf=0x55, nbytes=8192) '
                 'at ../sysdeps/unix/sysv/linux/read.c:26\n')
    # With libc's debug symbols (Debian's libc6-dbg) gdb shows no address and no " in ".
    gdb_symbols = ('* 1    Thread 0x7f73 (LWP 23427) "python3" __GI___clock_nanosleep (clock_id=clock_id@entry=1, '
                   'flags=flags@entry=1) at ../sysdeps/unix/sysv/linux/clock_nanosleep.c:71\n'
                   '  2    Thread 0x7f70 (LWP 23430) "python3" _PyEval_EvalFrameDefault (tstate=0x55) at Python/ceval.c:1\n')
    busy = '* 1    Thread 0x7f73 (LWP 23427) "python3" _PyEval_EvalFrameDefault (tstate=0x55) at Python/ceval.c:1\n'
    lldb = ("* thread #1, name = 'python3', stop reason = signal SIGSTOP\n"
            "  thread #2: tid = 23430, 0x00007f73 libc.so.6`__GI___poll(fds=0x0, nfds=1, timeout=-1) at poll.c:29\n")
    assert heapsnap._safe_thread("gdb", gdb_plain) == "1"
    assert heapsnap._safe_thread("gdb", gdb_symbols) == "1"
    assert heapsnap._safe_thread("gdb", busy) is None
    assert heapsnap._safe_thread("lldb", lldb) == "2"
