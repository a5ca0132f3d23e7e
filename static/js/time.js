// Times written by the page's scripts, the way the server writes them (community/web.py,
// TIME_FORMAT): "6 Dec 2026, 02:36 GMT", in the reader's zone, the zone named. base.html puts
// the zone and its names by UTC offset on <html> (data-timezone, data-zone-names).

const html = document.documentElement;
const zone = html.dataset.timezone || "UTC";
let names = {};
try {
  names = JSON.parse(html.dataset.zoneNames || "{}");
} catch {
  names = {};
}

function formatter(options) {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options });
  } catch {
    return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", ...options });
  }
}

const parts = formatter({
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "longOffset",
});

function partsOf(date) {
  return Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value]));
}

// "GMT+05:30" -> 330, "GMT" -> 0
function offsetMinutes(name) {
  const m = /GMT([+-])(\d{1,2})(?::?(\d{2}))?/.exec(name || "");
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] || 0);
  return m[1] === "-" ? -minutes : minutes;
}

function zoneName(p) {
  const offset = offsetMinutes(p.timeZoneName);
  if (names[offset]) return names[offset];
  if (!offset) return "UTC";
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = Math.abs(offset) % 60;
  return `${sign}${hours}${minutes ? String(minutes).padStart(2, "0") : ""}`;
}

// "6 Dec 2026, 02:36 GMT"
export function formatMoment(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = partsOf(date);
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${zoneName(p)}`;
}

// "5 Mar 14:03": the short form of chat lines, in the same zone.
export function formatShort(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = partsOf(date);
  return `${p.day} ${p.month} ${p.hour}:${p.minute}`;
}
