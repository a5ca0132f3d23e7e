// Live thread page: new replies, edits, deletions and reactions appear without a reload.
// The page works without this script; it only adds live updates.
const root = document.querySelector("[data-thread]");
const postsEl = document.querySelector("[data-posts]");
const status = document.querySelector("[data-live-status]");

function escapeText(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

function onLastPage() {
  return !document.querySelector('.pager a[rel="next"]');
}

function renderPost(p) {
  // p.html was sanitised by the server (community/markup.py) when the post was written.
  const article = document.createElement("article");
  article.className = "post new";
  article.id = `p${p.post_id}`;
  const when = new Date(p.created_at);
  const author = p.author
    ? `<a href="/u/${p.author.id}">${escapeText(p.author.name)}</a>`
    : "A former member";
  article.innerHTML = `<span id="n${p.number}" class="anchor"></span>
    <header class="post-header"><div>
      <p class="post-by">${author}</p>
      <p class="meta"><a href="/p/${p.post_id}"><time datetime="${escapeText(p.created_at)}">${escapeText(when.toLocaleString())}</time></a> · #${p.number}</p>
    </div></header>
    <div class="prose post-body">${p.html}</div>`;
  return article;
}

let lastNumber = Number(root?.dataset.lastNumber || 0);
let pendingElsewhere = 0;

function addPost(p) {
  if (p.number <= lastNumber || document.getElementById(`p${p.post_id}`)) return;
  lastNumber = p.number;
  if (onLastPage()) {
    postsEl.appendChild(renderPost(p));
    status.textContent = `New reply from ${p.author ? p.author.name : "a member"}.`;
  } else {
    pendingElsewhere += 1;
    status.innerHTML = `${pendingElsewhere} new ${pendingElsewhere === 1 ? "reply" : "replies"}: <a href="/p/${p.post_id}">read the latest</a>`;
  }
}

async function catchUp(threadId) {
  const response = await fetch(`/t/${threadId}/since/${lastNumber}`, {
    headers: { Accept: "application/json" },
  });
  if (!response.ok) return;
  const data = await response.json();
  data.posts.forEach(addPost);
}

if (root && postsEl && window.io) {
  const threadId = Number(root.dataset.thread);
  const socket = window.io({ transports: ["websocket", "polling"] });
  let connectedBefore = false;
  socket.on("connect", () => {
    socket.emit("thread.open", { thread_id: threadId }, (ack) => {
      if (!ack || !ack.ok) return;
      if (connectedBefore) catchUp(threadId); // replies sent while we were offline
      connectedBefore = true;
    });
  });
  socket.on("thread.reply", (p) => {
    if (p.thread_id === threadId) addPost(p);
  });
  socket.on("thread.edited", (p) => {
    const body = document.querySelector(`#p${p.post_id} .post-body`);
    if (p.thread_id === threadId && body) body.innerHTML = p.html;
  });
  socket.on("thread.deleted", (p) => {
    const body = document.querySelector(`#p${p.post_id} .post-body`);
    if (p.thread_id === threadId && body) {
      body.outerHTML = '<p class="deleted-note">This post was deleted.</p>';
    }
  });
  socket.on("thread.reactions", (p) => {
    const post = document.getElementById(`p${p.post_id}`);
    if (p.thread_id !== threadId || !post) return;
    post.querySelectorAll("form[data-reaction]").forEach((form) => {
      const kind = form.querySelector('input[name="kind"]').value;
      const count = p.counts[kind] || 0;
      form.querySelector("[data-count]").textContent = count ? String(count) : "";
    });
  });
}

// Reactions without a page reload.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-reaction]");
  if (!form) return;
  event.preventDefault();
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    form.submit();
    return;
  }
  const data = await response.json();
  const button = form.querySelector("button");
  const kind = form.querySelector('input[name="kind"]').value;
  const mine = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(mine));
  button.classList.toggle("mine", mine);
  const count = data.counts[kind] || 0;
  form.querySelector("[data-count]").textContent = count ? String(count) : "";
});
