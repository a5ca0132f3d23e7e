// Small enhancements to the server-rendered pages; everything works without them.

import { keepCountLive } from "./live_count.js";
import "./notifications.js"; // the header's unread count, live over the tab's one connection

// What waits in a moderator's queue (/mod), live the same way.
keepCountLive(document.querySelector("[data-waiting-count]"), {
  event: "moderation.count",
  field: "waiting",
  words: (n) => `${n} waiting for a moderator`,
});

// Disclosure menus (<details class="menu">): Escape closes the open menu and gives focus back
// to its button; a click or focus outside it closes it.
function closeMenu(menu, { refocus = false } = {}) {
  if (!menu.open) return;
  menu.open = false;
  if (refocus) menu.querySelector("summary").focus();
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const menu = document.querySelector("details.menu[open]");
  if (menu) {
    closeMenu(menu, { refocus: menu.contains(document.activeElement) });
  }
});

for (const type of ["click", "focusin"]) {
  document.addEventListener(type, (event) => {
    for (const menu of document.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(event.target)) closeMenu(menu);
    }
  });
}

// A page showing form errors says so in its title, which screen readers announce first, and
// starts with focus on the error summary (its `autofocus` does this where supported).
const errorSummary = document.querySelector(".error-summary");
if (errorSummary) {
  if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
  if (document.activeElement === document.body) errorSummary.focus();
}
