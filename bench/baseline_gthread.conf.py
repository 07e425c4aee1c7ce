"""The baseline for `make attack`: gunicorn's serving settings as they were before issue 15.

gthread workers with 4 threads each: a connection that has sent part of its request
head holds one of those threads until the head is complete. bench/attack.py runs the
Procfile's command with `-c` this file, beside the project's gunicorn.conf.py, in the
same run, so that its figures are a ratio against this floor.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
preload_app = True
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
control_socket_disable = True
