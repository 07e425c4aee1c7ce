"""Long CPU work of a request (parsing and writing a large config file) off gevent's hub.

gunicorn's gevent worker serves every connection from one thread: a view that computes for
seconds stops all the others, and the worker's heartbeat, for as long. Under gevent such
work runs in the hub's pool of native threads, where the interpreter hands the hub its turn
every few milliseconds (and a blocking file lock waits without holding anyone); without
gevent (the dev server, gthread, the tests) it simply runs. The work must not touch Flask's
request or app context: give it plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gevent import get_hub, monkey

T = TypeVar("T")


def run(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)`, in the hub's thread pool when gevent serves this process."""
    if not monkey.is_module_patched("socket"):
        return work(*args)
    result: T = get_hub().threadpool.apply(work, args)
    return result
