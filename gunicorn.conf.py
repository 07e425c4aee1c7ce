"""gunicorn settings, read by `make run` and by the Procfile's plain `gunicorn` alike."""

import os

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
