// The POS page: seat map, hold with countdown, checkout. Every decision (what can be
// held, prices, taxes, expiry) is the API's; this module only shows it and sends clicks.
// Time is always the server's: the countdown runs on Date.now() + the offset measured
// from each response's server_time, so a wrong terminal clock changes nothing.

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
    state.pollTimer = window.setTimeout(poll, delay);
  }
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
  if (taken.length) showMessage(fill(M.taken_while_choosing, { seats: taken.join(", ") }), "warning");
}

// --- Seat map ----------------------------------------------------------------------

function seatDisplayState(seat) {
  if (seat.state === "available" && state.selection.has(seat.id)) return "selected";
  return seat.state;
}

const GLYPHS = { available: "", selected: "✓", reserved_by_me: "★", reserved: "◔", sold: "✕" };

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
    button.setAttribute("aria-label", fill(M.seat_aria, { label: seat.label, state: M[`state_${shown}`] }));
    button.setAttribute("aria-pressed", String(shown === "selected"));
    const selectable = seat.state === "available" && state.mode === "select" && config.canSell;
    button.setAttribute("aria-disabled", String(!selectable));
    button.lastChild.textContent = GLYPHS[shown];
  }
}

function onSeatClick(event) {
  const button = event.target.closest("button.seat");
  if (!button) return;
  focusSeat(button);
  const seat = state.seats.get(Number(button.dataset.seatId));
  if (!config.canSell || state.mode !== "select") return;
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
  state.payments = [{ method: "cash", currency: state.event.currency, amount: "" }];
  renderPayments();
  fillBalance(0);
}

function renderPayments() {
  const box = $("payments");
  const rows = state.payments.map((payment, index) => {
    const row = document.createElement("div");
    row.className = "payment-row";
    const method = document.createElement("select");
    method.setAttribute("aria-label", fill(M.pay_method, { n: index + 1 }));
    method.className = "pay-method";
    for (const option of config.paymentMethods) method.add(new Option(option.label, option.value));
    method.value = payment.method;
    const rule = methodRule(payment.method);
    method.addEventListener("change", () => {
      payment.method = method.value;
      // Offer only the currencies the method takes (sales.models.PAYMENT_CURRENCIES).
      const allowed = currencies().filter((code) => methodRule(payment.method).currencies.includes(code));
      if (!allowed.includes(payment.currency)) payment.currency = allowed[0] || payment.currency;
      renderPayments();
      requestQuote();
    });
    const currency = document.createElement("select");
    currency.className = "pay-currency";
    currency.setAttribute("aria-label", fill(M.pay_currency, { n: index + 1 }));
    for (const code of currencies()) {
      if (rule.currencies.includes(code)) currency.add(new Option(code === "VES" ? "Bs." : code, code));
    }
    currency.value = payment.currency;
    currency.addEventListener("change", () => { payment.currency = currency.value; requestQuote(); });
    const amount = document.createElement("input");
    amount.type = "text";
    amount.inputMode = "decimal";
    amount.className = "pay-amount";
    amount.value = payment.amount;
    amount.setAttribute("aria-label", fill(M.pay_amount, { n: index + 1 }));
    amount.addEventListener("input", () => { payment.amount = amount.value.replace(",", "."); requestQuote(); });
    row.append(method, currency, amount);
    if (rule.reference) {
      const reference = document.createElement("input");
      reference.type = "text";
      reference.className = "pay-reference";
      reference.maxLength = 40;
      reference.value = payment.reference || "";
      reference.placeholder = M.reference;
      reference.setAttribute("aria-label", fill(M.pay_reference, { n: index + 1 }));
      reference.addEventListener("input", () => {
        payment.reference = reference.value;
        if (state.quote) renderQuote();
      });
      row.append(reference);
    }
    if (state.payments.length > 1) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-icon";
      remove.textContent = "×";
      remove.setAttribute("aria-label", M.remove);
      remove.addEventListener("click", () => { state.payments.splice(index, 1); renderPayments(); requestQuote(); });
      row.append(remove);
    }
    return row;
  });
  box.replaceChildren(...rows);
}

function methodRule(value) {
  return config.paymentMethods.find((m) => m.value === value) || { currencies: [], reference: false };
}

function validPayments(payments = state.payments) {
  return payments
    .filter((p) => /^\d+(\.\d{1,2})?$/.test(p.amount.trim()) && Number(p.amount) > 0)
    .map((p) => ({ method: p.method, currency: p.currency, amount: Number(p.amount).toFixed(2),
      reference: (p.reference || "").trim() }));
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

// What the payment must be to settle the sale given the others: the server's
// `amounts_due` (IGTF and the rounding that makes it settle are decided there, once).
async function fillBalance(index) {
  const payment = state.payments[index];
  const others = validPayments(state.payments.filter((_, i) => i !== index));
  const result = await api("POST", `/api/holds/${state.hold.id}/quote/`, { payments: others })
    .catch(() => null);
  if (result && result.ok && result.data.amounts_due) {
    payment.amount = result.data.amounts_due[payment.currency] || "";
    renderPayments();
  }
  await quote();
}

function renderQuote() {
  const q = state.quote;
  const sale = q.sale_currency;
  const both = (ves, saleAmount) => (sale === "VES" ? money(ves, "VES")
    : `${money(saleAmount, sale)} · ${money(ves, "VES")}`);
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
  const pay = $("pay-btn");
  pay.textContent = q.paid_in_full ? M.pay : M.pay_partial;
  pay.disabled = validPayments().length === 0 || missingReference();
}

// Pago móvil, transfer and Zelle are taken with their bank reference (checkout refuses
// them without one).
function missingReference() {
  return state.payments.some((p) => methodRule(p.method).reference && !(p.reference || "").trim());
}

async function checkout() {
  const payments = validPayments();
  if (!payments.length) return;
  $("pay-btn").disabled = true;
  const customer = { name: $("customer-name").value.trim(), tax_id: $("customer-tax-id").value.trim() };
  // A balance left is a reservation the cashier chose (the button says so).
  const body = { payments, reserve: Boolean(state.quote && !state.quote.paid_in_full) };
  if (customer.name || customer.tax_id) body.customer = customer;
  const result = await api("POST", `/api/holds/${state.hold.id}/checkout/`, body).catch(() => null);
  if (!result) { showMessage(M.network_down); $("pay-btn").disabled = false; return; }
  if (result.status === 410) { expire(); return; }
  if (!result.ok) { showMessage(errorText(result)); $("pay-btn").disabled = false; return; }
  clearMessage();
  forgetHold();
  setMode("result");
  renderResult(result.data);
  state.etag = null;
  poll();
}

// The invoice of a completed sale, else the latest receipt of a partly paid one.
function documentId(tx) {
  const doc = tx.invoice ?? (tx.documents || []).at(-1);
  return doc ? doc.id : null;
}

function renderResult(data) {
  const tx = data.transaction;
  const title = $("result-title");
  title.textContent = tx.status === "completed" ? M.sale_completed
    : fill(M.sale_reserved, { deadline: tx.payment_deadline ? dateTime(tx.payment_deadline) : "" });
  $("result-panel").dataset.status = tx.status;
  const box = $("result");
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
    payments.append(itemRow(method ? method.label : p.method, "", money(p.amount, p.currency)));
  }
  box.append(payments);
  const docId = documentId(tx);
  if (docId) {
    const link = document.createElement("a");
    link.href = `/api/fiscal/documents/${docId}/html/`;
    link.target = "_blank";
    link.rel = "noopener";
    link.className = "btn document-link";
    link.textContent = M.document;
    box.append(link);
  }
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
      li.append(img, text);
      tickets.append(li);
    }
    box.append(tickets);
  }
  title.focus();
}

// --- Modes -------------------------------------------------------------------------

function setMode(mode) {
  state.mode = mode;
  $("selection-panel").hidden = mode !== "select";
  // During checkout the quote shows the total: the held items give way to keep the
  // whole panel on a 1280×800 screen.
  $("hold-panel").hidden = mode !== "hold";
  $("checkout-panel").hidden = mode !== "checkout";
  $("result-panel").hidden = mode !== "result";
  $("checkout-btn").hidden = mode === "checkout";
  $("event-select").disabled = mode !== "select";
  if (mode !== "hold" && mode !== "checkout") $("countdown").hidden = true;
  renderSeats();
  renderZones();
  renderSelection();
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
    state.payments.push({ method: "cash", currency: "VES", amount: "" });
    renderPayments();
    fillBalance(state.payments.length - 1);
  });
  $("pay-rest-btn").addEventListener("click", () => fillBalance(state.payments.length - 1));
  $("pay-btn").addEventListener("click", checkout);
  $("new-sale-btn").addEventListener("click", () => { clearMessage(); setMode("select"); poll(); });
  window.setInterval(tick, 250);
}

async function load() {
  try {
    await loadSettings();
    await loadEvents();
    await restoreHold();
    document.body.dataset.ready = "true";
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    window.setTimeout(load, config.pollMs);
  }
}

wire();
load();
