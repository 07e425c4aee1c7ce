"""gunicorn settings, read by `simfeed serve` (`make run`, the Procfile, the container and units)."""

# gevent's cooperative sockets, locks and thread-locals, installed before anything else is
# imported: the app is loaded here in the master (preload_app) and forked into the workers,
# so whatever it makes at start-up (the database pool's locks, its thread-locals) must
# already be the cooperative kind. gunicorn imported ssl before reading this file, which
# gevent warns about: only gunicorn's own modules keep the plain ssl, and gunicorn serves
# plain HTTP here (TLS ends at the proxy); whatever the app imports gets gevent's.
import warnings

from gevent import monkey

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Monkey-patching ssl after ssl has already been imported",
                            monkey.MonkeyPatchWarning)
    monkey.patch_all()

import os

from gunicorn import glogging, util
from gunicorn.http.body import LengthReader
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from feed.core.tokens import RedactingFilter

# A PaaS sets PORT and wants every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request line and its headers must arrive within this many seconds of the connection
# opening (or of the previous answer on a kept-alive one), or the connection is closed:
# the gevent worker bounds each request's head by the keep-alive time.
keepalive = 5
# A request body or an answer that makes no progress for this long ends the connection.
IO_TIMEOUT = 10


class Worker(GeventWorker):
    """gunicorn's gevent worker: a waiting connection costs a greenlet, not a thread.

    A client that dribbles its headers or body, or never reads its answer, holds only
    its own connection, and only until the timeouts above. Every socket read and write
    waits at most IO_TIMEOUT (gunicorn's worker makes them wait for ever).
    """

    def handle(self, listener, client, addr):
        client.settimeout(IO_TIMEOUT)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_request(self, listener_name, req, sock, addr):
        """An answer the client stopped reading ends its connection with a line, not a traceback.

        (A body that stops arriving is answered 408 by the app: feed/web/timeouts.py.)
        """
        try:
            super().handle_request(listener_name, req, sock, addr)
        except TimeoutError:
            self.log.info("connection closed: nothing read or sent for %s s", IO_TIMEOUT)
            raise StopIteration() from None  # how gunicorn's own workers end a connection
        unread = _unread(req)
        if unread > UNREAD_DRAINED:
            # A body the app refused unread (413): gunicorn would read it all to reach the
            # next request on the connection. The connection ends instead.
            self.log.info("connection closed: %s bytes of a refused body left unread", unread)
            raise StopIteration()


# How much of a body the app left unread gunicorn may still read to keep the connection.
UNREAD_DRAINED = 64 * 1024


def _unread(req):
    """Bytes of the request's body still on the wire (0 when unknown: chunked or none)."""
    reader = getattr(getattr(req, "body", None), "reader", None)
    return reader.length if isinstance(reader, LengthReader) else 0


worker_class = Worker
# Connections each worker holds at once (gunicorn's default, said here because it is the cap).
worker_connections = 1000
# Load the app once in the master: a bad config stops gunicorn at start-up
# instead of leaving workers that fail to boot and respawn.
preload_app = True
accesslog = "-"
# No query string and no referrer: a feed URL carries its token as ?token=.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
# No runtime control socket: nothing uses it, and it is a shared path on the host.
control_socket_disable = True


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with tokens redacted from every line it writes.

    The access format above leaves the query string out, but the error log quotes
    whole request lines ("Invalid HTTP request line: 'GET /calendar.ics?token=…'").
    """

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(RedactingFilter())


logger_class = RedactingLogger


def _plain_error(sock, status_int, reason, mesg):
    """gunicorn's own error answer (a request it cannot parse), as plain text that echoes nothing.

    gunicorn writes an HTML page quoting the bad request line, which may hold a token,
    without the headers every page of the app carries.
    """
    body = f"{status_int} {reason}\n"
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
            "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
            f"Referrer-Policy: no-referrer\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, (head + body).encode("latin-1"))


util.write_error = _plain_error
