"""The production worker (gunicorn.conf.py): gevent-websocket's, serving keep-alive
connections in turn.

gevent.pywsgi serves a keep-alive connection in one loop on one greenlet: after a response it
reads the connection's next request at once, and when that request has already arrived (a
browser, or wrk, sends it within microseconds of the response) the read returns without
yielding to the hub. A Flask request on SQLite never yields either, so the greenlet goes on
serving its own connection while requests on every other connection wait in their sockets,
unread. Measured with four keep-alive clients on a thread page: the next request was already
there for 98% of responses and one client got five times the responses of another; with the
next request always waiting, one client got all 160 responses and the others none
(bench/RESULTS.md, "Keep-alive fairness"; tests/live/test_server.py). Yielding once between
requests puts the connection behind the others that are ready, as a new connection would be.

The yield is a zero timer, not `gevent.sleep(0)`: sleep(0) queues a callback, and the hub runs
queued callbacks one after another before it polls the sockets again (up to 50 in a row), so a
connection whose request is always waiting could still be served again and again. A zero
timer fires only in the hub's next loop iteration, after the poll that finds every other ready
connection, so each ready connection is served one request per iteration.

This module is imported by the gunicorn master, before the worker monkey-patches: it imports
only gevent and gevent-websocket, as the stock worker class does.
"""

from gevent import get_hub
from geventwebsocket.gunicorn.workers import GeventWebSocketWorker
from geventwebsocket.handler import WebSocketHandler


class FairWebSocketHandler(WebSocketHandler):
    """gevent-websocket's handler, yielding to the hub before a connection's next request."""

    def handle_one_request(self):
        result = super().handle_one_request()
        if result is True:  # kept alive: the loop reads the next request straight after
            _wait_for_the_next_loop_iteration()
        return result


def _wait_for_the_next_loop_iteration() -> None:
    hub = get_hub()
    with hub.loop.timer(0) as timer:
        hub.wait(timer)


class FairWebSocketWorker(GeventWebSocketWorker):
    wsgi_handler = FairWebSocketHandler
