"""Starting child processes that die with the launcher and ignore the terminal's Ctrl-C.

Children get their own process group so that Ctrl-C reaches only the launcher, which then
stops them in order; on Linux PR_SET_PDEATHSIG kills them if the launcher itself is killed.
Elsewhere (Windows, macOS) the standard library offers neither, and the launcher's own
`finally` is what stops them.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, Callable

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
          stdout: IO[Any] | int | None = None) -> subprocess.Popen[bytes]:
    kwargs: dict[str, Any] = {}
    if sys.platform.startswith("linux"):
        preexec: Callable[[], None] = _die_with_parent
        kwargs["preexec_fn"] = preexec
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return subprocess.Popen(argv, env=env, cwd=cwd, stdout=stdout,
                            stderr=subprocess.STDOUT if stdout is not None else None, **kwargs)


def stop(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """SIGTERM, wait, then kill. Returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
