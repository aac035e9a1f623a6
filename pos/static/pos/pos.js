// The POS page: seat map, hold with countdown, checkout. Every decision (what can be
// held, prices, taxes, expiry) is the API's; this module only shows it and sends clicks.
// Time is always the server's: the countdown runs on Date.now() + the offset measured
// from each response's server_time, so a wrong terminal clock changes nothing.

import { parseAmount } from "./amount.js";

const config = JSON.parse(document.getElementById("pos-config").textContent);
const M = config.messages;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const HOLD_KEY = "pos.hold";
const WARNING_MS = 120_000;
const DANGER_MS = 60_000;

const $ = (id) => document.getElementById(id);
const fill = (template, values) =>
  template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));

const state = {
  events: [],
  event: null, // the chosen event object
  settings: {},
  seats: new Map(), // id -> {id, label, zone, row, number, state}
  seatButtons: new Map(), // id -> button
  zones: new Map(), // id -> zone of the availability answer
  etag: null,
  selection: new Set(), // seat ids picked, not yet held
  gaQuantities: new Map(), // zone id -> quantity picked
  hold: null, // the hold answer of the API
  clockOffsetMs: 0, // server time - local time
  mode: "select", // select | hold | checkout | result
  payments: [],
  quote: null,
  quoteSeq: 0,
  offline: false,
  pollTimer: null,
  polling: false,
  view: "sale", // sale | reservations
  myHolds: [], // the user's live holds of this event kept by other terminals or tabs
  myHoldsSignature: "",
  reservation: null, // the reservation open in the Reservations view
  resPayments: [],
};

// --- API ---------------------------------------------------------------------------

class NetworkError extends Error {}

async function api(method, url, body, { etag } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": config.language };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    setOffline(true);
    throw new NetworkError(String(error));
  }
  setOffline(false);
  let data = null;
  if (response.status !== 304 && response.status !== 204) {
    data = await response.json().catch(() => null);
  }
  if (response.status === 401) {
    showMessage(M.logged_out, "error");
    window.setTimeout(() => { window.location.href = "login/?next=" + encodeURIComponent(location.pathname); }, 1500);
  }
  if (data && data.server_time) syncClock(data.server_time);
  return { status: response.status, ok: response.ok, data, etag: response.headers.get("ETag") };
}

function syncClock(serverTime) {
  const server = Date.parse(serverTime);
  if (!Number.isNaN(server)) state.clockOffsetMs = server - Date.now();
}

const serverNow = () => Date.now() + state.clockOffsetMs;

// --- Messages ----------------------------------------------------------------------

function showMessage(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = `msg msg-${kind}`;
  box.dataset.kind = kind;
  box.hidden = false;
}

function clearMessage() {
  const box = $("message");
  box.hidden = true;
  box.textContent = "";
}

function setOffline(offline) {
  if (state.offline === offline) return;
  state.offline = offline;
  const banner = $("net-banner");
  banner.textContent = offline ? M.network_down : "";
  banner.hidden = !offline;
}

function errorText(result) {
  const data = result.data || {};
  switch (data.code) {
    case "seats_unavailable": return conflictText(data);
    case "hold_expired": return M.expired;
    case "session_limit": return fill(M.session_limit, data);
    case "busy": return M.busy;
    case "no_adjacent_seats": return fill(M.no_adjacent_seats, { n: data.requested, zone: data.zone.name });
    case "exchange_rate_missing": return M.rate_missing;
    default: break;
  }
  if (result.status === 403) return data.detail || M.forbidden;
  if (result.status >= 500) return M.server_error;
  if (typeof data.detail === "string") return data.detail;
  // A serializer error: {field: [messages]}.
  const first = Object.entries(data)[0];
  return first ? `${first[0]}: ${[].concat(first[1]).join(" ")}` : M.server_error;
}

function conflictText(data) {
  const parts = [];
  const seats = (data.seats || []).map(
    (s) => `${s.label} (${s.reason === "sold" ? M.reason_sold : M.reason_reserved})`);
  if (seats.length) parts.push(fill(M.conflict, { seats: seats.join(", ") }));
  for (const zone of data.zones || []) parts.push(fill(M.zone_short, { zone: zone.name, ...zone }));
  return parts.join(" ");
}

// --- Formatting --------------------------------------------------------------------

function money(amount, currency) {
  return window.posFormat.money(amount, currency); // format.js: as the server prints it
}

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

function dateTime(iso) {
  return window.posFormat.dateTime(iso); // format.js: the venue's clock, not the terminal's
}

// --- Events and availability -------------------------------------------------------

async function loadEvents() {
  const result = await api("GET", "/api/events/?limit=100");
  if (!result.ok) { showMessage(errorText(result)); return; }
  state.events = (result.data.results || result.data).filter((e) => e.status === "on_sale");
  const select = $("event-select");
  select.replaceChildren(...state.events.map((event) => {
    const option = document.createElement("option");
    option.value = event.id;
    option.textContent = event.name;
    return option;
  }));
  if (!state.events.length) {
    $("seat-map").textContent = M.no_events;
    return;
  }
  const wanted = Number(new URLSearchParams(location.search).get("event"));
  const saved = readSavedHold();
  const chosen = state.events.find((e) => e.id === wanted)
    || state.events.find((e) => saved && e.id === saved.event) || state.events[0];
  await chooseEvent(chosen.id);
}

async function chooseEvent(eventId) {
  state.event = state.events.find((e) => e.id === Number(eventId));
  $("event-select").value = String(state.event.id);
  $("event-when").textContent = dateTime(state.event.starts_at);
  const url = new URL(location.href);
  url.searchParams.set("event", state.event.id);
  history.replaceState(null, "", url);
  state.etag = null;
  state.seats.clear();
  state.selection.clear();
  state.gaQuantities.clear();
  state.seatButtons.clear();
  state.zones = new Map();
  $("seat-map").replaceChildren();
  $("ga-zones").replaceChildren();
  socket.refused = false;
  socket.retryMs = 1000;
  connectSocket();
  await poll();
}

function availabilityUrl() {
  return `/api/events/${state.event.id}/availability/`;
}

async function poll() {
  if (!state.event || state.polling) return;
  state.polling = true;
  window.clearTimeout(state.pollTimer);
  const eventId = state.event.id;
  try {
    const result = await api("GET", availabilityUrl(), undefined, { etag: state.etag });
    if (eventId !== state.event.id) return; // switched events meanwhile: poll again now
    if (result.status === 200) {
      state.etag = result.etag;
      applyAvailability(result.data);
    } else if (result.status !== 304 && !result.ok) {
      showMessage(errorText(result));
    }
    if (state.hold && state.mode !== "result") await refreshHold();
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  } finally {
    state.polling = false;
    const delay = eventId === state.event.id ? config.pollMs : 0;
    // While the seat-map socket is open the server sends every change: no timer.
    if (!socketLive()) state.pollTimer = window.setTimeout(poll, delay);
  }
}

// --- Pushed seat map ---------------------------------------------------------------
// The server sends the availability answer on connect, on every change of the event and
// when a hold in it lapses. Polling stops while the socket is live and starts again the
// moment it drops; the socket comes back with backoff. A refusal (signed out, role,
// unknown event or host) is final for this event: the page keeps polling.

const REFUSED = [4401, 4403, 4404];
const decoder = new TextDecoder();
const socket = { ws: null, live: false, eventId: null, retryMs: 1000, retryTimer: null, refused: false };

function socketLive() {
  return socket.live && state.event !== null && socket.eventId === state.event.id;
}

function setLive(live) {
  socket.live = live;
  document.body.dataset.live = String(live);
}

function connectSocket() {
  window.clearTimeout(socket.retryTimer);
  if (socket.ws) {
    const old = socket.ws;
    socket.ws = null;
    old.close();
  }
  setLive(false);
  if (!config.socketUrl || !state.event || socket.refused || !("WebSocket" in window)) return;
  const eventId = state.event.id;
  let ws;
  try {
    ws = new WebSocket(config.socketUrl.replace("{event}", eventId));
  } catch {
    retrySocket();
    return;
  }
  ws.binaryType = "arraybuffer"; // the server sends the JSON as bytes
  socket.ws = ws;
  socket.eventId = eventId;
  ws.addEventListener("message", (message) => {
    if (socket.ws !== ws || !state.event || state.event.id !== eventId) return;
    const text = typeof message.data === "string" ? message.data : decoder.decode(message.data);
    const data = JSON.parse(text);
    if (data.event !== eventId) return;
    if (!socket.live) {
      setLive(true);
      socket.retryMs = 1000;
      window.clearTimeout(state.pollTimer);
    }
    syncClock(data.server_time);
    state.etag = null; // the first poll after a drop fetches the whole map
    applyAvailability(data);
    if (state.hold && state.mode !== "result") refreshHold().catch(() => {});
  });
  ws.addEventListener("close", (closed) => {
    if (socket.ws !== ws) return;
    socket.ws = null;
    setLive(false);
    if (REFUSED.includes(closed.code)) socket.refused = true;
    else retrySocket();
    poll(); // at once, then every pollMs until the socket is back
  });
}

function retrySocket() {
  const delay = socket.retryMs * (0.75 + Math.random() / 2);
  socket.retryMs = Math.min(socket.retryMs * 2, 30_000);
  socket.retryTimer = window.setTimeout(connectSocket, delay);
}

function applyAvailability(data) {
  const firstTime = state.seats.size === 0 && state.seatButtons.size === 0;
  const taken = [];
  for (const seat of data.seats) {
    state.seats.set(seat.id, seat);
    if (state.selection.has(seat.id) && seat.state !== "available") {
      state.selection.delete(seat.id);
      taken.push(seat.label);
    }
  }
  state.zones = new Map(data.zones.map((zone) => [zone.id, zone]));
  for (const [zoneId, quantity] of state.gaQuantities) {
    const zone = state.zones.get(zoneId);
    if (zone && quantity > zone.available) state.gaQuantities.set(zoneId, zone.available);
  }
  if (firstTime) buildSeatMap();
  renderSeats();
  renderZones();
  renderSelection();
  refreshMyHolds();
  if (taken.length) showMessage(fill(M.taken_while_choosing, { seats: taken.join(", ") }), "warning");
}

// --- Seat map ----------------------------------------------------------------------

function seatDisplayState(seat) {
  if (seat.state === "available" && state.selection.has(seat.id)) return "selected";
  return seat.state;
}

const GLYPHS = {
  available: "", selected: "✓", reserved_by_me: "★", reserved: "◔", reserved_partial: "½",
  sold: "✕", blocked: "⊘",
};

function buildSeatMap() {
  const map = $("seat-map");
  map.replaceChildren();
  map.setAttribute("aria-busy", "false");
  const byZone = new Map();
  for (const seat of state.seats.values()) {
    if (!byZone.has(seat.zone)) byZone.set(seat.zone, new Map());
    const rows = byZone.get(seat.zone);
    if (!rows.has(seat.row)) rows.set(seat.row, []);
    rows.get(seat.row).push(seat);
  }
  let first = true;
  for (const [zoneId, rows] of byZone) {
    const zone = state.zones.get(zoneId);
    const group = document.createElement("div");
    group.className = "zone";
    group.setAttribute("role", "group");
    const heading = document.createElement("h2");
    heading.className = "zone-title";
    heading.id = `zone-${zoneId}`;
    heading.textContent = zone ? `${zone.name} · ${money(zone.price, state.event.currency)}` : "";
    group.setAttribute("aria-labelledby", heading.id);
    group.append(heading);
    for (const [row, seats] of rows) {
      const line = document.createElement("div");
      line.className = "seat-row";
      const label = document.createElement("span");
      label.className = "row-label";
      label.textContent = row;
      label.title = fill(M.row, { row });
      line.append(label);
      seats.sort((a, b) => a.number - b.number);
      for (const seat of seats) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "seat";
        button.dataset.seatId = seat.id;
        button.dataset.label = seat.label;
        button.tabIndex = first ? 0 : -1;
        first = false;
        const number = document.createElement("span");
        number.className = "seat-number";
        number.textContent = seat.number;
        const glyph = document.createElement("span");
        glyph.className = "seat-glyph";
        glyph.setAttribute("aria-hidden", "true");
        button.append(number, glyph);
        state.seatButtons.set(seat.id, button);
        line.append(button);
      }
      group.append(line);
    }
    map.append(group);
  }
}

function renderSeats() {
  for (const [id, button] of state.seatButtons) {
    const seat = state.seats.get(id);
    const shown = seatDisplayState(seat);
    const className = `seat state-${shown}`;
    if (button.className !== className) button.className = className;
    button.dataset.state = shown;
    button.setAttribute("aria-label", fill(M.seat_aria, { label: seat.label, state: M[`state_${shown}`] || shown }));
    button.setAttribute("aria-pressed", String(shown === "selected"));
    // Yours from another terminal stays clickable: the click says where it is held.
    const selectable = config.canSell && ((seat.state === "available" && state.mode === "select")
      || (seat.state === "reserved_by_me" && !heldHere(seat.id)));
    button.setAttribute("aria-disabled", String(!selectable));
    button.lastChild.textContent = GLYPHS[shown] ?? "?";
  }
}

function onSeatClick(event) {
  const button = event.target.closest("button.seat");
  if (!button) return;
  focusSeat(button);
  const seat = state.seats.get(Number(button.dataset.seatId));
  if (!config.canSell) return;
  if (seat.state === "reserved_by_me" && !heldHere(seat.id)) {
    // Yours, from another terminal or tab: say where, and offer it (refreshMyHolds).
    const owner = state.myHolds.find((h) => h.items.some((i) => i.seat === seat.id && i.status === "active"));
    if (owner) showMessage(fill(M.own_hold_elsewhere, { label: seat.label, id: owner.id }), "info");
    refreshMyHolds({ force: true });
    return;
  }
  if (state.mode !== "select") return;
  if (seat.state !== "available") {
    showMessage(fill(M.not_available_click, { label: seat.label, state: M[`state_${seat.state}`] }), "info");
    return;
  }
  if (state.selection.has(seat.id)) {
    state.selection.delete(seat.id);
  } else {
    if (selectedCount() + 1 > limit()) {
      showMessage(fill(M.over_limit, { limit: limit() }), "warning");
      return;
    }
    state.selection.add(seat.id);
  }
  renderSeats();
  renderSelection();
}

function heldHere(seatId) {
  return Boolean(state.hold && state.hold.items.some((i) => i.seat === seatId && i.status === "active"));
}

function focusSeat(button) {
  for (const other of state.seatButtons.values()) other.tabIndex = -1;
  button.tabIndex = 0;
  button.focus();
}

// Arrow keys move between seats (one tab stop for the whole map); Enter/Space click.
function onSeatKey(event) {
  const button = event.target.closest("button.seat");
  if (!button) return;
  const row = button.parentElement;
  const inRow = [...row.querySelectorAll("button.seat")];
  const index = inRow.indexOf(button);
  let target = null;
  if (event.key === "ArrowRight") target = inRow[index + 1];
  else if (event.key === "ArrowLeft") target = inRow[index - 1];
  else if (event.key === "Home") target = inRow[0];
  else if (event.key === "End") target = inRow[inRow.length - 1];
  else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const rows = [...$("seat-map").querySelectorAll(".seat-row")];
    const next = rows[rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      const seats = next.querySelectorAll("button.seat");
      target = seats[Math.min(index, seats.length - 1)];
    }
  } else return;
  event.preventDefault();
  if (target) focusSeat(target);
}

// --- General admission -------------------------------------------------------------

function renderZones() {
  renderBestAvailable();
  const box = $("ga-zones");
  const zones = [...state.zones.values()].filter((zone) => zone.kind === "general");
  const existing = new Map([...box.children].map((el) => [Number(el.dataset.zoneId), el]));
  for (const zone of zones) {
    let card = existing.get(zone.id);
    if (!card) {
      card = document.createElement("div");
      card.className = "ga-zone";
      card.dataset.zoneId = zone.id;
      const inputId = `ga-qty-${zone.id}`;
      card.innerHTML = `
        <div class="ga-head"><strong class="ga-name"></strong> <span class="ga-price"></span></div>
        <div class="ga-remaining" aria-live="polite"></div>
        <div class="ga-controls">
          <button type="button" class="btn btn-small ga-minus" aria-label="−">−</button>
          <input type="number" inputmode="numeric" min="0" step="1" id="${inputId}" class="ga-qty">
          <button type="button" class="btn btn-small ga-plus" aria-label="+">+</button>
          <label class="visually-hidden" for="${inputId}"></label>
        </div>`;
      card.querySelector(".ga-name").textContent = zone.name;
      card.querySelector(".ga-price").textContent = money(zone.price, state.event.currency);
      card.querySelector("label").textContent = fill(M.ga_quantity, { zone: zone.name });
      card.querySelector(".ga-minus").addEventListener("click", () => setGaQuantity(zone.id, gaQuantity(zone.id) - 1));
      card.querySelector(".ga-plus").addEventListener("click", () => setGaQuantity(zone.id, gaQuantity(zone.id) + 1));
      card.querySelector(".ga-qty").addEventListener("change", (event) => setGaQuantity(zone.id, Number(event.target.value) || 0));
      box.append(card);
    }
    card.querySelector(".ga-remaining").textContent = fill(M.ga_remaining, zone);
    card.classList.toggle("ga-sold-out", zone.available === 0);
    const input = card.querySelector(".ga-qty");
    input.max = zone.available;
    input.value = gaQuantity(zone.id);
    const enabled = config.canSell && state.mode === "select";
    for (const control of card.querySelectorAll("button, input")) control.disabled = !enabled;
  }
}

// Best available: the server picks the N best adjacent seats of a numbered zone
// (reservations/best_available.py) and holds them at once.
function renderBestAvailable() {
  const box = $("best-zones");
  if (!box) return;
  const zones = [...state.zones.values()].filter((zone) => zone.kind !== "general");
  const existing = new Map([...box.children].map((el) => [Number(el.dataset.zoneId), el]));
  for (const zone of zones) {
    let card = existing.get(zone.id);
    if (!card) {
      card = document.createElement("div");
      card.className = "ga-zone best-zone";
      card.dataset.zoneId = zone.id;
      const inputId = `best-qty-${zone.id}`;
      card.innerHTML = `
        <div class="ga-head"><strong class="ga-name"></strong></div>
        <div class="ga-controls">
          <label class="visually-hidden" for="${inputId}"></label>
          <input type="number" inputmode="numeric" min="1" step="1" value="2" id="${inputId}" class="ga-qty best-qty">
          <button type="button" class="btn btn-small best-btn"></button>
        </div>`;
      card.querySelector(".ga-name").textContent = zone.name;
      card.querySelector("label").textContent = fill(M.best_quantity, { zone: zone.name });
      const input = card.querySelector(".best-qty");
      const button = card.querySelector(".best-btn");
      const label = () => { button.textContent = fill(M.best_available, { n: Number(input.value) || 1 }); };
      input.addEventListener("input", label);
      button.addEventListener("click", () => holdBestAvailable(zone.id, Number(input.value) || 0));
      label();
      box.append(card);
    }
    const enabled = config.canSell && state.mode === "select" && !state.hold;
    for (const control of card.querySelectorAll("button, input")) control.disabled = !enabled;
  }
}

async function holdBestAvailable(zoneId, count) {
  if (count < 1) { showMessage(M.nothing_selected, "warning"); return; }
  let result;
  try {
    result = await api("POST", "/api/holds/",
      { event: state.event.id, zone: zoneId, best_available: count, together: true });
  } catch (error) {
    if (error instanceof NetworkError) { showMessage(M.network_down); return; }
    throw error;
  }
  if (result.status === 201) {
    clearMessage();
    for (const item of result.data.items || []) {
      const seat = item.seat && state.seats.get(item.seat);
      if (seat) seat.state = "reserved_by_me";
    }
    setHold(result.data);
    renderSeats();
    poll();
    return;
  }
  showMessage(errorText(result));
  poll();
}

const gaQuantity = (zoneId) => state.gaQuantities.get(zoneId) || 0;

function setGaQuantity(zoneId, wanted) {
  const zone = state.zones.get(zoneId);
  let quantity = Math.max(0, Math.min(Math.floor(wanted), zone.available));
  const others = selectedCount() - gaQuantity(zoneId);
  if (others + quantity > limit()) {
    quantity = Math.max(0, limit() - others);
    showMessage(fill(M.over_limit, { limit: limit() }), "warning");
  }
  if (quantity) state.gaQuantities.set(zoneId, quantity);
  else state.gaQuantities.delete(zoneId);
  renderZones();
  renderSelection();
}

// --- Selection and hold --------------------------------------------------------------

const limit = () => state.settings.max_reservations_per_session || Infinity;

function selectedCount() {
  let count = state.selection.size;
  for (const quantity of state.gaQuantities.values()) count += quantity;
  return count;
}

function renderSelection() {
  const list = $("selection-list");
  const currency = state.event ? state.event.currency : "";
  let total = 0;
  const items = [];
  const seats = [...state.selection].map((id) => state.seats.get(id))
    .sort((a, b) => a.row.localeCompare(b.row) || a.number - b.number);
  for (const seat of seats) {
    const zone = state.zones.get(seat.zone);
    total += Number(zone.price);
    items.push(itemRow(`${seat.label}`, zone.name, money(zone.price, currency), () => {
      state.selection.delete(seat.id);
      renderSeats();
      renderSelection();
    }, `${M.remove} ${seat.label}`));
  }
  for (const [zoneId, quantity] of state.gaQuantities) {
    const zone = state.zones.get(zoneId);
    total += Number(zone.price) * quantity;
    items.push(itemRow(`${zone.name} × ${quantity}`, "", money(Number(zone.price) * quantity, currency),
      () => setGaQuantity(zoneId, 0), `${M.remove} ${zone.name}`));
  }
  list.replaceChildren(...items);
  $("selection-empty").hidden = items.length > 0;
  $("selection-total").textContent = items.length ? money(total, currency) : "—";
  const holdButton = $("hold-btn");
  if (holdButton) holdButton.disabled = !items.length || state.mode !== "select";
  $("clear-btn").disabled = !items.length || state.mode !== "select";
}

function itemRow(label, detail, amount, onRemove, removeLabel) {
  const li = document.createElement("li");
  const what = document.createElement("span");
  what.className = "item-label";
  what.textContent = label;
  if (detail) {
    const small = document.createElement("small");
    small.className = "muted";
    small.textContent = ` ${detail}`;
    what.append(small);
  }
  const price = document.createElement("span");
  price.className = "item-price";
  price.textContent = amount;
  li.append(what, price);
  if (onRemove) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-icon";
    remove.textContent = "×";
    remove.setAttribute("aria-label", removeLabel);
    remove.addEventListener("click", onRemove);
    li.append(remove);
  }
  return li;
}

async function hold() {
  const seatIds = [...state.selection];
  const zones = [...state.gaQuantities].map(([zone, quantity]) => ({ zone, quantity }));
  if (!seatIds.length && !zones.length) { showMessage(M.nothing_selected, "warning"); return; }
  $("hold-btn").disabled = true;
  let result;
  try {
    result = await api("POST", "/api/holds/", { event: state.event.id, seat_ids: seatIds, zones });
  } catch (error) {
    renderSelection();
    if (error instanceof NetworkError) { showMessage(M.network_down); return; }
    throw error;
  }
  if (result.status === 201) {
    clearMessage();
    state.selection.clear();
    state.gaQuantities.clear();
    for (const id of seatIds) {
      const seat = state.seats.get(id);
      if (seat) seat.state = "reserved_by_me";
    }
    setHold(result.data);
    poll();
    return;
  }
  if (result.status === 409 && result.data && result.data.code === "seats_unavailable") {
    // Show the seats someone else took at once, without waiting for the next poll.
    for (const taken of result.data.seats || []) {
      const seat = state.seats.get(taken.id);
      if (seat) seat.state = taken.reason === "sold" ? "sold" : "reserved";
      state.selection.delete(taken.id);
    }
    state.etag = null;
  }
  showMessage(errorText(result));
  renderSeats();
  renderSelection();
  poll();
}

function setHold(holdData) {
  state.hold = holdData;
  sessionStorage.setItem(HOLD_KEY, JSON.stringify({ id: holdData.id, event: holdData.event }));
  if (state.mode === "select") setMode("hold");
  renderHold();
  tick();
}

function readSavedHold() {
  try { return JSON.parse(sessionStorage.getItem(HOLD_KEY)); } catch { return null; }
}

function forgetHold() {
  state.hold = null;
  state.quote = null;
  sessionStorage.removeItem(HOLD_KEY);
  $("countdown").hidden = true;
}

async function restoreHold() {
  const saved = readSavedHold();
  if (!saved || !state.event || saved.event !== state.event.id) return;
  const result = await api("GET", `/api/holds/${saved.id}/`).catch(() => null);
  const data = result && result.ok ? result.data : null;
  if (data && data.status === "pending" && data.expires_at
      && Date.parse(data.expires_at) > Date.parse(data.server_time)) {
    setHold(data);
  } else {
    sessionStorage.removeItem(HOLD_KEY);
  }
}

async function refreshHold() {
  const result = await api("GET", `/api/holds/${state.hold.id}/`);
  if (!state.hold || state.mode === "result") return;
  if (!result.ok) {
    if (result.status === 404) { forgetHold(); setMode("select"); }
    return;
  }
  const data = result.data;
  if (data.status === "pending" && data.expires_at) {
    state.hold = { ...state.hold, ...data };
    renderHold();
  } else if (data.status === "expired" || data.status === "pending") {
    expire();
  } else {
    // Completed, reserved or cancelled from another tab or terminal.
    forgetHold();
    setMode("select");
  }
}

function renderHold() {
  const holdData = state.hold;
  if (!holdData) return;
  $("hold-ref").textContent = `#${holdData.id}`;
  const items = holdData.items.filter((item) => item.status === "active").map((item) => {
    const amount = money(Number(item.unit_price) * item.quantity, holdData.currency);
    const canRelease = item.seat && holdData.items.filter((i) => i.status === "active").length > 1;
    return itemRow(item.label, item.seat ? item.zone_name : "", amount,
      canRelease ? () => releaseSeat(item.seat) : null, fill(M.release_seat, { label: item.label }));
  });
  $("hold-items").replaceChildren(...items);
  $("hold-total").textContent = money(holdData.subtotal, holdData.currency);
  // In the countdown box: Extend stays at hand during checkout too.
  $("extend-btn").hidden = !(state.settings.allow_hold_extension && holdData.extensions_left > 0);
}

function tick() {
  const box = $("countdown");
  if (!state.hold || !state.hold.expires_at || state.mode === "result") { box.hidden = true; return; }
  const remaining = Date.parse(state.hold.expires_at) - serverNow();
  box.hidden = false;
  $("countdown-time").textContent = clock(remaining);
  const level = remaining <= DANGER_MS ? "danger" : remaining <= WARNING_MS ? "warning" : "ok";
  box.className = `countdown countdown-${level}`;
  box.dataset.level = level;
  if (remaining <= 0) expire();
}

function expire() {
  forgetHold();
  setMode("select");
  showMessage(M.expired, "error");
  state.etag = null;
  renderSeats();
  poll();
}

async function releaseHold() {
  clearMessage();
  const id = state.hold.id;
  const result = await api("DELETE", `/api/holds/${id}/`).catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (result.status === 410) { expire(); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  forgetHold();
  setMode("select");
  showMessage(M.released, "info");
  poll();
}

async function releaseSeat(seatId) {
  const result = await api("POST", `/api/holds/${state.hold.id}/release/`, { seat_ids: [seatId] })
    .catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (result.status === 410) { expire(); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  setHold(result.data);
  if (state.mode === "checkout") requestQuote();
  poll();
}

async function extendHold() {
  clearMessage();
  const result = await api("POST", `/api/holds/${state.hold.id}/extend/`).catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (result.status === 410) { expire(); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  setHold(result.data);
  showMessage(M.extended, "success");
}

// --- Checkout ----------------------------------------------------------------------

function currencies() {
  const own = state.event.currency;
  return own === "VES" ? ["VES"] : [own, "VES"];
}

function startCheckout() {
  setMode("checkout");
  state.payments = [newPayment(state.event.currency)];
  renderPayments();
  fillBalance(0);
}

const newPayment = (currency) => ({ method: "cash", currency, amount: "", reference: "" });

// What a typed amount says: {value} or {error, text} (amount.js has the rules).
function amountOf(payment) {
  const parsed = parseAmount(payment.amount);
  return parsed.value ? parsed : { ...parsed, text: payment.amount.trim() };
}

function amountError(payment) {
  const parsed = amountOf(payment);
  if (parsed.value || parsed.error === "empty") return "";
  if (parsed.error === "ambiguous") {
    // "5.800": 5800,00 or 5,80.
    const [whole, cents] = parsed.text.split(/[.,]/);
    return fill(M.amount_ambiguous, { text: parsed.text, a: `${whole}${cents},00`,
      b: `${whole},${cents.slice(0, 2)}` });
  }
  return fill(M[`amount_${parsed.error}`] || M.amount_invalid, { text: parsed.text });
}

// One payment line (method, currency, amount, reference), for the checkout and for a
// reservation's balance. `hooks.changed()` after any edit; `hooks.currency(index, old)`
// after a currency switch (the amount is converted there); `hooks.remove(index)`.
function paymentRows(payments, allowed, hooks) {
  return payments.map((payment, index) => {
    const row = document.createElement("div");
    row.className = "payment-row";
    const method = document.createElement("select");
    method.setAttribute("aria-label", fill(M.pay_method, { n: index + 1 }));
    method.className = "pay-method";
    for (const option of config.paymentMethods) {
      // Only methods that take one of the sale's currencies (sales.models.PAYMENT_CURRENCIES).
      if (option.currencies.some((code) => allowed.includes(code))) {
        method.add(new Option(option.label, option.value));
      }
    }
    method.value = payment.method;
    const rule = methodRule(payment.method);
    method.addEventListener("change", () => {
      const old = payment.currency;
      payment.method = method.value;
      const usable = allowed.filter((code) => methodRule(payment.method).currencies.includes(code));
      if (!usable.includes(payment.currency)) payment.currency = usable[0] || payment.currency;
      hooks.rerender();
      if (old !== payment.currency) hooks.currency(index, old);
      else hooks.changed();
    });
    const currency = document.createElement("select");
    currency.className = "pay-currency";
    currency.setAttribute("aria-label", fill(M.pay_currency, { n: index + 1 }));
    for (const code of allowed) {
      if (rule.currencies.includes(code)) currency.add(new Option(code === "VES" ? "Bs." : code, code));
    }
    currency.value = payment.currency;
    currency.addEventListener("change", () => {
      const old = payment.currency;
      payment.currency = currency.value;
      hooks.currency(index, old);
    });
    const amount = document.createElement("input");
    amount.type = "text";
    amount.inputMode = "decimal";
    amount.autocomplete = "off";
    amount.className = "pay-amount";
    amount.value = payment.amount;
    amount.setAttribute("aria-label", fill(M.pay_amount, { n: index + 1 }));
    const error = document.createElement("p");
    error.className = "pay-error";
    error.id = `${hooks.prefix}-amount-error-${index}`;
    error.setAttribute("role", "alert");
    const showError = () => {
      const text = amountError(payment);
      error.textContent = text;
      error.hidden = !text;
      amount.setAttribute("aria-invalid", String(Boolean(text)));
      if (text) amount.setAttribute("aria-describedby", error.id);
      else amount.removeAttribute("aria-describedby");
    };
    amount.addEventListener("input", () => { payment.amount = amount.value; showError(); hooks.changed(); });
    showError();
    row.append(method, currency, amount);
    if (rule.reference) {
      const reference = document.createElement("input");
      reference.type = "text";
      reference.className = "pay-reference";
      reference.maxLength = 40;
      reference.autocomplete = "off";
      reference.value = payment.reference || "";
      reference.placeholder = M.reference;
      reference.setAttribute("aria-label", fill(M.pay_reference, { n: index + 1 }));
      reference.addEventListener("input", () => { payment.reference = reference.value; hooks.changed(); });
      row.append(reference);
    }
    if (payments.length > 1) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-icon";
      remove.textContent = "×";
      remove.setAttribute("aria-label", M.remove);
      remove.addEventListener("click", () => hooks.remove(index));
      row.append(remove);
    }
    row.append(error);
    return row;
  });
}

function renderPayments() {
  $("payments").replaceChildren(...paymentRows(state.payments, currencies(), {
    prefix: "co",
    rerender: renderPayments,
    changed: requestQuote,
    currency: (index, old) => convertPayment(index, old),
    remove: (index) => { state.payments.splice(index, 1); renderPayments(); requestQuote(); },
  }));
}

function methodRule(value) {
  return config.paymentMethods.find((m) => m.value === value) || { currencies: [], reference: false };
}

// The payments as the API takes them: only amounts that read clearly.
function validPayments(payments = state.payments) {
  return payments
    .map((p) => ({ p, parsed: amountOf(p) }))
    .filter(({ parsed }) => parsed.value)
    .map(({ p, parsed }) => ({ method: p.method, currency: p.currency, amount: parsed.value,
      reference: (p.reference || "").trim() }));
}

// Something typed that is no amount, or a missing bank reference: nothing is sent.
function paymentsUnclear(payments) {
  return payments.some((p) => amountError(p)) || missingReference(payments)
    || validPayments(payments).length === 0;
}

// What the main button says while nothing can be sent.
function unclearText(payments) {
  return missingReference(payments) ? M.reference_needed : M.pay_nothing;
}

let quoteTimer = null;
function requestQuote() {
  $("pay-btn").disabled = true;
  window.clearTimeout(quoteTimer);
  quoteTimer = window.setTimeout(quote, 300);
}

async function quote() {
  if (!state.hold) return null;
  const seq = ++state.quoteSeq;
  const result = await api("POST", `/api/holds/${state.hold.id}/quote/`, { payments: validPayments() })
    .catch(() => null);
  if (seq !== state.quoteSeq || state.mode !== "checkout") return null;
  if (!result) { showMessage(M.network_down); return null; }
  if (result.status === 410) { expire(); return null; }
  if (!result.ok) { showMessage(errorText(result)); return null; }
  state.quote = result.data;
  renderQuote();
  return result.data;
}

// What settles the sale in each currency given the other payments: the server's
// `amounts_due` (IGTF and the rounding that makes it settle are decided there, once).
async function amountsDueBesides(index) {
  const others = validPayments(state.payments.filter((_, i) => i !== index));
  const result = await api("POST", `/api/holds/${state.hold.id}/quote/`, { payments: others })
    .catch(() => null);
  return result && result.ok ? result.data.amounts_due : null;
}

async function fillBalance(index) {
  const payment = state.payments[index];
  const due = await amountsDueBesides(index);
  if (due && payment) {
    payment.amount = due[payment.currency] || "";
    renderPayments();
  }
  await quote();
}

// A currency switch keeps what the payment settles, not its number: the same share of
// what is due, read from `amounts_due` in the old and the new currency.
function converted(amountText, oldDue, newDue) {
  const parsed = parseAmount(amountText);
  if (!newDue) return amountText;
  if (!parsed.value || !oldDue || Number(parsed.value) >= Number(oldDue)) return newDue;
  const share = Number(parsed.value) / Number(oldDue);
  return (Math.round(share * Number(newDue) * 100) / 100).toFixed(2);
}

async function convertPayment(index, oldCurrency) {
  const payment = state.payments[index];
  $("pay-btn").disabled = true;
  const due = await amountsDueBesides(index);
  if (due && payment) {
    payment.amount = converted(payment.amount, due[oldCurrency], due[payment.currency]);
  }
  renderPayments();
  await quote();
}

function renderQuote() {
  const q = state.quote;
  const sale = q.sale_currency;
  // No line break inside an amount on a narrow screen: only between the two.
  const whole = (text) => text.replace(/ /g, "\u00a0");
  const both = (ves, saleAmount) => (sale === "VES" ? money(ves, "VES")
    : `${whole(money(saleAmount, sale))} · ${whole(money(ves, "VES"))}`);
  const rate = Number(q.exchange_rate);
  const inSale = (ves) => Number(ves) / rate;
  $("q-base").textContent = money(q.base_total_ves, "VES");
  $("q-taxes").replaceChildren(...q.taxes.map((tax) => {
    const row = document.createElement("tr");
    row.innerHTML = "<th scope='row'></th><td></td>";
    row.firstChild.textContent = fill(M.tax_line, { rate: Number(tax.rate) });
    row.lastChild.textContent = money(tax.iva_ves, "VES");
    return row;
  }));
  $("q-total").textContent = both(q.total_ves, q.total_sale);
  $("q-igtf").textContent = money(q.igtf_ves, "VES");
  $("q-due").textContent = both(q.amount_due_ves, q.amount_due_sale);
  $("q-paid").textContent = both(q.paid_ves, inSale(q.paid_ves));
  const balance = Number(q.balance_ves);
  const change = balance < 0;
  $("q-balance-label").textContent = change ? M.change_due : (balance === 0 ? M.paid_in_full : M.balance_due);
  $("q-balance").textContent = both(Math.abs(balance), Math.abs(Number(q.balance_sale)));
  $("quote").dataset.paidInFull = String(q.paid_in_full);
  $("q-rate").textContent = sale === "VES" ? "" : `1 ${sale} = ${money(q.exchange_rate, "VES")} (BCV)`;
  const unclear = paymentsUnclear(state.payments);
  const reserving = !q.paid_in_full && !unclear;
  const note = $("reserve-note");
  note.hidden = !reserving;
  note.textContent = reserving ? fill(M.reserve_note, { deadline: dateTime(reservationDeadline()) }) : "";
  const pay = $("pay-btn");
  pay.textContent = unclear ? unclearText(state.payments) : (q.paid_in_full ? M.pay : M.pay_partial);
  pay.dataset.action = q.paid_in_full ? "sale" : "reserve";
  pay.classList.toggle("btn-reserve", reserving);
  pay.disabled = unclear;
}

// When a reservation made now must be paid off: the venue's partial-payment window
// (the server fixes the real deadline at checkout; this only tells the cashier).
function reservationDeadline() {
  const hours = Number(state.settings.partial_payment_hours || 72);
  return new Date(serverNow() + hours * 3_600_000).toISOString();
}

// Pago móvil, transfer and Zelle are taken with their bank reference (checkout refuses
// them without one).
function missingReference(payments = state.payments) {
  return payments.some((p) => methodRule(p.method).reference && !(p.reference || "").trim());
}

async function checkout() {
  const payments = validPayments();
  if (!payments.length || paymentsUnclear(state.payments)) return;
  const q = state.quote;
  // A balance left makes a reservation: never on one click, always confirmed.
  const reserve = Boolean(q && !q.paid_in_full);
  if (reserve) {
    const balance = balanceText(q.amounts_due, q.sale_currency);
    const answer = await confirmDialog({
      title: M.confirm_reserve_title,
      lines: [fill(M.confirm_paid, { amount: money(q.paid_ves, "VES") }),
        fill(M.confirm_balance, { amount: balance }),
        fill(M.confirm_deadline, { deadline: dateTime(reservationDeadline()) })],
      ok: M.confirm_reserve_ok,
    });
    if (!answer.ok) return;
  }
  $("pay-btn").disabled = true;
  const customer = { name: $("customer-name").value.trim(), tax_id: $("customer-tax-id").value.trim() };
  const body = { payments, reserve };
  if (customer.name || customer.tax_id) body.customer = customer;
  const result = await api("POST", `/api/holds/${state.hold.id}/checkout/`, body).catch(() => null);
  if (!result) { showMessage(M.network_down); $("pay-btn").disabled = false; return; }
  if (result.status === 410) { expire(); return; }
  if (!result.ok) { showMessage(errorText(result)); $("pay-btn").disabled = false; return; }
  forgetHold();
  setMode("result");
  renderResult(result.data, { title: $("result-title"), box: $("result"), panel: $("result-panel") });
  state.etag = null;
  poll();
}

// --- Confirmation dialog -------------------------------------------------------------

function confirmDialog({ title, lines, ok, reason }) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(...lines.map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
  $("confirm-ok").textContent = ok;
  const input = $("confirm-reason");
  input.hidden = !reason;
  input.required = Boolean(reason);
  input.value = "";
  $("confirm-reason-label").hidden = !reason;
  $("confirm-reason-label").textContent = reason || "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve({ ok: dialog.returnValue === "ok", reason: input.value.trim() });
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    (reason ? input : $("confirm-ok")).focus();
  });
}

// --- Receipts ------------------------------------------------------------------------

// The invoice of a completed sale, else the latest receipt of a partly paid one.
function documentOf(tx) {
  return tx.invoice ?? (tx.documents || []).at(-1) ?? null;
}

// Opens a printable page (the 80 mm HTML of a document or ticket) and prints it.
function printPage(url) {
  const win = window.open(url, "_blank");
  if (win) win.addEventListener("load", () => win.print(), { once: true });
}

function printButton(label, url, className = "btn") {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.dataset.url = url;
  button.addEventListener("click", () => printPage(url));
  return button;
}

// An amount in the sale's currency and in Bs. (what was paid: one sum, two currencies).
function pairText(amounts, currency) {
  if (!amounts) return "";
  const parts = [amounts[currency] && money(amounts[currency], currency)];
  if (currency !== "VES" && amounts.VES) parts.push(money(amounts.VES, "VES"));
  return parts.filter(Boolean).join(" · ");
}

// What settles a balance (`amounts_due`): Bs., or the foreign amount that settles it when
// paid in that currency (IGTF included, so it is more than the Bs. at the day's rate).
function balanceText(amountsDue, currency) {
  if (!amountsDue) return "";
  return Object.entries(amountsDue).sort(([a], [b]) => (a === "VES" ? -1 : b === "VES" ? 1 : 0))
    .map(([code, amount]) => (code === "VES" ? money(amount, "VES")
      : fill(M.res_balance_in, { amount: money(amount, code), currency: code })))
    .join(" · ");
}

function renderResult(data, { title, box, panel, heading }) {
  const tx = data.transaction;
  title.textContent = heading || (tx.status === "completed" ? M.sale_completed
    : fill(M.sale_reserved, { deadline: tx.payment_deadline ? dateTime(tx.payment_deadline) : "" }));
  panel.dataset.status = tx.status;
  box.replaceChildren();
  const summary = document.createElement("p");
  summary.className = "result-summary";
  summary.innerHTML = "<strong class='tx-ref'></strong> <span class='tx-total'></span>";
  summary.querySelector(".tx-ref").textContent = `#${tx.id}`;
  summary.querySelector(".tx-total").textContent = data.breakdown
    ? `${money(data.breakdown.amount_due_sale, tx.currency)} · ${money(data.breakdown.amount_due_ves, "VES")}`
    : money(tx.subtotal, tx.currency);
  box.append(summary);
  const payments = document.createElement("ul");
  payments.className = "items result-payments";
  for (const p of tx.payments) {
    const method = config.paymentMethods.find((m) => m.value === p.method);
    const label = method ? method.label : p.method;
    payments.append(itemRow(p.reference ? `${label} (${p.reference})` : label, "", money(p.amount, p.currency)));
  }
  box.append(payments);
  if (tx.status === "reserved") {
    // What the customer still owes and by when, on screen as on the printed receipt.
    const owed = document.createElement("dl");
    owed.className = "result-owed";
    owed.innerHTML = "<div><dt></dt><dd class='result-balance'></dd></div><div><dt></dt><dd class='result-deadline'></dd></div>";
    owed.querySelectorAll("dt")[0].textContent = M.balance_due;
    owed.querySelector(".result-balance").textContent = balanceText(tx.amounts_due || data.amounts_due, tx.currency);
    owed.querySelectorAll("dt")[1].textContent = M.pay_by;
    owed.querySelector(".result-deadline").textContent = tx.payment_deadline ? dateTime(tx.payment_deadline) : "";
    box.append(owed);
  }
  const printing = document.createElement("div");
  printing.className = "actions print-actions";
  const doc = documentOf(tx);
  if (doc) {
    printing.append(printButton(doc.kind === "invoice" ? M.print_document : M.print_receipt,
      `/api/fiscal/documents/${doc.id}/html/`, "btn document-link"));
  }
  box.append(printing);
  if (tx.tickets.length) {
    const tickets = document.createElement("ul");
    tickets.className = "tickets";
    for (const ticket of tx.tickets) {
      const li = document.createElement("li");
      li.className = "ticket";
      const img = document.createElement("img");
      img.src = `tickets/${ticket.id}/qr.svg`;
      img.alt = fill(M.qr_alt, { code: ticket.code });
      img.width = 96;
      img.height = 96;
      const text = document.createElement("div");
      text.innerHTML = "<strong></strong><code></code>";
      text.firstChild.textContent = fill(M.ticket, { label: ticket.label });
      text.lastChild.textContent = ticket.code;
      const print = printButton(fill(M.print_ticket, { label: ticket.label }),
        `/api/fiscal/tickets/${ticket.id}/html/`, "btn btn-small ticket-print");
      li.append(img, text, print);
      tickets.append(li);
    }
    box.append(tickets);
  }
  title.focus();
}

// --- Your holds on other terminals -----------------------------------------------------

// Seats shown as yours that this page does not hold: a hold of yours from another
// terminal or tab. Listed with "continue here" and "release".
function foreignOwnSeats() {
  const here = new Set((state.hold ? state.hold.items : [])
    .filter((item) => item.status === "active" && item.seat).map((item) => item.seat));
  return [...state.seats.values()].filter((s) => s.state === "reserved_by_me" && !here.has(s.id))
    .map((s) => s.id).sort((a, b) => a - b);
}

async function refreshMyHolds({ force = false } = {}) {
  if (!state.event || !config.canSell) return;
  const signature = `${state.event.id}:${foreignOwnSeats().join(",")}:${state.hold ? state.hold.id : ""}`;
  if (!force && signature === state.myHoldsSignature) return;
  state.myHoldsSignature = signature;
  const eventId = state.event.id;
  const list = await api("GET", `/api/transactions/?status=pending&mine=true&event=${eventId}&limit=20`)
    .catch(() => null);
  if (!list || !list.ok || !state.event || state.event.id !== eventId) return;
  const ids = (list.data.results || list.data).map((tx) => tx.id)
    .filter((id) => !state.hold || id !== state.hold.id);
  const holds = [];
  for (const id of ids) {
    const result = await api("GET", `/api/holds/${id}/`).catch(() => null);
    const data = result && result.ok ? result.data : null;
    if (data && data.status === "pending" && data.expires_at
        && Date.parse(data.expires_at) > Date.parse(data.server_time)
        && data.items.some((item) => item.status === "active")) holds.push(data);
  }
  state.myHolds = holds;
  renderMyHolds();
}

function renderMyHolds() {
  const panel = $("my-holds");
  const holds = state.mode === "result" ? [] : state.myHolds;
  panel.hidden = holds.length === 0;
  $("my-holds-list").replaceChildren(...holds.map((holdData) => {
    const li = document.createElement("li");
    li.className = "my-hold";
    li.dataset.holdId = holdData.id;
    const text = document.createElement("span");
    text.className = "item-label";
    const labels = holdData.items.filter((i) => i.status === "active")
      .map((i) => (i.seat ? i.label : `${i.label} × ${i.quantity}`)).join(", ");
    text.textContent = fill(M.my_hold, { id: holdData.id, items: labels,
      time: dateTime(holdData.expires_at) });
    const resume = document.createElement("button");
    resume.type = "button";
    resume.className = "btn btn-small resume-hold";
    resume.textContent = M.resume_hold;
    resume.disabled = Boolean(state.hold);
    resume.title = state.hold ? M.busy_hold : "";
    resume.addEventListener("click", () => resumeHold(holdData.id));
    const release = document.createElement("button");
    release.type = "button";
    release.className = "btn btn-small btn-danger release-other-hold";
    release.textContent = M.release_hold;
    release.addEventListener("click", () => releaseOtherHold(holdData.id));
    li.append(text, resume, release);
    return li;
  }));
}

async function resumeHold(id) {
  if (state.hold) { showMessage(M.busy_hold, "warning"); return; }
  const result = await api("GET", `/api/holds/${id}/`).catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (!result.ok || result.data.status !== "pending") { showMessage(errorText(result)); refreshMyHolds({ force: true }); return; }
  clearMessage();
  state.myHolds = state.myHolds.filter((h) => h.id !== id);
  state.selection.clear();
  state.gaQuantities.clear();
  setHold(result.data);
  renderMyHolds();
}

async function releaseOtherHold(id) {
  const result = await api("DELETE", `/api/holds/${id}/`).catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (!result.ok && result.status !== 410) { showMessage(errorText(result)); return; }
  state.myHolds = state.myHolds.filter((h) => h.id !== id);
  renderMyHolds();
  showMessage(M.released, "info");
  state.etag = null;
  poll();
}

// --- Reservations: find a partly paid sale, take its balance or cancel it -------------

function setView(view) {
  if (view === "reservations" && state.hold) { showMessage(M.busy_hold, "warning"); return; }
  clearMessage();
  state.view = view;
  document.body.dataset.view = view;
  document.querySelector("main.pos").hidden = view !== "sale";
  $("reservations-view").hidden = view !== "reservations";
  $("view-sale").setAttribute("aria-pressed", String(view === "sale"));
  $("view-reservations").setAttribute("aria-pressed", String(view === "reservations"));
  if (view === "reservations") {
    $("res-detail").hidden = true;
    $("res-result").hidden = true;
    searchReservations();
    $("res-q").focus();
  } else {
    state.etag = null;
    poll();
  }
}

async function searchReservations() {
  const q = $("res-q").value.trim();
  const params = new URLSearchParams({ status: "reserved", limit: "50" });
  if (q) params.set("q", q);
  const list = $("res-list");
  list.setAttribute("aria-busy", "true");
  const result = await api("GET", `/api/transactions/?${params}`).catch(() => null);
  list.setAttribute("aria-busy", "false");
  if (!result) { showMessage(M.network_down); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  const rows = result.data.results || result.data;
  $("res-empty").hidden = rows.length > 0;
  list.replaceChildren(...rows.map((tx) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "res-item";
    button.dataset.id = tx.id;
    const who = document.createElement("strong");
    who.textContent = `#${tx.id} · ${tx.customer_name || M.res_no_name}`;
    const detail = document.createElement("span");
    detail.className = "muted";
    const event = state.events.find((e) => e.id === tx.event);
    detail.textContent = [tx.customer_tax_id, event ? event.name : "",
      tx.payment_deadline ? `${M.pay_by}: ${dateTime(tx.payment_deadline)}` : ""]
      .filter(Boolean).join(" · ");
    button.append(who, detail);
    button.addEventListener("click", () => openReservation(tx.id));
    li.append(button);
    return li;
  }));
}

async function openReservation(id) {
  clearMessage();
  const result = await api("GET", `/api/transactions/${id}/`).catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  const tx = result.data;
  state.reservation = tx;
  $("res-result").hidden = true;
  $("res-detail").hidden = false;
  $("res-detail-title").textContent = fill(M.res_title, { id: tx.id });
  $("res-customer").textContent = [tx.customer_name || M.res_no_name, tx.customer_tax_id]
    .filter(Boolean).join(" · ");
  const event = state.events.find((e) => e.id === tx.event);
  $("res-event").textContent = event ? `${event.name} · ${dateTime(event.starts_at)}` : `#${tx.event}`;
  $("res-items").textContent = tx.items.filter((i) => i.status === "active")
    .map((i) => (i.seat ? i.label : `${i.label} × ${i.quantity}`)).join(", ");
  $("res-paid").textContent = pairText(tx.paid, tx.currency);
  // The balance in each currency it may be paid in, as the API settles it.
  const due = tx.amounts_due || {};
  $("res-balance").replaceChildren(...Object.entries(due).map(([code, amount]) => {
    const line = document.createElement("span");
    line.className = "res-balance-line";
    line.dataset.currency = code;
    line.textContent = fill(M.res_balance_in, { amount: money(amount, code), currency: code === "VES" ? "Bs." : code });
    return line;
  }));
  $("res-deadline").textContent = tx.payment_deadline ? dateTime(tx.payment_deadline) : "";
  state.resPayments = [newPayment(tx.currency)];
  state.resPayments[0].amount = due[tx.currency] || "";
  renderResPayments();
  $("res-detail-title").focus();
}

function resCurrencies() {
  const tx = state.reservation;
  return Object.keys(tx.amounts_due || { [tx.currency]: "" });
}

function renderResPayments() {
  $("res-payments").replaceChildren(...paymentRows(state.resPayments, resCurrencies(), {
    prefix: "res",
    rerender: renderResPayments,
    changed: renderResButton,
    currency: (index, old) => {
      const payment = state.resPayments[index];
      const due = resDueBesides(index);
      payment.amount = converted(payment.amount, due[old], due[payment.currency]);
      renderResPayments();
    },
    remove: (index) => { state.resPayments.splice(index, 1); renderResPayments(); },
  }));
  renderResButton();
}

// The share of the balance the payments settle: each amount over what settles all of it
// in its currency (`amounts_due`, IGTF included). The server decides at payment; this
// only names the button and fills amounts.
function resShare(payments) {
  const due = state.reservation.amounts_due || {};
  return validPayments(payments).reduce(
    (sum, p) => sum + (due[p.currency] ? Number(p.amount) / Number(due[p.currency]) : 0), 0);
}

function resDueBesides(index) {
  const due = state.reservation.amounts_due || {};
  const left = Math.max(0, 1 - resShare(state.resPayments.filter((_, i) => i !== index)));
  return Object.fromEntries(Object.entries(due).map(([code, amount]) =>
    [code, (Math.ceil(Number(amount) * left * 100 - 1e-6) / 100).toFixed(2)]));
}

function resPaysOff() {
  return resShare(state.resPayments) >= 1 - 1e-9;
}

function renderResButton() {
  const button = $("res-pay-btn");
  const unclear = paymentsUnclear(state.resPayments);
  button.textContent = unclear ? unclearText(state.resPayments)
    : (resPaysOff() ? M.res_pay_rest : M.res_pay_part);
  button.dataset.action = resPaysOff() ? "sale" : "reserve";
  button.disabled = unclear;
}

async function payReservation() {
  const tx = state.reservation;
  const payments = validPayments(state.resPayments);
  if (!payments.length || paymentsUnclear(state.resPayments)) return;
  const reserve = !resPaysOff();
  if (reserve) {
    const due = resDueBesides(-1);
    const answer = await confirmDialog({
      title: M.confirm_reserve_title,
      lines: [fill(M.confirm_balance, { amount: balanceText(due, tx.currency) }),
        fill(M.confirm_deadline, { deadline: dateTime(tx.payment_deadline) })],
      ok: M.confirm_reserve_ok,
    });
    if (!answer.ok) return;
  }
  $("res-pay-btn").disabled = true;
  const result = await api("POST", `/api/transactions/${tx.id}/payments/`, { payments, reserve })
    .catch(() => null);
  if (!result) { showMessage(M.network_down); renderResButton(); return; }
  if (!result.ok) { showMessage(errorText(result)); renderResButton(); return; }
  showResResult(result.data, result.data.transaction.status === "completed"
    ? fill(M.res_paid_off, { id: tx.id }) : fill(M.res_still_reserved, { id: tx.id }));
}

async function cancelReservation() {
  const tx = state.reservation;
  const answer = await confirmDialog({
    title: fill(M.res_cancel_title, { id: tx.id }),
    lines: [M.res_cancel_body],
    ok: M.res_cancel_ok,
    reason: M.res_cancel_reason,
  });
  if (!answer.ok || !answer.reason) return;
  const result = await api("POST", `/api/transactions/${tx.id}/cancel/`, { reason: answer.reason })
    .catch(() => null);
  if (!result) { showMessage(M.network_down); return; }
  if (!result.ok) { showMessage(errorText(result)); return; }
  showResResult(result.data, fill(M.res_cancelled, { id: tx.id }));
}

function showResResult(data, heading) {
  $("res-detail").hidden = true;
  $("res-result").hidden = false;
  renderResult(data, { title: $("res-result-title"), box: $("res-result-body"),
    panel: $("res-result"), heading });
  searchReservations();
}

// --- Modes -------------------------------------------------------------------------

function setMode(mode) {
  // A new step: what the last one said is stale ("The hold was extended." included).
  clearMessage();
  state.mode = mode;
  document.body.dataset.mode = mode;
  $("selection-panel").hidden = mode !== "select";
  // During checkout the quote shows the total: the held items give way to keep the
  // whole panel on a 1280×800 screen.
  $("hold-panel").hidden = mode !== "hold";
  $("checkout-panel").hidden = mode !== "checkout";
  $("result-panel").hidden = mode !== "result";
  $("checkout-btn").hidden = mode === "checkout";
  $("event-select").disabled = mode !== "select";
  if (mode !== "hold" && mode !== "checkout") $("countdown").hidden = true;
  $("view-reservations").disabled = mode === "hold" || mode === "checkout";
  renderSeats();
  renderZones();
  renderSelection();
  renderMyHolds();
}

// --- Start -------------------------------------------------------------------------

async function loadSettings() {
  const result = await api("GET", "/api/settings/");
  if (result.ok) state.settings = result.data;
}

function wire() {
  $("seat-map").addEventListener("click", onSeatClick);
  $("seat-map").addEventListener("keydown", onSeatKey);
  $("event-select").addEventListener("change", (event) => chooseEvent(event.target.value));
  if ($("hold-btn")) $("hold-btn").addEventListener("click", hold);
  $("clear-btn").addEventListener("click", () => {
    state.selection.clear();
    state.gaQuantities.clear();
    renderSeats();
    renderZones();
    renderSelection();
  });
  $("release-btn").addEventListener("click", releaseHold);
  $("extend-btn").addEventListener("click", extendHold);
  $("checkout-btn").addEventListener("click", startCheckout);
  $("back-btn").addEventListener("click", () => setMode("hold"));
  $("add-payment-btn").addEventListener("click", () => {
    state.payments.push(newPayment("VES"));
    renderPayments();
    fillBalance(state.payments.length - 1);
  });
  $("pay-rest-btn").addEventListener("click", () => fillBalance(state.payments.length - 1));
  $("pay-btn").addEventListener("click", checkout);
  $("new-sale-btn").addEventListener("click", () => { setMode("select"); poll(); });
  $("view-sale").addEventListener("click", () => setView("sale"));
  $("view-reservations").addEventListener("click", () => setView("reservations"));
  $("res-search").addEventListener("submit", (event) => { event.preventDefault(); searchReservations(); });
  $("res-add-payment-btn").addEventListener("click", () => {
    const payment = newPayment("VES");
    payment.amount = resDueBesides(state.resPayments.length).VES || "";
    state.resPayments.push(payment);
    renderResPayments();
  });
  $("res-pay-btn").addEventListener("click", payReservation);
  if ($("res-cancel-btn")) $("res-cancel-btn").addEventListener("click", cancelReservation);
  window.setInterval(tick, 250);
}

async function load() {
  try {
    await loadSettings();
    await loadEvents();
    await restoreHold();
    document.body.dataset.mode = state.mode;
    document.body.dataset.view = state.view;
    await refreshMyHolds({ force: true });
    document.body.dataset.ready = "true";
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    window.setTimeout(load, config.pollMs);
  }
}

wire();
load();
