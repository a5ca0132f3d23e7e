"""The one gunicorn configuration, used by `make run` and in production.

Socket.IO needs sticky sessions, so each gunicorn process runs one worker; scale out with more
processes behind a load balancer (README: "Scaled out"). The worker is gevent with WebSocket
support: one process holds thousands of idle WebSocket clients as greenlets (see
../shared/ENVIRONMENT.md and bench/RESULTS.md). It is gevent-websocket's worker with one change
(community/server.py): a keep-alive connection yields to the others between its requests, so
no connection is served while the others wait. SQLite write locks are waited for
cooperatively (community/db.py), so a waiting writer never stalls the process.
"""

from community.config import load

_settings = load()

bind = f"{_settings['HOST']}:{_settings['PORT']}"
workers = 1
worker_class = "community.server.FairWebSocketWorker"
worker_connections = 4000
timeout = 60
graceful_timeout = 10
keepalive = 5
control_socket_disable = True  # concurrent instances would share ~/.gunicorn/gunicorn.ctl
forwarded_allow_ips = "*" if _settings["TRUSTED_PROXIES"] else "127.0.0.1"
accesslog = "-"
errorlog = "-"
