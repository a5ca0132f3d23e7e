// The header's unread count, live (templates/macros/ui.html `unread_badge`): the server sends
// `notification.count` {unread} to the member's tabs whenever it changes; the badge shows the
// number, says it with the link's name (", 3 unread notifications"), and hides at 0. The page
// title stays as it is. Without this script the count is the one the page was rendered with.
//
// Counts sent while the tab was not connected (before its first connection, or while it was
// offline) are missed, so on every connection the tab asks for the count once
// (`notification.count` → ack {ok, unread}); a count pushed meanwhile is newer and wins.

import { liveSocket } from "./live.js";

const badge = document.querySelector("[data-unread-count]");
const announcer = document.querySelector("[data-unread-announce]");
const ANNOUNCE_AFTER = 1500; // ms of no change before a risen count is read out
const ACK_TIMEOUT = 10000;

let shown = Number(badge?.dataset.unreadCount || 0);
let announced = shown; // the count a screen reader last heard (or found on the page)
let pushes = 0; // how many counts the server pushed
let settle = 0;

function unreadText(n) {
  return `${n} unread notification${n === 1 ? "" : "s"}`;
}

function show(n) {
  if (!Number.isInteger(n) || n < 0 || n === shown) return;
  shown = n;
  announced = Math.min(announced, n); // read elsewhere: the next rise is news again
  badge.dataset.unreadCount = String(n);
  badge.hidden = n === 0;
  badge.querySelector("[data-unread-number]").textContent = String(n);
  badge.querySelector("[data-unread-label]").textContent = `, ${unreadText(n)}`;
  clearTimeout(settle);
  settle = setTimeout(announce, ANNOUNCE_AFTER);
}

// One polite announcement once the count has settled, and only when it rose: a burst of
// mentions is read out once, and reading notifications in another tab is not news.
function announce() {
  if (announcer && shown > announced) {
    const text = unreadText(shown);
    announcer.textContent = "";
    setTimeout(() => {
      announcer.textContent = text; // emptied first, so the same words are read out again
    }, 100);
  }
  announced = shown;
}

const socket = badge && liveSocket();
if (socket) {
  socket.on("notification.count", (p) => {
    pushes += 1;
    show(p?.unread);
  });
  socket.on("connect", () => {
    const before = pushes;
    socket.timeout(ACK_TIMEOUT).emit("notification.count", {}, (err, ack) => {
      if (err || !ack?.ok) return;
      if (pushes === before) show(ack.unread);
      badge.dataset.live = "on"; // from now on every change reaches this tab
    });
  });
  socket.on("disconnect", () => {
    badge.dataset.live = "off";
  });
}
