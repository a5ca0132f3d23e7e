// Live thread page: new replies, edits, deletions and reactions appear without a reload, and
// reactions toggle in place. The page works without this script (every control is a form).
//
// Socket.IO protocol (README): emit `thread.open` {thread_id} → ack {ok}; then receive
// `thread.reply` {thread_id, post_id, number, author, html, created_at}, `thread.edited`
// {post_id, html, moderator_edit_reason}, `thread.deleted` {post_id}, `thread.hidden` {post_id}, `thread.restored`
// {post_id, html}, `thread.reactions` {post_id, counts}.
// After every (re)connection the page asks `/t/<id>/since/<last number>` for what it missed,
// and again on `live.resync` (the site's message queue is back after an outage, during which
// replies posted through other processes did not reach this connection).
// `html` always comes from the server's sanitiser (community/markup.py).

import { liveSocket } from "./live.js";
import { formatMoment } from "./time.js";

const root = document.querySelector("[data-thread]");
const postsEl = root?.querySelector("[data-posts]");
const statusEl = root?.querySelector("[data-live-status]");
const threadId = Number(root?.dataset.thread);
let lastNumber = Number(root?.dataset.lastNumber || 0);
let missedElsewhere = 0;
const seen = new Set(); // ids of the posts that arrived live or by catching up

function onLastPage() {
  return !root.querySelector('.pager a[rel="next"]');
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// The reaction forms of a post on this page, copied for a new post (same CSRF token, same
// kinds), with nothing pressed and nothing counted; null when the reader cannot react.
function reactionsFor(postId) {
  const template = root.querySelector(".post .reactions");
  if (!template || !template.querySelector("form[data-reaction]")) return null;
  const copy = template.cloneNode(true);
  copy.querySelectorAll(":scope > :not(form[data-reaction])").forEach((n) => n.remove());
  copy.querySelectorAll("form[data-reaction]").forEach((form) => {
    form.action = `/p/${postId}/react`;
    const button = form.querySelector("button");
    button.classList.remove("mine");
    setReaction(form, 0, false);
  });
  return copy;
}

function renderPost(p) {
  const byId = `p${p.post_id}-by`;
  const author = p.author
    ? el("a", { href: `/u/${p.author.id}` }, p.author.name)
    : "A former member";
  const when = el("time", { datetime: p.created_at }, formatMoment(p.created_at));
  const body = el("div", { class: "prose post-body" });
  body.innerHTML = p.html; // sanitised by the server when the post was written
  const article = el(
    "article",
    { class: "post new", id: `p${p.post_id}`, "aria-labelledby": byId },
    el("span", { id: `n${p.number}`, class: "anchor" }),
    el(
      "header",
      { class: "post-header" },
      el(
        "div",
        {},
        el("p", { class: "post-by", id: byId }, author),
        el("p", { class: "meta" }, el("a", { href: `/p/${p.post_id}` }, when), ` · #${p.number}`),
      ),
    ),
    body,
  );
  const reactions = reactionsFor(p.post_id);
  const quote = root.querySelector("[data-quote]");
  if (reactions || quote) {
    const actions = el("div", { class: "post-actions" });
    if (quote) {
      actions.append(
        el(
          "a",
          { href: `/t/${threadId}?quote=${p.post_id}#reply`, "data-quote": String(p.post_id) },
          "Quote",
          el("span", { class: "visually-hidden" }, ` post #${p.number}`),
        ),
      );
    }
    article.append(el("footer", { class: "post-footer" }, reactions || el("div"), actions));
  }
  return article;
}

function announce(...content) {
  statusEl.replaceChildren(...content);
}

function numberOf(article) {
  return Number(article.querySelector(".anchor")?.id.slice(1));
}

function addPost(p) {
  // Live events and catch-up answers may interleave: each post is shown once, in its place.
  if (p.thread_id !== threadId || seen.has(p.post_id)) return;
  seen.add(p.post_id);
  lastNumber = Math.max(lastNumber, p.number);
  if (document.getElementById(`p${p.post_id}`)) return;
  const who = p.author ? p.author.name : "a former member";
  if (onLastPage()) {
    const later = [...postsEl.querySelectorAll(":scope > .post")].find(
      (article) => numberOf(article) > p.number,
    );
    postsEl.insertBefore(renderPost(p), later || null);
    announce(`New reply #${p.number} from ${who}.`); // the number: each one is announced
  } else {
    missedElsewhere += 1;
    const replies = missedElsewhere === 1 ? "reply" : "replies";
    const latest = el("a", { href: `/p/${p.post_id}` }, "read the latest");
    announce(`${missedElsewhere} new ${replies}: `, latest);
  }
}

// What was posted since the page was rendered or the connection dropped, a batch at a time.
async function catchUp() {
  let after = lastNumber;
  try {
    for (let batch = 0; batch < 10; batch += 1) {
      const response = await fetch(`/t/${threadId}/since/${after}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const { posts } = await response.json();
      if (!posts.length) return;
      posts.forEach(addPost);
      after = posts[posts.length - 1].number;
    }
  } catch {
    // offline again: the next reconnection catches up
  }
}

function setReaction(form, count, mine) {
  const button = form.querySelector("button");
  const kind = form.querySelector('input[name="kind"]').value;
  form.querySelector("[data-count]").textContent = count ? String(count) : "";
  button.setAttribute("aria-label", `${kind.replaceAll("_", " ")}: ${count}`);
  if (mine !== undefined) {
    button.setAttribute("aria-pressed", String(mine));
    button.classList.toggle("mine", mine);
  }
}

function showCounts(postId, counts, mine) {
  const post = document.getElementById(`p${postId}`);
  post?.querySelectorAll("form[data-reaction]").forEach((form) => {
    const kind = form.querySelector('input[name="kind"]').value;
    setReaction(form, counts[kind] || 0, mine?.kind === kind ? mine.on : undefined);
  });
}

function connect() {
  const socket = liveSocket(); // the tab's one connection (live.js)
  const open = () => {
    socket.emit("thread.open", { thread_id: threadId }, (ack) => {
      root.dataset.live = ack && ack.ok ? "on" : "off";
      if (ack && ack.ok) catchUp(); // anything posted since the page was rendered, or while offline
    });
  };
  socket.on("connect", open);
  // Who may read the thread changed (it moved, say): the server closed its room; ask again.
  socket.on("thread.recheck", (p) => {
    root.dataset.live = "off";
    if (p.thread_id === threadId) open();
  });
  socket.on("disconnect", () => {
    root.dataset.live = "off";
  });
  socket.on("thread.reply", addPost);
  socket.on("live.resync", () => {
    if (root.dataset.live === "on") catchUp();
  });
  socket.on("thread.edited", (p) => {
    const body = document.querySelector(`#p${p.post_id} .post-body`);
    if (p.thread_id !== threadId || !body) return;
    body.innerHTML = p.html; // sanitised by the server
    const note = document.querySelector(`#p${p.post_id} [data-moderator-edit]`);
    if (note && p.moderator_edit_reason) {
      note.querySelector("span").textContent = p.moderator_edit_reason;
      note.hidden = false;
    }
  });
  const replaceWithNote = (p, note) => {
    const post = document.getElementById(`p${p.post_id}`);
    if (p.thread_id !== threadId || !post || post.classList.contains("deleted")) return;
    post.classList.add("deleted");
    post.querySelector(".notice")?.remove();
    post.querySelector(".post-body")?.replaceWith(el("p", { class: "deleted-note" }, note));
    post.querySelector(".post-footer")?.remove();
  };
  socket.on("thread.deleted", (p) => replaceWithNote(p, "This post was deleted."));
  // Hidden: members see a note in its place; a moderator keeps the text, marked hidden.
  socket.on("thread.hidden", (p) => {
    if (!("moderator" in root.dataset)) {
      replaceWithNote(p, "This post is hidden while a moderator reviews it.");
      return;
    }
    const body = document.getElementById(`p${p.post_id}`)?.querySelector(".post-body");
    if (p.thread_id !== threadId || !body || body.previousElementSibling?.dataset.hiddenMark) {
      return;
    }
    const link = el("a", { href: "/mod" }, "Decide in the moderation queue");
    const mark = el("p", { class: "notice notice-warning", "data-hidden-mark": "" });
    mark.append("Hidden from members. ", link, ".");
    body.before(mark);
  });
  // A moderator restored a hidden post: its text comes back (its reactions on a reload).
  socket.on("thread.restored", (p) => {
    const post = document.getElementById(`p${p.post_id}`);
    post?.querySelector("[data-hidden-mark]")?.remove();
    const note = post?.querySelector(".deleted-note");
    if (p.thread_id !== threadId || !note) return;
    const body = el("div", { class: "prose post-body" });
    body.innerHTML = p.html; // sanitised by the server
    note.replaceWith(body);
    post.classList.remove("deleted");
  });
  socket.on("thread.reactions", (p) => {
    if (p.thread_id === threadId) showCounts(p.post_id, p.counts);
  });
}

if (root && postsEl && statusEl && liveSocket()) connect();

// Reactions without a page reload; if anything goes wrong the form is sent the ordinary way.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-reaction]");
  if (!form) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (form.dataset.busy) return; // one toggle at a time (not `disabled`: it would lose focus)
  form.dataset.busy = "1";
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    const kind = form.querySelector('input[name="kind"]').value;
    const on = button.getAttribute("aria-pressed") !== "true";
    showCounts(form.action.match(/\/p\/(\d+)\//)[1], data.counts, { kind, on });
  } catch {
    form.submit();
  } finally {
    delete form.dataset.busy;
  }
});
