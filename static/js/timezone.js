// The time-zone setting suggests the browser's own zone: a button under the select that
// chooses it and goes away (the member still saves the form). Without this script the select works alone.

const select = document.getElementById("timezone");
let own = "";
try {
  own = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
} catch {
  own = "";
}
const option = select && own ? [...select.options].find((o) => o.value === own) : null;

if (option && select.value !== own) {
  const hint = document.createElement("p");
  hint.className = "timezone-suggestion";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button";
  button.textContent = `Use this device's zone: ${option.textContent}`;
  button.addEventListener("click", () => {
    select.value = own;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    hint.remove();
    select.focus(); // the select, now showing the zone, is what is read out
  });
  hint.append(button);
  select.insertAdjacentElement("afterend", hint);
}
