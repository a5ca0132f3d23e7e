// A header count kept live over the tab's one connection: the server pushes `event`
// {[field]: n} whenever the count changes, and the tab asks for it once on every
// (re)connection (`event` → ack {ok, [field]}), since what was pushed while it was not
// connected is gone; a count pushed meanwhile is newer and wins. The badge shows the number,
// says it in the link's name (", 3 unread notifications"), and hides at 0.

import { liveSocket } from "./live.js";

const ACK_TIMEOUT = 10000;

export function keepCountLive(badge, { event, field, words, onChange = () => {} }) {
  const socket = badge && liveSocket();
  if (!socket) return;
  let shown = Number(badge.dataset.count || 0);
  let pushes = 0;

  function show(n) {
    if (!Number.isInteger(n) || n < 0 || n === shown) return;
    shown = n;
    badge.dataset.count = String(n);
    badge.hidden = n === 0;
    badge.querySelector("[data-count-number]").textContent = String(n);
    badge.querySelector("[data-count-label]").textContent = `, ${words(n)}`;
    onChange(n);
  }

  socket.on(event, (p) => {
    pushes += 1;
    show(p?.[field]);
  });
  socket.on("connect", () => {
    const before = pushes;
    socket.timeout(ACK_TIMEOUT).emit(event, {}, (err, ack) => {
      if (err || !ack?.ok) return;
      if (pushes === before) show(ack[field]);
      badge.dataset.live = "on"; // from now on every change reaches this tab
    });
  });
  socket.on("disconnect", () => {
    badge.dataset.live = "off";
  });
}
