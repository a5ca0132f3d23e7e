"""Work that is heavy on CPU, kept off the gevent hub of the web process.

Under the gevent worker every request and WebSocket of the process shares one OS thread, the
hub's: a call that computes for 100 ms there stalls them all for 100 ms. `off_the_event_loop`
runs such a call in a real OS thread of gevent's hub threadpool and waits for it
cooperatively, so the other greenlets keep running. Outside gevent (tests, `flask jobs run`,
the threaded development server) it is a plain call.
"""

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def under_gevent() -> bool:
    """Whether gevent has patched threading in this process (the gunicorn worker)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def off_the_event_loop(fn: Callable[..., T], *args) -> T:
    """Run `fn(*args)` in a real thread under gevent (its exception is raised here), or
    directly otherwise. Helps when `fn` releases the GIL (argon2, Pillow) or when it is plain
    Python: the GIL then switches between the thread and the hub every few milliseconds."""
    if not under_gevent():
        return fn(*args)
    from gevent import get_hub

    return get_hub().threadpool.apply(fn, args)
