// The door's page (/pos/door/): scan tickets in through the check-in API
// (docs/checkin.md). A USB/Bluetooth scanner is a keyboard: it types the QR text and
// Enter into the field, which keeps the focus; where the browser has BarcodeDetector the
// camera scans too. Every answer fills the screen for a moment, green or red. When the
// network fails, the page admits from the event's signed list and queues the scans.
// No business rule here: the API decides, the page shows.

const config = JSON.parse(document.getElementById("door-config").textContent);
const M = config.messages;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

const $ = (id) => document.getElementById(id);
const input = $("scan-input");
const form = $("scan-form");
const eventSelect = $("door-event");
const gateInput = $("door-gate");
const verdict = $("verdict");
const cameraButton = $("camera-btn");
const video = $("camera");

const STORE = "pos.door.";
const state = {
  admitted: 0,
  refused: 0,
  busy: false,
  verdictTimer: null,
  camera: null, // {stream, detector, lastText, lastAt}
  offline: false,
  syncing: false,
  list: null, // the verified check-in list of the chosen event, by QR hash
};

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : ""));
}

// The venue's wall-clock time of an ISO timestamp as the server wrote it (with the
// venue's offset): what the door staff's watches say, whatever the device's time zone.
function clock(iso) {
  const match = /T(\d{2}:\d{2})/.exec(iso || "");
  return match ? match[1] : "";
}

// A stable name for this browser as a gate device (X-POS-Terminal in the scan log).
function deviceName() {
  let name = localStorage.getItem(STORE + "device");
  if (!name) {
    name = "WEB-" + Math.random().toString(36).slice(2, 8).toUpperCase();
    localStorage.setItem(STORE + "device", name);
  }
  return name;
}

async function api(method, url, body) {
  const headers = { Accept: "application/json", "Accept-Language": config.language,
                    "X-POS-Terminal": deviceName() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { status: 0, data: null };
  }
  const data = await response.json().catch(() => null);
  return { status: response.status, data };
}

// --- The answer on the whole screen ---------------------------------------------------

function showVerdict(ok, title, detail, extra) {
  window.clearTimeout(state.verdictTimer);
  verdict.classList.toggle("verdict-ok", ok);
  verdict.classList.toggle("verdict-no", !ok);
  $("verdict-sign").textContent = ok ? "✓" : "✕";
  $("verdict-title").textContent = title;
  $("verdict-detail").textContent = detail || "";
  $("verdict-extra").textContent = extra || "";
  verdict.hidden = false;
  document.body.dataset.verdict = ok ? "admitted" : "refused";
  state.verdictTimer = window.setTimeout(hideVerdict, config.verdictMs);
}

function hideVerdict() {
  window.clearTimeout(state.verdictTimer);
  verdict.hidden = true;
  delete document.body.dataset.verdict;
  keepFocus();
}

function refusalText(data, status) {
  const code = data && data.code;
  if (code === "already_admitted") {
    return data.gate ? fill(M.already_admitted, { time: clock(data.first_admitted_at), gate: data.gate })
                     : fill(M.already_admitted_no_gate, { time: clock(data.first_admitted_at) });
  }
  if (code && M[code]) return M[code];
  if (status === 0) return M.network_down;
  if (status === 401) return M.logged_out;
  if (status === 403) return M.forbidden;
  if (status === 503) return M.busy;
  if (data && data.detail) return String(data.detail);
  return M.server_error;
}

function remember(ok, text) {
  const item = document.createElement("li");
  item.className = ok ? "recent-ok" : "recent-no";
  const now = new Date();
  const time = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  item.textContent = fill(ok ? M.recent_admitted : M.recent_refused, { time, what: text });
  const list = $("recent-list");
  list.prepend(item);
  while (list.children.length > 8) list.lastElementChild.remove();
}

function renderCounters() {
  $("count-admitted").textContent = String(state.admitted);
  $("count-refused").textContent = String(state.refused);
}

// --- Scanning ---------------------------------------------------------------------------

async function check(text) {
  const code = text.trim();
  if (!code) return;
  const eventId = Number(eventSelect.value) || undefined;
  const body = { code, gate: gateInput.value.trim() };
  if (eventId) body.event = eventId;
  const { status, data } = navigator.onLine === false ? { status: 0, data: null }
    : await api("POST", "/api/checkin/", body);
  if (status === 0 && offlineList()) {
    await checkOffline(code);
    return;
  }
  setOffline(status === 0);
  if (status === 200 && data && data.result === "admitted") {
    state.admitted += 1;
    const where = data.seat ? fill(M.seat, { seat: data.seat }) : M.general_admission;
    const detail = data.zone + " · " + where;
    showVerdict(true, M.admitted, detail,
                fill(M.entry_of, { entries: data.entries, max: data.max_entries }));
    remember(true, detail);
  } else {
    state.refused += 1;
    const reason = refusalText(data, status);
    // The seat, when the API names it (already admitted, void): staff can point to it.
    const where = data && data.zone
      ? data.zone + " · " + (data.seat ? fill(M.seat, { seat: data.seat }) : M.general_admission)
      : "";
    showVerdict(false, M.refused, reason, where);
    remember(false, where ? `${reason} (${where})` : reason);
    if (status === 401) {
      window.setTimeout(() => {
        window.location.href = "/pos/login/?next=" + encodeURIComponent(location.pathname);
      }, 1500);
    }
  }
  sessionStorage.setItem(STORE + "counts", JSON.stringify([state.admitted, state.refused]));
  renderCounters();
  refreshStats();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  input.value = "";
  check(text);
});

// The scanner types into whatever has the focus: give it back to the field after any
// click that is not on another control, and after every answer.
function keepFocus() {
  const active = document.activeElement;
  if (active && active !== input && active.matches("select, input, textarea")) return;
  input.focus({ preventScroll: true });
}

document.addEventListener("click", (event) => {
  if (!verdict.hidden && verdict.contains(event.target)) hideVerdict();
  if (!event.target.closest("select, input, textarea, button, a")) keepFocus();
});
window.addEventListener("focus", keepFocus);
eventSelect.addEventListener("change", () => {
  localStorage.setItem(STORE + "event", eventSelect.value);
  refreshStats();
  downloadList();
  input.focus();
});
gateInput.addEventListener("change", () => {
  localStorage.setItem(STORE + "gate", gateInput.value.trim());
});
gateInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    gateInput.dispatchEvent(new Event("change"));
    input.focus();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !verdict.hidden) hideVerdict();
});

// --- Offline: the signed list, scans queued, uploaded on reconnection ------------------
// (docs/checkin.md "Offline gates"). The list names tickets by the SHA-256 of their QR
// text; it is kept only when its Ed25519 signature verifies with the key pinned on this
// device the first time it was online.

const QUEUE = STORE + "queue";

function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort()
      .map((key) => JSON.stringify(key) + ":" + canonical(value[key])).join(",") + "}";
  }
  return JSON.stringify(value);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function verifies(body, publicKey) {
  try {
    const key = await crypto.subtle.importKey("raw", fromBase64(publicKey), { name: "Ed25519" },
                                              false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(body.signature),
                                      new TextEncoder().encode(canonical(body.list)));
  } catch (error) {
    return false; // no Ed25519 in this browser, or a malformed key: keep no list
  }
}

async function pinnedKey() {
  let key = localStorage.getItem(STORE + "key");
  if (!key) {
    const { status, data } = await api("GET", "/api/checkin/key/");
    if (status !== 200 || !data) return null;
    key = data.public_key;
    localStorage.setItem(STORE + "key", key);
  }
  return key;
}

async function downloadList() {
  const eventId = eventSelect.value;
  if (!eventId || !window.crypto || !crypto.subtle) return;
  const key = await pinnedKey();
  const { status, data } = await api("GET", `/api/events/${eventId}/checkin-list/`);
  if (status !== 200 || !data || !key || data.public_key !== key) return;
  if (!(await verifies(data, key))) return;
  const tickets = {};
  for (const ticket of data.list.tickets) tickets[ticket.qr_sha256] = ticket;
  const list = { event: String(data.list.event), generatedAt: data.list.generated_at, tickets };
  try {
    localStorage.setItem(STORE + "list." + eventId, JSON.stringify(data));
  } catch (error) {
    // Storage full (a very large event): the list stays in memory for this page only.
    if (eventSelect.value !== eventId) return;
  }
  // Another event picked while this list downloaded: it is kept (above), not shown.
  if (eventSelect.value !== eventId) return;
  state.list = list;
  document.body.dataset.offlineTickets = String(data.list.tickets.length);
  document.body.dataset.offlineEvent = list.event;
}

function offlineList() {
  const eventId = eventSelect.value;
  if (state.list && state.list.event === eventId) return state.list;
  const kept = localStorage.getItem(STORE + "list." + eventId);
  if (!kept) return null;
  const data = JSON.parse(kept);
  const tickets = {};
  for (const ticket of data.list.tickets) tickets[ticket.qr_sha256] = ticket;
  state.list = { event: String(data.list.event), generatedAt: data.list.generated_at, tickets };
  return state.list;
}

function queue() {
  return JSON.parse(localStorage.getItem(QUEUE) || "[]");
}

function saveQueue(items) {
  localStorage.setItem(QUEUE, JSON.stringify(items));
  document.body.dataset.queue = String(items.length);
  renderBanner();
}

function setOffline(offline) {
  state.offline = offline;
  renderBanner();
}

function renderBanner() {
  const banner = $("door-offline");
  const waiting = queue().length;
  banner.hidden = !state.offline && waiting === 0;
  banner.textContent = state.offline ? fill(M.offline_banner, { n: waiting })
                                     : fill(M.sync_pending, { n: waiting });
}

async function checkOffline(code) {
  setOffline(true);
  const list = offlineList();
  const hash = await sha256Hex(code);
  const ticket = list.tickets[hash];
  const admittedHere = JSON.parse(localStorage.getItem(STORE + "admitted." + list.event) || "[]");
  let reason = "";
  if (!ticket) reason = M.unknown_ticket;
  else if (ticket.status === "void") reason = M.ticket_void;
  else if (ticket.inside || ticket.entries >= ticket.max_entries || admittedHere.includes(hash)) {
    reason = M.offline_already;
  }
  const where = ticket ? ticket.zone + " · "
    + (ticket.seat ? fill(M.seat, { seat: ticket.seat }) : M.general_admission) : "";
  if (!reason) {
    admittedHere.push(hash);
    localStorage.setItem(STORE + "admitted." + list.event, JSON.stringify(admittedHere));
    const items = queue();
    items.push({ id: deviceName() + "-" + Date.now().toString(36) + "-" + items.length,
                 code, action: "entry", scanned_at: new Date().toISOString(),
                 gate: gateInput.value.trim(), event: Number(list.event) });
    saveQueue(items);
    state.admitted += 1;
    showVerdict(true, M.admitted, where, M.offline_note);
    remember(true, where + " · " + M.offline_note);
  } else {
    state.refused += 1;
    showVerdict(false, M.refused, reason, where ? where + " · " + M.offline_note : M.offline_note);
    remember(false, reason);
  }
  sessionStorage.setItem(STORE + "counts", JSON.stringify([state.admitted, state.refused]));
  renderCounters();
}

async function syncQueue() {
  const items = queue();
  if (!items.length || state.syncing) return;
  state.syncing = true;
  try {
    // One upload per gate and event as queued (a batch names one of each), at most 500.
    const first = items[0];
    const batch = items.filter((item) => item.gate === first.gate && item.event === first.event)
      .slice(0, 500);
    const { status, data } = await api("POST", "/api/checkin/sync/", {
      gate: first.gate, event: first.event,
      scans: batch.map(({ id, code, action, scanned_at }) => ({ id, code, action, scanned_at })),
    });
    if (status === 0) { setOffline(true); return; }
    setOffline(false);
    if (status !== 200 || !data) return;
    const done = new Set(data.results.map((result) => result.id));
    for (const result of data.results) {
      const looked = result.result === "duplicate" ? result.reason : result.result;
      if (looked === "conflict") {
        remember(false, fill(M.sync_conflict, { time: clock(result.first_admitted_at),
                                                gate: result.gate || "?" }));
      }
    }
    saveQueue(queue().filter((item) => !done.has(item.id)));
    refreshStats();
  } finally {
    state.syncing = false;
  }
  if (queue().length) syncQueue();
}

window.addEventListener("online", () => { setOffline(false); syncQueue(); });
window.addEventListener("offline", () => setOffline(true));

// --- The event's figures ----------------------------------------------------------------

async function refreshStats() {
  const eventId = Number(eventSelect.value);
  if (!eventId) return;
  const { status, data } = await api("GET", `/api/events/${eventId}/checkin-stats/`);
  // An answer for the event shown before a change of event arrives late: drop it.
  if (status === 200 && data && String(data.event) === eventSelect.value) {
    $("count-event").textContent = `${data.admitted} / ${data.expected}`;
  }
}

// --- The camera, where the browser can read QR codes ----------------------------------

async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" }, audio: false });
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    state.camera = { stream, detector, lastText: "", lastAt: 0 };
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    cameraButton.textContent = M.camera_stop;
    cameraButton.setAttribute("aria-pressed", "true");
    scanFrame();
  } catch (error) {
    stopCamera();
    showVerdict(false, M.camera_error, "", "");
  }
}

function stopCamera() {
  if (state.camera && state.camera.stream) {
    state.camera.stream.getTracks().forEach((track) => track.stop());
  }
  state.camera = null;
  video.hidden = true;
  video.srcObject = null;
  cameraButton.textContent = M.camera_start;
  cameraButton.setAttribute("aria-pressed", "false");
  keepFocus();
}

async function scanFrame() {
  const camera = state.camera;
  if (!camera) return;
  try {
    const codes = await camera.detector.detect(video);
    const text = codes.length ? codes[0].rawValue : "";
    const now = Date.now();
    // A code held in front of the camera is read many times a second: check it once.
    if (text && (text !== camera.lastText || now - camera.lastAt > 3000)) {
      camera.lastText = text;
      camera.lastAt = now;
      await check(text);
    }
  } catch (error) {
    // A frame that could not be read: try the next one.
  }
  if (state.camera === camera) window.setTimeout(scanFrame, 200);
}

// --- Start ----------------------------------------------------------------------------------

function init() {
  if (!config.events.length) {
    const option = document.createElement("option");
    option.textContent = M.no_events;
    option.value = "";
    eventSelect.append(option);
  }
  for (const event of config.events) {
    const option = document.createElement("option");
    option.value = String(event.id);
    option.textContent = `${event.name} · ${event.starts_at.slice(0, 10)} ${clock(event.starts_at)}`;
    eventSelect.append(option);
  }
  const params = new URLSearchParams(location.search);
  const wanted = params.get("event") || localStorage.getItem(STORE + "event");
  if (wanted && config.events.some((event) => String(event.id) === wanted)) {
    eventSelect.value = wanted;
  }
  gateInput.value = localStorage.getItem(STORE + "gate") || "";
  const counts = JSON.parse(sessionStorage.getItem(STORE + "counts") || "[0,0]");
  [state.admitted, state.refused] = counts;
  renderCounters();
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    cameraButton.hidden = false;
    cameraButton.textContent = M.camera_start;
    cameraButton.addEventListener("click", () => (state.camera ? stopCamera() : startCamera()));
  }
  refreshStats();
  downloadList();
  saveQueue(queue());
  syncQueue();
  window.setInterval(() => { refreshStats(); syncQueue(); }, config.statsMs);
  window.setInterval(downloadList, config.listMs);
  input.focus();
  document.body.dataset.ready = "true";
}

init();
