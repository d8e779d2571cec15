"""Worker processes that end with the crawler, however the crawler ends (SIGKILL included).

A pool worker (extraction, CDXJ index) waits on its task queue, of which it holds both ends,
so a dead crawler never reaches it as end-of-file. A forkserver worker also holds the
forkserver's "alive" pipe, so the forkserver, and multiprocessing's resource tracker behind
it, wait for the worker in turn: all of them ran on forever, parented to init. A parent-death
signal (prctl PR_SET_PDEATHSIG) cannot fix this alone: a forkserver worker's parent is the
forkserver, not the crawler, and the signal follows the *thread* that started the child, not
its process. So each worker watches the crawler's process itself (a pidfd, Linux 5.3+; a
one-second poll elsewhere) and exits when it ends; the forkserver and the resource tracker
then read end-of-file on their pipes and exit by themselves.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time
from collections.abc import Callable

_POLL_SECONDS = 1.0


def exit_with(pid: int) -> None:
    """End this process as soon as process `pid` has ended (a pool `initializer`)."""
    threading.Thread(target=_watch, args=(pid,), name=f"exit-with-{pid}", daemon=True).start()


def _watch(pid: int) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:  # ended before we started watching
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here: poll instead
        while _exists(pid):
            time.sleep(_POLL_SECONDS)
        os._exit(1)
    select.select([pidfd], [], [])  # a pidfd turns readable when its process has ended
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the number: ours is gone
        return False
    return True


def parent_death_signal(sig: int = signal.SIGKILL) -> Callable[[], None]:
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` when the thread that
    started it ends (its process dying included). Linux prctl(PR_SET_PDEATHSIG); elsewhere
    a no-op. libc is looked up here, in the parent: the child only makes the one call."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return lambda: None
    pr_set_pdeathsig = 1  # <linux/prctl.h>
    parent = os.getpid()

    def set_signal() -> None:
        prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was set up
            os._exit(1)

    return set_signal
