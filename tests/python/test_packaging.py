"""`pip install ./capture-script` gives the module and the `heapsnap-capture` command."""

import os
import shutil
import subprocess
import sys
import venv

from conftest import CAPTURE_DIR


def test_pip_install_gives_module_and_console_script(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(str(env_dir))
    python = str(env_dir / "bin" / "python")
    source = tmp_path / "src"  # a copy: the build writes next to the sources
    shutil.copytree(CAPTURE_DIR, str(source), ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
                   check=True, capture_output=True, text=True)
    script = str(env_dir / "bin" / "heapsnap-capture")
    version = subprocess.run([script, "--version"], check=True, capture_output=True, text=True).stdout
    assert version.startswith("heapsnap.py 0.1.0")
    out = str(tmp_path / "s.hsnap.gz")
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([python, "-c", "import heapsnap, sys; heapsnap.capture(sys.argv[1])", out], check=True,
                   cwd=str(tmp_path), env=clean_env)
    assert os.path.getsize(out) > 1000
    assert sys.version_info >= (3, 8)
