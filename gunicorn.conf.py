"""gunicorn settings, read by `make run` and by the Procfile's plain `gunicorn` alike."""

import os

from gunicorn import glogging, util

from feed.core.tokens import RedactingFilter

# A PaaS sets PORT and wants every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, so that a browser's parallel requests never wait behind one another.
worker_class = "gthread"
threads = 4
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
