// The composer: preview without a reload, @mention autocomplete, quoting a selection, and
// confirmation before destructive buttons. Without JavaScript the Preview button still works
// (the server renders the preview), and mentions can be typed as @**Name**.

function csrfToken(form) {
  const input = form.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

// --- preview ---
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-preview-button]");
  if (!button) return;
  const composer = button.closest("[data-composer]");
  const form = button.closest("form");
  const textarea = composer.querySelector("textarea");
  const preview = composer.querySelector("[data-preview]");
  event.preventDefault();
  const body = new FormData();
  body.append("csrf_token", csrfToken(form));
  body.append("body", textarea.value);
  const response = await fetch("/preview", { method: "POST", body });
  if (!response.ok) {
    form.requestSubmit(button); // fall back to the server-rendered preview
    return;
  }
  const data = await response.json();
  // data.html comes from the server's sanitiser (community/markup.py).
  preview.querySelector(".prose").innerHTML =
    data.html || '<p class="meta">Nothing to preview yet.</p>';
  preview.hidden = false;
});

// --- @mention autocomplete ---
function mentionQuery(textarea) {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const match = /(^|\s)@([\p{L}\p{N}][\p{L}\p{N} .'-]{0,30})$/u.exec(before);
  return match ? { text: match[2], start: before.length - match[2].length - 1 } : null;
}

function setupMentions(composer) {
  const textarea = composer.querySelector("[data-mention-input]");
  const list = composer.querySelector(".mention-suggestions");
  if (!textarea || !list) return;
  let items = [];
  let active = -1;
  let query = null;
  list.id = list.id || `mentions-${Math.random().toString(36).slice(2)}`;
  textarea.setAttribute("aria-controls", list.id);
  textarea.setAttribute("aria-autocomplete", "list");

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    items = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const item = items[index];
    if (!item || !query) return;
    const value = textarea.value;
    const end = textarea.selectionStart;
    textarea.value = `${value.slice(0, query.start)}${item.mention} ${value.slice(end)}`;
    const caret = query.start + item.mention.length + 1;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.focus();
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) textarea.setAttribute("aria-activedescendant", list.children[index].id);
  }

  textarea.addEventListener("input", async () => {
    query = mentionQuery(textarea);
    if (!query || query.text.length < 1) {
      close();
      return;
    }
    const response = await fetch(`/api/members?q=${encodeURIComponent(query.text)}`);
    if (!response.ok) return;
    items = (await response.json()).members;
    list.innerHTML = "";
    items.forEach((m, i) => {
      const li = document.createElement("li");
      li.id = `${list.id}-${i}`;
      li.setAttribute("role", "option");
      li.textContent = m.name;
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        choose(i);
      });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    highlight(items.length ? 0 : -1);
  });

  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight((active - 1 + items.length) % items.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      close();
    }
  });
  textarea.addEventListener("blur", () => setTimeout(close, 150));
}

document.querySelectorAll("[data-composer]").forEach(setupMentions);

// --- quote the selected part of a post ---
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-quote]");
  const reply = document.querySelector("#reply textarea");
  if (!link || !reply) return;
  const post = link.closest(".post");
  const selection = window.getSelection();
  const text = selection && post.contains(selection.anchorNode) ? selection.toString().trim() : "";
  if (!text) return; // no selection: the link quotes the whole post (server side)
  event.preventDefault();
  const author = post.querySelector(".post-by a")?.textContent || "Someone";
  const quoted = text.split("\n").map((line) => `> ${line}`).join("\n");
  reply.value += `${reply.value ? "\n" : ""}${author} wrote:\n${quoted}\n\n`;
  reply.focus();
  const replyTo = reply.form.querySelector('input[name="reply_to"]');
  if (replyTo) replyTo.value = link.dataset.quote;
});

// --- confirm destructive actions ---
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
