"""Ways to trigger a capture: signal, period, before/after a block, and `heapsnap.py run`."""

import os
import signal
import subprocess
import sys
import time

import pytest

import heapsnap
from conftest import CAPTURE_DIR, Snapshot


def snapshots(directory):
    return sorted(n for n in os.listdir(str(directory)) if n.endswith(".hsnap.gz"))


def test_signal_handler_writes_a_snapshot(tmp_path):
    previous = heapsnap.install_signal_handler(signal.SIGUSR2, str(tmp_path))
    try:
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(0.05)  # the handler runs at the next bytecode boundary
    finally:
        signal.signal(signal.SIGUSR2, previous)
    [name] = snapshots(tmp_path)
    assert name.startswith("heapsnap-%d-" % os.getpid())
    assert Snapshot(str(tmp_path / name)).footer.startswith("#end\t")


def test_a_failed_capture_never_raises_into_the_signalled_code(tmp_path, capsys):
    out = tmp_path / "gone"
    previous = heapsnap.install_signal_handler(signal.SIGUSR2, str(out))
    os.rmdir(str(out))  # the directory vanished since: this capture must fail
    try:
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(0.05)  # an exception from the handler would surface here
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert "heapsnap: capture failed: FileNotFoundError" in capsys.readouterr().err


def test_periodic_keeps_the_newest(tmp_path):
    periodic = heapsnap.start_periodic(every=0.1, out_dir=str(tmp_path), keep=2)
    try:
        deadline = time.time() + 20
        while len(periodic.paths) < 2 and time.time() < deadline:
            time.sleep(0.05)
        periodic.capture_now()
    finally:
        periodic.stop()
    assert len(snapshots(tmp_path)) == 2
    assert [os.path.basename(p) for p in periodic.paths] == snapshots(tmp_path)
    with pytest.raises(ValueError, match="every must be"):
        heapsnap.start_periodic(every="soon")
    with pytest.raises(ValueError, match="keep must be"):
        heapsnap.start_periodic(every=1, keep=0)


def test_watch_writes_before_and_after(tmp_path):
    with heapsnap.watch(str(tmp_path)) as w:
        grown = [{"n": i} for i in range(2000)]
    assert w.before.endswith("-before.hsnap.gz") and w.after.endswith("-after.hsnap.gz")
    assert len(Snapshot(w.after).body) > len(Snapshot(w.before).body) + 2000
    del grown


def test_run_command_snapshots_a_script(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("import sys, time\nDATA = []\nfor i in range(30):\n"
                      "    DATA.append('x%d' % i * 100)\n    time.sleep(0.05)\nprint('args', sys.argv[1:])\n")
    out = tmp_path / "snaps"
    result = subprocess.run([sys.executable, os.path.join(CAPTURE_DIR, "heapsnap.py"), "run", "--every", "0.3",
                             "--out", str(out), str(script), "a1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "args ['a1']" in result.stdout
    assert len(snapshots(out)) >= 1, result.stderr
    assert "heapsnap: snapshots in" in result.stderr


def test_run_command_leaves_the_scripts_own_errors_to_the_script(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("raise ValueError('the script is wrong, not the arguments')\n")
    result = subprocess.run([sys.executable, os.path.join(CAPTURE_DIR, "heapsnap.py"), "run", "--out",
                             str(tmp_path / "snaps"), str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" in result.stderr and "ValueError: the script is wrong" in result.stderr
    assert "usage:" not in result.stderr
    bad = subprocess.run([sys.executable, os.path.join(CAPTURE_DIR, "heapsnap.py"), "run", "--keep", "0",
                          str(script)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "keep must be" in bad.stderr and "usage:" in bad.stderr
