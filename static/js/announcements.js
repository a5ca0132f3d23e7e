// Dismissing an announcement without reloading the page: the Dismiss form is sent in the
// background and the banner removed. Without JavaScript the form posts and the server sends
// the member back to the same page.

const region = document.querySelector(".announcements");

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-dismiss-announcement]");
  if (!form) return;
  event.preventDefault();
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    form.submit(); // the page way instead
    return;
  }
  if (!response.ok) {
    form.submit();
    return;
  }
  form.closest("[data-announcement]")?.remove();
  if (region && !region.querySelector("[data-announcement]")) region.remove();
  // Focus would be lost with the button: give it to the page's content.
  document.getElementById("main")?.focus();
});
