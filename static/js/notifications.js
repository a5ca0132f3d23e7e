// The header's unread count, live (templates/macros/ui.html `count_badge`, see
// live_count.js), read out once it has settled after it rose. The page title stays as it
// is. Without this script the count is the one the page was rendered with.

import { keepCountLive } from "./live_count.js";

const badge = document.querySelector("[data-unread-count]");
const announcer = document.querySelector("[data-unread-announce]");
const ANNOUNCE_AFTER = 1500; // ms of no change before a risen count is read out

function unreadText(n) {
  return `${n} unread notification${n === 1 ? "" : "s"}`;
}

let shown = Number(badge?.dataset.count || 0);
let announced = shown; // the count a screen reader last heard (or found on the page)
let settle = 0;

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

keepCountLive(badge, {
  event: "notification.count",
  field: "unread",
  words: unreadText,
  onChange(n) {
    shown = n;
    announced = Math.min(announced, n); // read elsewhere: the next rise is news again
    clearTimeout(settle);
    settle = setTimeout(announce, ANNOUNCE_AFTER);
  },
});

