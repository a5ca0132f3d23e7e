"""The chat benchmark's settings profile: Commons as wsgi.py builds it, with the per-member
chat rate limit raised so that one sender can drive hundreds of messages a second.

Served by the production command: `gunicorn -c gunicorn.conf.py 'bench.chat_app:make()'`.
`make(async_mode="threading")` is the same app for a worker-class candidate that runs
Socket.IO in threading mode (e.g. `-k gevent`, or gthread).
"""

from community import create_app
from community.config import DEFAULTS
from community.jobs import start_in_process

# High enough never to refuse a benchmark message, low enough to keep the limiter's own
# bookkeeping (one moving-window hit per message) in the measured path.
CHAT_SEND_LIMIT = "100000 per 1 second"


def make(async_mode: str | None = None):
    settings = {"RATE_LIMITS": {**DEFAULTS["RATE_LIMITS"], "chat_send": CHAT_SEND_LIMIT}}
    if async_mode:
        settings["SOCKETIO_ASYNC_MODE"] = async_mode
    app = create_app(settings)
    if app.config["JOBS_IN_PROCESS"]:  # as wsgi.py does
        start_in_process(app)
    return app
