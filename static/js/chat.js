// The live chat room (templates/chat/room.html). Without this script the page still shows the
// latest messages, pages back through older ones with the "Earlier messages" link and sends
// with an ordinary form; with it the room is live over Socket.IO.
//
// Protocol (README, "Socket.IO"): every client → server event answers in its ack, {ok: true, …}
// or {ok: false, error}. chat.join {room} → {messages (last 50), last_id, present, muted_until,
// write_problem};
// chat.send {room, body, client_id} → {id}; chat.since {room, after_id} → {messages, more};
// chat.history {room, before_id} → {messages}; chat.edit {room, id, body}; chat.delete
// {room, id}; chat.read {room, id}; chat.typing {room}. The server sends chat.message,
// chat.edited (payload {room, id, author: {id, name} | null, html, created_at, edited_at,
// client_id}, or {room, id, deleted: true}), chat.deleted {room, id}, chat.presence
// {room, joined: [{id, name}], left: [{id, name}]}, chat.typing {room, member} and
// chat.muted {room, until}.
//
// Messages are keyed by id (the element m<id>): whatever arrives twice — live, in the join
// ack, in a catch-up — is shown once, in its place. `html` always comes from the server's
// sanitiser (community/markup.py); names and error texts are set as text.
//
// After a dropped connection the client joins again, asks chat.since after the last id it saw
// (again while `more`), then resends every message that was not acknowledged with the same
// client_id, so the server never stores one twice. The connection may also stay up while
// events are lost (the site's message queue was down): the server then sends live.resync once
// the queue is back, and a chat.message whose id is more than one past the last seen shows a
// gap (ids have none within a room); either way the client asks chat.since for what it missed.

import { liveSocket } from "./live.js";
import { formatShort } from "./time.js";

const root = document.querySelector("[data-chat-room]");
const log = root?.querySelector("[data-chat-log]"); // the list of messages
const scroller = log?.closest("[data-chat-scroll]") || log; // role="log", the box that scrolls

const room = root?.dataset.chatRoom;
const me = Number(root?.dataset.me);
const meName = root?.dataset.meName || "You";
const moderator = root?.dataset.moderator === "1";
// An older page (?before=): what is shown is history, so newer messages are counted, not added.
const olderPage = Boolean(root?.dataset.chatBefore);

const statusEl = root?.querySelector("[data-chat-status]");
const announceEl = root?.querySelector("[data-chat-announce]");
const typingEl = root?.querySelector("[data-chat-typing]");
const form = root?.querySelector("[data-chat-form]");
const input = root?.querySelector("[data-chat-input]");
const errorEl = root?.querySelector("[data-chat-error]");
const presentEl = root?.querySelector("[data-chat-present]");
const earlierLink = root?.querySelector("[data-chat-earlier]");
const closedEl = root?.querySelector("[data-chat-closed]"); // why the reader may not write

const TYPING_EVERY = 3000; // at most one chat.typing per this many ms
const TYPING_SHOWN = 4000; // how long "X is typing…" stays after their last notice
const ACK_TIMEOUT = 10000;
const AT_BOTTOM = 48; // px from the bottom that still count as "reading the latest"

let socket = null;
let live = false; // joined on the current connection
let everJoined = false;
let lastId = Number(root?.dataset.lastId || 0); // the highest message id seen in the room
let lastReadSent = 0;
let newerElsewhere = 0; // on an older page: messages that arrived since it was opened
let unseenBelow = 0; // messages added while the reader was scrolled up
let lastTypingSent = 0;
let jumpButton = null;
let joinRefused = false; // the last chat.join was answered with an error
let gapFills = Promise.resolve(); // catch-ups after gaps, one after another

// Messages this tab sent and the server has not acknowledged, in the order they were written:
// client_id → {clientId, body, li, state: "queued" | "sending" | "failed", direct}.
const pending = new Map();
let sendLoopRunning = false;
const typers = new Map(); // member id → {name, timer}
const present = new Map(); // member id → name

// --- small helpers ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function setStatus(text) {
  if (statusEl && statusEl.textContent !== text) statusEl.textContent = text;
}

// One short line per announcement; the region keeps the last few so that each is read once.
function announce(text) {
  if (!announceEl || !text) return;
  announceEl.append(el("p", {}, text));
  while (announceEl.childElementCount > 3) announceEl.firstElementChild.remove();
}

function showError(text) {
  if (!errorEl) return;
  // A new node each time, so that the same message twice is said twice.
  errorEl.replaceChildren(el("span", {}, text));
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!ids.includes(errorEl.id)) {
      input.setAttribute("aria-describedby", [...ids, errorEl.id].join(" "));
    }
  }
}

function clearError() {
  if (!errorEl || !errorEl.firstChild) return;
  errorEl.replaceChildren();
  if (input) {
    input.removeAttribute("aria-invalid");
    const ids = (input.getAttribute("aria-describedby") || "").split(" ");
    const rest = ids.filter((id) => id && id !== errorEl.id);
    if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

// Ask the server; resolves with its ack, or with {ok: false, error} when there is none.
function request(event, payload) {
  return new Promise((resolve) => {
    if (!socket || !socket.connected) {
      resolve({ ok: false, offline: true, error: "You are offline. Waiting for the connection…" });
      return;
    }
    socket.timeout(ACK_TIMEOUT).emit(event, { room, ...payload }, (err, ack) => {
      if (err) {
        resolve({ ok: false, offline: true, error: "No answer from the server yet." });
      } else if (ack && typeof ack === "object") {
        resolve(ack);
      } else {
        resolve({ ok: false, error: "The server gave an answer we did not understand." });
      }
    });
  });
}

// --- the log ---------------------------------------------------------------------------------

function items() {
  return log.querySelectorAll(":scope > li[data-id]");
}

function firstId() {
  const first = log.querySelector(":scope > li[data-id]");
  return first ? Number(first.dataset.id) : 0;
}

function atBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= AT_BOTTOM;
}

function scrollToBottom() {
  scroller.scrollTop = scroller.scrollHeight;
  unseenBelow = 0;
  updateJump();
}

function updateJump() {
  if (!jumpButton) return;
  jumpButton.hidden = unseenBelow === 0;
  jumpButton.textContent = `${plural(unseenBelow, "new message")} below`;
}

// Where a message with this id goes: before the first later message, or before this tab's
// own messages still waiting for their number (they stay at the end).
function placeFor(id) {
  const children = [...log.children];
  for (let i = children.length - 1; i >= 0; i -= 1) {
    const child = children[i];
    if (child.dataset.id && Number(child.dataset.id) < id) return children[i + 1] || null;
  }
  return log.querySelector(":scope > li[data-id], :scope > li.pending") || null;
}

function removeEmptyNote() {
  log.querySelector("[data-chat-empty]")?.remove();
}

function canEdit(li) {
  return Number(li.dataset.author) === me && !li.classList.contains("deleted");
}

function canDelete(li) {
  return (moderator || Number(li.dataset.author) === me) && !li.classList.contains("deleted");
}

function timeLabel(li) {
  return li.querySelector("time")?.textContent || "";
}

// The Edit and Delete buttons of a message the reader may change (added once).
function addActions(li) {
  li.querySelector(":scope > [data-server-actions]")?.remove(); // the page's Flag link
  if (li.querySelector(":scope > .chat-actions") || !li.dataset.id) return;
  if (li.classList.contains("deleted") || li.classList.contains("pending")) return;
  const mine = Number(li.dataset.author) === me;
  const buttons = [];
  const author = li.querySelector(".chat-meta strong")?.textContent || "a member";
  const context = ` ${mine ? "your message" : `the message by ${author}`} of ${timeLabel(li)}`;
  if (canEdit(li)) {
    buttons.push(
      el("button", { type: "button", class: "link-button", "data-chat-edit": "" }, "Edit",
        el("span", { class: "visually-hidden" }, context)),
    );
  }
  if (canDelete(li)) {
    buttons.push(
      el("button", { type: "button", class: "link-button", "data-chat-delete": "" }, "Delete",
        el("span", { class: "visually-hidden" }, context)),
    );
  }
  if (!mine && li.dataset.ref) {
    buttons.push(
      el("a", { href: `/flag/chat_message/${li.dataset.ref}`, class: "link-button" }, "Flag",
        el("span", { class: "visually-hidden" }, context)),
    );
  }
  if (buttons.length) li.append(el("div", { class: "chat-actions" }, ...buttons));
}

function fill(li, p) {
  li.id = `m${p.id}`;
  li.dataset.id = String(p.id);
  li.classList.remove("pending", "failed");
  delete li.dataset.clientId;
  if (p.deleted && p.hidden && moderator && li.querySelector(":scope > .chat-body")) {
    markHidden(li, true); // members lost it; the moderators keep reading it, marked
    return;
  }
  if (p.deleted) {
    li.classList.add("deleted");
    delete li.dataset.source;
    const note = p.hidden ? "Hidden while a moderator reviews it." : "Message deleted.";
    li.replaceChildren(el("p", { class: "meta" }, note));
    return;
  }
  li.classList.remove("deleted");
  if (p.ref) li.dataset.ref = String(p.ref);
  if (p.author) li.dataset.author = String(p.author.id);
  else delete li.dataset.author;
  li.classList.toggle("mine", Boolean(p.author) && p.author.id === me);
  li.dataset.edited = p.edited_at || "";
  if (typeof p.body === "string") li.dataset.source = p.body;
  const when = el("time", { datetime: p.created_at }, formatShort(p.created_at));
  const meta = el(
    "p",
    { class: "chat-meta" },
    el("strong", {}, p.author ? p.author.name : "A former member"),
    " ",
    el("a", { class: "meta", href: `#m${p.id}` }, when),
  );
  if (p.edited_at) meta.append(" ", el("span", { class: "meta" }, "(edited)"));
  const body = el("div", { class: "prose chat-body" });
  body.innerHTML = p.html; // sanitised by the server (community/markup.py)
  // Replace the text in place: an open editor, or a focused button, stays where it is.
  const oldMeta = li.querySelector(":scope > .chat-meta");
  const oldBody = li.querySelector(":scope > .chat-body");
  li.querySelector(":scope > .chat-retry")?.remove();
  if (oldMeta && oldBody) {
    body.hidden = Boolean(li.querySelector(":scope > .chat-edit"));
    oldMeta.replaceWith(meta);
    oldBody.replaceWith(body);
  } else {
    li.replaceChildren(meta, body);
  }
  markHidden(li, Boolean(p.hidden));
  addActions(li);
}

// A moderator's mark on a message hidden from members, with the way to the queue.
function markHidden(li, hidden) {
  li.querySelector(":scope > [data-hidden-mark]")?.remove();
  li.toggleAttribute("data-hidden", hidden);
  if (!hidden) return;
  // As the page draws it (templates/macros/ui.html, hidden_mark), with the page's CSRF token.
  const mark = el("div", { class: "notice notice-warning", "data-hidden-mark": "" },
    el("p", {}, "Hidden from members. ",
      el("a", { href: "/mod?kind=chat_message" }, "See the moderation queue"), "."));
  const token = document.querySelector("[data-chat-form] input[name=csrf_token]")?.value;
  if (token && li.dataset.ref) {
    mark.append(el("form", { method: "post", class: "inline-form",
      action: `/mod/chat_message/${li.dataset.ref}/keep` },
    el("input", { type: "hidden", name: "csrf_token", value: token }),
    el("input", { type: "hidden", name: "back", value: "item" }),
    el("button", { type: "submit", class: "link-button" }, "Restore it for members")));
  }
  li.querySelector(":scope > .chat-meta")?.after(mark);
}

function changed(li, p) {
  if (li.classList.contains("pending")) return true;
  if (Boolean(p.deleted) !== li.classList.contains("deleted")) return true;
  if (Boolean(p.hidden) !== li.hasAttribute("data-hidden")) return true;
  return !p.deleted && (p.edited_at || "") !== (li.dataset.edited || "");
}

// Show one message payload; returns the new element when it was not on the page before.
function upsert(p) {
  if (!p || p.room !== room || !Number.isInteger(p.id)) return null;
  let li = document.getElementById(`m${p.id}`);
  if (!li && p.client_id && p.author?.id === me && pending.has(p.client_id)) {
    // Our own message, whose broadcast came before (or instead of) its ack.
    li = settle(p.client_id, p.id);
  }
  if (li) {
    if (changed(li, p)) fill(li, p);
    place(li, p.id);
    return null;
  }
  li = el("li", { class: "chat-message" });
  fill(li, p);
  removeEmptyNote();
  log.insertBefore(li, placeFor(p.id));
  return li;
}

function place(li, id) {
  const next = placeFor(id);
  if (next !== li && li.nextElementSibling !== next) log.insertBefore(li, next);
}

function summary(p) {
  const who = p.author ? p.author.name : "A former member";
  // An inert document: nothing in it loads; only its text is read out.
  const parsed = new DOMParser().parseFromString(p.html, "text/html");
  const text = parsed.body.textContent.trim().replace(/\s+/g, " ");
  return `${who}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

// Messages that arrived (live or by catching up) to the end of the list.
function showNew(messages, { quiet = false } = {}) {
  const wasAtBottom = atBottom();
  const added = [];
  for (const p of messages) {
    if (p.room !== room) continue;
    if (olderPage) {
      if (p.id > lastId) {
        newerElsewhere += 1;
        lastId = p.id;
      }
      continue;
    }
    const li = upsert(p);
    lastId = Math.max(lastId, p.id);
    if (li && !p.deleted) {
      added.push(p);
      if (p.author) stopTyping(p.author.id);
    }
  }
  if (olderPage) {
    if (newerElsewhere) showNewerElsewhere();
    return;
  }
  const others = added.filter((p) => p.author?.id !== me);
  if (!quiet) others.forEach((p) => announce(summary(p)));
  if (wasAtBottom) scrollToBottom();
  else if (others.length) {
    unseenBelow += others.length;
    updateJump();
  }
  markRead();
  return others.length;
}

function showNewerElsewhere() {
  const link = el("a", { href: `/chat/${encodeURIComponent(room)}` }, "show the latest");
  const count = plural(newerElsewhere, "new message");
  statusEl?.replaceChildren(`${count} since this page opened: `, link);
}

// The tab shows the latest messages: tell the server (it clears the room's "new" mark).
function markRead() {
  if (olderPage || !live || document.visibilityState !== "visible") return;
  if (lastId > lastReadSent) {
    lastReadSent = lastId;
    request("chat.read", { id: lastId });
  }
}

// --- joining, catching up, history -----------------------------------------------------------

async function catchUp(after) {
  let count = 0;
  for (;;) {
    const ack = await request("chat.since", { after_id: after });
    if (!ack.ok) return count;
    const messages = ack.messages || [];
    count += showNew(messages, { quiet: true }) || 0;
    if (!ack.more || !messages.length) return count;
    after = messages[messages.length - 1].id;
  }
}

// A room that opens and closes on a schedule (an event's): each join says whether the reader
// may write now (write_problem null) or why not; the composer is shown or hidden to match.
function showComposer(problem) {
  if (problem === undefined || !closedEl) return;
  closedEl.textContent = problem || "";
  closedEl.hidden = !problem;
  if (form) form.hidden = Boolean(problem);
}

async function join() {
  const again = everJoined;
  const after = lastId;
  const ack = await request("chat.join", {});
  joinRefused = !ack.ok && !ack.offline;
  if (!ack.ok) {
    if (!ack.offline) setStatus(ack.error || "The chat is not available.");
    else if (socket.connected) setTimeout(join, 2000); // no answer: ask again
    return;
  }
  live = true;
  everJoined = true;
  root.dataset.live = "on";
  showPresence(ack.present || []);
  showComposer(ack.write_problem);
  if (ack.muted_until) showError(mutedText(ack.muted_until));
  // The join ack's last 50 messages refresh what is shown (edits and deletions made while we
  // were away); then everything after the last id we saw, however much that is.
  let missed = 0;
  if (!olderPage) missed += showNew(ack.messages || [], { quiet: true }) || 0;
  missed += await catchUp(olderPage ? Math.max(after, lastId) : after);
  if (again) {
    // The status is a live region: this is also what a screen reader hears, once.
    setStatus(missed ? `Connected again. ${plural(missed, "new message")}.` : "Connected again.");
  } else if (!olderPage) {
    setStatus("");
  }
  markRead();
  resendAll();
}

// Events after `after` may not have reached this tab: ask for them (after the catch-ups
// already asked for, so that each starts where its gap did).
function fillGap(after) {
  gapFills = gapFills.then(() => catchUp(after));
}

async function loadEarlier(event) {
  const before = firstId();
  if (!live || !before) return; // not live: the link works as a link
  event.preventDefault();
  if (earlierLink.getAttribute("aria-disabled") === "true") return;
  earlierLink.setAttribute("aria-disabled", "true");
  const ack = await request("chat.history", { before_id: before });
  earlierLink.removeAttribute("aria-disabled");
  if (!ack.ok) {
    setStatus(ack.error || "Earlier messages could not be loaded.");
    return;
  }
  const messages = ack.messages || [];
  // Keep the reader's place: the distance from the bottom does not change.
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  let added = 0;
  for (const p of messages) {
    if (p.room !== room || document.getElementById(`m${p.id}`)) continue;
    const li = el("li", { class: "chat-message" });
    fill(li, p);
    removeEmptyNote();
    log.insertBefore(li, placeFor(p.id));
    added += 1;
  }
  scroller.scrollTop = scroller.scrollHeight - fromBottom;
  const first = firstId();
  if (!messages.length || first <= 1) {
    earlierLink.closest(".chat-earlier").hidden = true;
  } else {
    earlierLink.href = `/chat/${encodeURIComponent(room)}?before=${first}`;
  }
  setStatus(
    added ? `${plural(added, "earlier message")} shown above.` : "There are no earlier messages.",
  );
}

// --- presence and typing ---------------------------------------------------------------------

function renderPresence() {
  if (!presentEl) return;
  const people = [...present.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  presentEl.replaceChildren(
    ...people.map(([id, name]) => el("li", {}, id === me ? `${name} (you)` : name)),
  );
}

function showPresence(list) {
  present.clear();
  for (const m of list) present.set(m.id, m.name);
  renderPresence();
}

function renderTyping() {
  if (!typingEl) return;
  const names = [...typers.values()].map((t) => t.name);
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names.length} people are typing…`;
  if (typingEl.textContent !== text) typingEl.textContent = text;
}

function stopTyping(id) {
  const t = typers.get(id);
  if (!t) return;
  clearTimeout(t.timer);
  typers.delete(id);
  renderTyping();
}

function someoneTyping(member) {
  if (!member || member.id === me) return;
  clearTimeout(typers.get(member.id)?.timer);
  const timer = setTimeout(() => stopTyping(member.id), TYPING_SHOWN);
  typers.set(member.id, { name: member.name, timer });
  renderTyping();
}

function mutedText(until) {
  const when = formatShort(until);
  return `A moderator has muted you in this room until ${when}. You can still read it.`;
}

// --- sending ---------------------------------------------------------------------------------

function stateText(entry) {
  if (entry.state === "failed") return `Not sent: ${entry.error}`;
  if (entry.state === "queued") return "Not sent yet: waiting for the connection…";
  return "Sending…";
}

function pendingItem(entry) {
  const state = el("span", { class: "chat-state", "data-chat-state": "" });
  const li = el(
    "li",
    { class: "chat-message mine pending", "data-client-id": entry.clientId },
    el("p", { class: "chat-meta" }, el("strong", {}, meName), " ", state),
    el("div", { class: "prose chat-body chat-plain" }, el("p", {}, entry.body)),
  );
  return li;
}

function showState(entry) {
  const li = entry.li;
  li.classList.toggle("failed", entry.state === "failed");
  li.querySelector("[data-chat-state]").textContent = stateText(entry);
  li.querySelector(":scope > .chat-retry")?.remove();
  if (entry.state === "failed") {
    li.append(
      el("div", { class: "chat-actions chat-retry" },
        el("button", { type: "button", class: "link-button", "data-chat-retry": "" }, "Try again"),
        el("button", { type: "button", class: "link-button", "data-chat-discard": "" }, "Discard"),
      ),
    );
  }
}

// The server has this message as `id`: the pending element becomes the message.
function settle(clientId, id) {
  const entry = pending.get(clientId);
  if (!entry) return document.getElementById(`m${id}`);
  pending.delete(clientId);
  const existing = document.getElementById(`m${id}`);
  if (existing && existing !== entry.li) {
    entry.li.remove();
    return existing;
  }
  const li = entry.li;
  li.id = `m${id}`;
  li.dataset.id = String(id);
  li.dataset.author = String(me);
  li.dataset.source = entry.body;
  li.classList.remove("failed");
  li.querySelector(":scope > .chat-retry")?.remove();
  li.querySelector("[data-chat-state]").textContent = "Sent";
  place(li, id);
  return li;
}

function queue(body) {
  const entry = { clientId: newClientId(), body, state: "queued", error: "" };
  entry.li = pendingItem(entry);
  pending.set(entry.clientId, entry);
  removeEmptyNote();
  log.append(entry.li);
  showState(entry);
  scrollToBottom();
  runSendLoop();
}

// One message at a time, in order (the server handles events concurrently).
async function runSendLoop() {
  if (sendLoopRunning) return;
  sendLoopRunning = true;
  try {
    for (;;) {
      const entry = [...pending.values()].find((e) => e.state === "queued");
      if (!entry || !live) break;
      entry.state = "sending";
      showState(entry);
      const ack = await request("chat.send", { body: entry.body, client_id: entry.clientId });
      if (!pending.has(entry.clientId)) continue; // its broadcast settled it already
      if (ack.ok && Number.isInteger(ack.id)) {
        // Shown as written until its broadcast (or, if that was missed, the next catch-up)
        // brings the server's rendering.
        settle(entry.clientId, ack.id);
      } else if (ack.offline) {
        entry.state = "queued"; // sent again once connected (same client_id)
        showState(entry);
        break;
      } else {
        refused(entry, ack.error || "The message was not sent.");
      }
    }
  } finally {
    sendLoopRunning = false;
  }
  // Connected again while the last ack was awaited: carry on with what is left.
  if (live && [...pending.values()].some((e) => e.state === "queued")) runSendLoop();
}

// The server refused the message: say why next to the composer. If the composer is empty
// the text goes back into it to be corrected; otherwise it stays in the log, marked.
function refused(entry, error) {
  showError(error);
  if (input && !input.value.trim()) {
    pending.delete(entry.clientId);
    entry.li.remove();
    input.value = entry.body;
    return;
  }
  entry.state = "failed";
  entry.error = error;
  showState(entry);
}

function resendAll() {
  for (const entry of pending.values()) {
    if (entry.state !== "failed") entry.state = "queued";
    showState(entry);
  }
  runSendLoop();
}

function sendFromComposer() {
  const body = input.value;
  if (!body.trim()) {
    showError("Write something first: the message is empty.");
    return;
  }
  clearError();
  input.value = "";
  lastTypingSent = 0;
  queue(body.replace(/\r\n/g, "\n"));
}

// --- editing and deleting --------------------------------------------------------------------

function sourceOf(li) {
  if (li.dataset.source !== undefined) return li.dataset.source;
  // Not known here (sent from elsewhere, before this page): its text, without formatting.
  return li.querySelector(".chat-body")?.innerText.trim() || "";
}

function openEditor(li) {
  if (li.querySelector(":scope > .chat-edit")) return;
  const id = li.dataset.id;
  const fieldId = `edit-m${id}`;
  const box = el("textarea", { id: fieldId, rows: "3", class: "chat-edit-input" });
  box.value = sourceOf(li);
  const error = el("p", { class: "field-error", id: `${fieldId}-error`, role: "alert" });
  const editor = el(
    "form",
    { class: "chat-edit", "data-chat-editor": "" },
    el("label", { for: fieldId, class: "visually-hidden" }, "Edit your message"),
    box,
    error,
    el("div", { class: "chat-edit-actions" },
      el("button", { type: "submit", class: "button small" }, "Save"),
      el(
        "button",
        { type: "button", class: "button small secondary", "data-chat-cancel": "" },
        "Cancel",
      ),
      el("span", { class: "meta" }, "Enter saves, Escape cancels."),
    ),
  );
  li.querySelector(":scope > .chat-body").hidden = true;
  li.querySelector(":scope > .chat-actions")?.setAttribute("hidden", "");
  li.append(editor);
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
  editor.scrollIntoView({ block: "nearest" }); // its buttons too, when it opens at the bottom
}

function closeEditor(li, { refocus = true } = {}) {
  li.querySelector(":scope > .chat-edit")?.remove();
  const body = li.querySelector(":scope > .chat-body");
  if (body) body.hidden = false;
  const actions = li.querySelector(":scope > .chat-actions");
  if (actions) actions.hidden = false;
  else addActions(li);
  if (refocus) li.querySelector("[data-chat-edit]")?.focus();
}

async function saveEdit(li) {
  const editor = li.querySelector(":scope > .chat-edit");
  const box = editor.querySelector("textarea");
  const error = editor.querySelector(".field-error");
  if (editor.dataset.busy) return;
  editor.dataset.busy = "1";
  const ack = await request("chat.edit", { id: Number(li.dataset.id), body: box.value });
  delete editor.dataset.busy;
  if (!ack.ok) {
    error.replaceChildren(el("span", {}, ack.error || "The message was not changed."));
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", error.id);
    return;
  }
  li.dataset.source = box.value.replace(/\r\n/g, "\n").trim();
  closeEditor(li);
  setStatus("Your message is changed.");
}

function markDeleted(li) {
  if (li.classList.contains("deleted")) return;
  const hadFocus = li.contains(document.activeElement);
  fill(li, { room, id: Number(li.dataset.id), deleted: true });
  if (hadFocus) (input || scroller).focus(); // its buttons are gone
}

async function deleteMessage(li) {
  const mine = Number(li.dataset.author) === me;
  const question = mine
    ? "Delete your message? Everyone in the room will see that it was deleted."
    : "Delete this message? Everyone in the room will see that it was deleted.";
  if (!window.confirm(question)) return;
  const ack = await request("chat.delete", { id: Number(li.dataset.id) });
  if (!ack.ok) {
    setStatus(ack.error || "The message was not deleted.");
    return;
  }
  markDeleted(li);
  setStatus("The message is deleted.");
}

// --- wiring ----------------------------------------------------------------------------------

function connect() {
  // Without JavaScript the log is a plain list in the page; live, it scrolls by itself and
  // this script announces new messages (a short line each) instead of the log, so that
  // history and catch-up are not read out in full.
  root.classList.add("is-live");
  scroller.setAttribute("aria-live", "off");
  scroller.setAttribute("tabindex", "0"); // keyboard users can scroll it
  jumpButton = el("button", { type: "button", class: "button small secondary chat-jump" });
  jumpButton.hidden = true;
  scroller.after(jumpButton);
  jumpButton.addEventListener("click", () => {
    scrollToBottom();
    scroller.focus();
  });
  scroller.addEventListener("scroll", () => {
    if (unseenBelow && atBottom()) {
      unseenBelow = 0;
      updateJump();
    }
  });
  for (const li of items()) addActions(li);
  const hash = window.location.hash;
  const target = /^#m\d+$/.test(hash) && document.querySelector(hash);
  if (target && log.contains(target)) target.scrollIntoView({ block: "center" });
  else scrollToBottom();

  socket = liveSocket(); // the tab's one connection (live.js)
  socket.on("connect", join);
  socket.on("disconnect", () => {
    live = false;
    root.dataset.live = "off";
    setStatus("Connection lost. Reconnecting…");
    for (const entry of pending.values()) {
      if (entry.state === "sending") {
        entry.state = "queued";
        showState(entry);
      }
    }
  });
  socket.on("connect_error", () => {
    if (!everJoined) setStatus("The live chat is not connected. Messages are still sent.");
  });
  socket.on("chat.message", (p) => {
    if (!live) return; // the catch-up after joining brings it, in order
    if (p.room === room && !olderPage && p.id > lastId + 1) fillGap(lastId);
    showNew([p]);
  });
  // The site's message queue is back after an outage: what was sent meanwhile never came.
  // A join refused while it was down ("Live chat is reconnecting") is asked again.
  socket.on("live.resync", () => {
    if (live) fillGap(lastId);
    else if (joinRefused) join();
  });
  socket.on("chat.edited", (p) => {
    if (p.room !== room) return;
    const li = document.getElementById(`m${p.id}`);
    if (li && changed(li, p)) fill(li, p);
  });
  socket.on("chat.deleted", (p) => {
    if (p.room !== room) return;
    const li = document.getElementById(`m${p.id}`);
    if (li) markDeleted(li);
  });
  // A batch of who joined and left since the last one (at most one a second per room).
  socket.on("chat.presence", (p) => {
    if (p.room !== room) return;
    for (const m of p.joined || []) present.set(m.id, m.name);
    for (const m of p.left || []) {
      present.delete(m.id);
      stopTyping(m.id);
    }
    renderPresence();
  });
  socket.on("chat.typing", (p) => {
    if (p.room === room) someoneTyping(p.member);
  });
  socket.on("chat.muted", (p) => {
    if (p.room === room) showError(mutedText(p.until));
  });
  // Who may read the room changed (e.g. the member left a members-only community): the
  // server emptied the live room; joining again checks access anew.
  socket.on("chat.recheck", (p) => {
    if (p.room !== room) return;
    live = false;
    root.dataset.live = "off";
    join();
  });
}

if (root && log && room && liveSocket()) {
  connect();

  if (form && input) {
    form.addEventListener("submit", (event) => {
      // Not live (yet): the form posts the ordinary way. On an older page too: the server then
      // shows the latest messages, the new one among them.
      if (!everJoined || olderPage) return;
      event.preventDefault();
      sendFromComposer();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.altKey) return;
      event.preventDefault();
      form.requestSubmit();
    });
    input.addEventListener("input", () => {
      if (errorEl?.firstChild && input.value.trim()) clearError();
      const now = Date.now();
      if (!live || !input.value.trim() || now - lastTypingSent < TYPING_EVERY) return;
      lastTypingSent = now;
      request("chat.typing", {});
    });
  }

  earlierLink?.addEventListener("click", loadEarlier);

  log.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const li = button?.closest("li");
    if (!li || !log.contains(li)) return;
    if (button.matches("[data-chat-edit]")) openEditor(li);
    else if (button.matches("[data-chat-delete]")) deleteMessage(li);
    else if (button.matches("[data-chat-cancel]")) closeEditor(li);
    else if (button.matches("[data-chat-retry], [data-chat-discard]")) {
      const entry = pending.get(li.dataset.clientId);
      if (!entry) return;
      if (button.matches("[data-chat-discard]")) {
        pending.delete(entry.clientId);
        li.remove();
        (input || scroller).focus();
      } else {
        entry.state = "queued";
        showState(entry);
        runSendLoop();
      }
    }
  });
  log.addEventListener("submit", (event) => {
    const li = event.target.closest("li");
    if (!event.target.matches("[data-chat-editor]") || !li) return;
    event.preventDefault();
    saveEdit(li);
  });
  log.addEventListener("keydown", (event) => {
    const editor = event.target.closest("[data-chat-editor]");
    if (!editor || event.target.tagName !== "TEXTAREA") return;
    if (event.key === "Escape") {
      event.preventDefault();
      closeEditor(editor.closest("li"));
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey) {
      event.preventDefault();
      editor.requestSubmit();
    }
  });

  document.addEventListener("visibilitychange", markRead);
}
