// The composer: preview without a reload, @mention autocomplete, adding images, quoting a
// selection, and confirmation before destructive buttons. Without JavaScript the Preview
// button still works (the server renders the preview and keeps the text), mentions can be
// typed as @**Name**, images are uploaded on their own page, and Quote quotes the whole post.

function say(composer, message) {
  const status = composer?.querySelector("[data-composer-status]");
  if (status) status.textContent = message;
}

// --- preview ---
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-preview-button]");
  const composer = button?.closest("[data-composer]");
  const form = button?.form;
  if (!composer || !form) return;
  event.preventDefault();
  const textarea = composer.querySelector("textarea");
  const preview = composer.querySelector("[data-preview]");
  const body = new FormData();
  body.append("csrf_token", form.querySelector('input[name="csrf_token"]')?.value || "");
  body.append("body", textarea.value);
  let data;
  try {
    const response = await fetch("/preview", {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    data = await response.json();
  } catch {
    form.requestSubmit(button); // the server renders the preview instead
    return;
  }
  const prose = preview.querySelector(".prose");
  if (data.html) {
    prose.innerHTML = data.html; // from the server's sanitiser (community/markup.py)
  } else {
    const empty = document.createElement("p");
    empty.className = "meta";
    empty.textContent = "Nothing to preview yet.";
    prose.replaceChildren(empty);
  }
  preview.hidden = false;
  say(composer, "The preview is shown below the message.");
});

// --- @mention autocomplete ---
// The textarea keeps focus; the list is a listbox it controls, the highlighted option its
// aria-activedescendant. ArrowDown/ArrowUp choose, Enter or Tab insert, Escape closes; until
// an option is highlighted, Enter and Tab do what they always do.
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
  let asked = 0; // answers to older questions are ignored
  textarea.setAttribute("aria-controls", list.id);
  textarea.setAttribute("aria-autocomplete", "list");

  function close() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    textarea.setAttribute("aria-activedescendant", list.children[index].id);
  }

  function choose(index) {
    const item = items[index];
    if (!item || !query) return;
    const { value } = textarea;
    const end = textarea.selectionStart;
    textarea.value = `${value.slice(0, query.start)}${item.mention} ${value.slice(end)}`;
    const caret = query.start + item.mention.length + 1;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.focus();
    say(composer, `${item.name} mentioned.`);
  }

  async function suggest() {
    query = mentionQuery(textarea);
    const question = ++asked;
    if (!query) {
      close();
      return;
    }
    let members;
    try {
      const response = await fetch(`/api/members?q=${encodeURIComponent(query.text)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      members = (await response.json()).members;
    } catch {
      return; // no suggestions; typing @**Name** still works
    }
    if (question !== asked) return;
    close();
    items = members;
    items.forEach((member, i) => {
      const li = document.createElement("li");
      li.id = `${list.id}-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const name = document.createElement("span");
      name.textContent = member.name;
      li.append(name);
      if (member.organisation) {
        const organisation = document.createElement("span");
        organisation.className = "mention-organisation";
        organisation.textContent = ` · ${member.organisation}`; // which Una: her organisation
        li.append(organisation);
      }
      li.addEventListener("mousedown", (e) => {
        e.preventDefault(); // keep the focus (and the caret) in the textarea
        choose(i);
      });
      list.append(li);
    });
    list.hidden = items.length === 0;
    if (items.length) {
      const people = items.length === 1 ? "1 person matches" : `${items.length} people match`;
      say(composer, `${people}: use the arrow keys to choose, Enter to insert.`);
    }
  }

  textarea.addEventListener("input", suggest);
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden || event.isComposing) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight((active - 1 + items.length) % items.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // the list closes, not an open menu elsewhere
      close();
    }
  });
  textarea.addEventListener("blur", close);
}

document.querySelectorAll("[data-composer]").forEach(setupMentions);

// --- add an image ---
// The button is a label for a real file input (keyboard and screen readers see the input).
// The image goes to POST /media; its Markdown, `![name](/media/<hash>)`, goes in at the
// caret. Without this script the composer links to /media/new instead.
const UPLOAD_PROBLEMS = {
  401: "Please sign in again to upload images.",
  413: "That image is too large.",
  429: "You have uploaded a lot of images in a short time. Please wait a little and try again.",
};

function insertAtCaret(textarea, text) {
  const { value, selectionStart: start, selectionEnd: end } = textarea;
  const before = value.slice(0, start);
  const after = value.slice(end);
  const lead = before && !before.endsWith("\n") ? "\n" : "";
  const trail = after.startsWith("\n") ? "" : "\n";
  textarea.value = `${before}${lead}${text}${trail}${after}`;
  const caret = before.length + lead.length + text.length + trail.length;
  textarea.focus();
  textarea.setSelectionRange(caret, caret);
}

function setupImageUpload(composer) {
  const box = composer.querySelector("[data-image-upload]");
  const input = box?.querySelector("[data-image-input]");
  const status = box?.querySelector("[data-image-status]");
  const textarea = composer.querySelector("textarea");
  if (!box || !input || !status || !textarea) return;
  box.hidden = false;
  const link = composer.querySelector("[data-image-link]");
  if (link) link.hidden = true;

  function show(message, problem = false) {
    status.textContent = message;
    status.classList.toggle("is-problem", problem);
  }

  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    input.value = ""; // the same file can be chosen again
    if (!file) return;
    const token = textarea.form?.querySelector('input[name="csrf_token"]')?.value || "";
    const body = new FormData();
    body.append("image", file);
    show(`Uploading ${file.name}…`);
    let data = null;
    try {
      const response = await fetch("/media", {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": token },
      });
      data = await response.json().catch(() => null);
      if (!response.ok || !data?.ok) {
        const fallback = UPLOAD_PROBLEMS[response.status] || "The image could not be uploaded.";
        show(data?.error || fallback, true);
        return;
      }
    } catch {
      show("The image could not be uploaded. Check your connection and try again.", true);
      return;
    }
    insertAtCaret(textarea, data.markdown);
    show("Image added. Change the words in square brackets to describe it.");
  });
}

document.querySelectorAll("[data-composer]").forEach(setupImageUpload);

// --- quote the selected part of a post ---
// The selection is read on mousedown, before the click on the link can move it.
let selectedOnPress = null;

function selectionIn(post) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return "";
  const range = selection.getRangeAt(0);
  const body = post.querySelector(".post-body");
  if (!body || !body.contains(range.startContainer) || !body.contains(range.endContainer)) {
    return "";
  }
  return selection.toString().trim();
}

document.addEventListener(
  "mousedown",
  (event) => {
    const link = event.target.closest("[data-quote]");
    selectedOnPress = link ? selectionIn(link.closest(".post")) : null;
  },
  true,
);

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-quote]");
  const reply = document.querySelector("#reply textarea");
  if (!link || !reply) return;
  const post = link.closest(".post");
  const text = selectionIn(post) || selectedOnPress;
  selectedOnPress = null;
  if (!text) return; // nothing selected: the link quotes the whole post (server side)
  event.preventDefault();
  const author = post.querySelector(".post-by a")?.textContent.trim() || "A former member";
  const quoted = text
    .split(/\r?\n/)
    .map((line) => (line.trim() ? `> ${line}` : ">"))
    .join("\n");
  const before = reply.value && !reply.value.endsWith("\n\n") ? "\n\n" : "";
  reply.value = `${reply.value.trimEnd() ? reply.value + before : ""}${author} wrote:\n${quoted}\n\n`;
  const replyTo = reply.form.querySelector('input[name="reply_to"]');
  if (replyTo) replyTo.value = link.dataset.quote;
  reply.focus();
  reply.setSelectionRange(reply.value.length, reply.value.length);
  say(reply.closest("[data-composer]"), `Quoted ${author}.`);
});

// --- confirm destructive actions ---
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
