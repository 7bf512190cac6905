"""The app as a real server process: `app.py migrate` then `app.py serve` on a free port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def always_open_profile(folder: Path) -> str:
    """A copy of helpline.toml whose chat never closes (tests must not depend on the hour)."""
    text = (ROOT / "helpline.toml").read_text(encoding="utf-8")
    text = re.sub(r'opens = "[^"]*"', 'opens = "00:00"', text)
    text = re.sub(r'closes = "[^"]*"', 'closes = "24:00"', text)
    path = Path(folder) / "helpline-always-open.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    data: Path
    log: Path


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app did not answer on {url} within {seconds} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_app(**env_overrides: str):
    """A migrated app on 127.0.0.1 with a fresh data folder; its stdout and stderr go to a log."""
    data = Path(tempfile.mkdtemp(prefix="raporto-server-"))
    port = free_port()
    env = {**os.environ, "RAPORTO_DATA": str(data), "RAPORTO_SECRET": "server-test-secret",
           "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env.update(env_overrides)
    log = data / "server.log"
    migrate = subprocess.run([sys.executable, "app.py", "migrate"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert migrate.returncode == 0, f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "app.py", "serve"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", process, log)
        yield Server(url, data, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_in_app(server: Server, code: str, *args: str, **env: str) -> None:
    """Run Python `code` (with `args` in sys.argv[1:]) against a running app's SQLite database,
    in a process of its own: how browser tests seed staff accounts and directory rows."""
    environment = {**os.environ, "RAPORTO_DATA": str(server.data), **env}
    environment.pop("DATABASE_URL", None)
    environment.pop("SQLITE_PATH", None)
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
