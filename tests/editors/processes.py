"""Editor processes in groups of their own: whatever a run starts (the language server, a
retrain, code-server's extension hosts) is killed with it, pass or fail."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any


def run_in_group(
    argv: list[str], timeout: float, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run` in a new process group, all of which is killed afterwards."""
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kwargs,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        kill_group(process)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def kill_group(process: subprocess.Popen[Any]) -> None:
    """TERM the whole group, then KILL what is left: code-server's file watchers and extension
    hosts outlive their parent, and a disconnected host would wait hours for its browser."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
