// The tab's one Socket.IO connection, shared by every live feature of the page (the header's
// notification count, a thread page, a chat room). templates/base.html loads the Socket.IO
// client only for a signed-in member, so an anonymous visitor's page opens no connection (the
// server would refuse it anyway).
//
// Transport: WebSocket only, as the chat page always asked. Every runtime mode serves real
// WebSockets (README, "Runtime modes"), and the client never falls back from its first
// transport (its `tryAllTransports` is off), so the "polling" the thread page listed after
// "websocket" was never used; polling's upgrade would cost a round of HTTP requests per page.
//
// The connection opens once the page's scripts have run (DOMContentLoaded), so that every
// feature has added its "connect" handler before the first connect event: a handler added
// after it would miss it, and the feature would wait for a reconnection to go live.

let shared = null;
let scriptsRan = document.readyState === "complete";

document.addEventListener("DOMContentLoaded", () => {
  scriptsRan = true;
  shared?.connect();
});

// The tab's socket (made on the first call, the same object after), or null when the page
// has no Socket.IO client (an anonymous visitor, or the script did not load).
export function liveSocket() {
  if (shared || !window.io) return shared;
  shared = window.io({ transports: ["websocket"], autoConnect: false });
  if (scriptsRan) shared.connect();
  return shared;
}
