// Hearth web companion: pairing, rooms and devices with live state over the
// WebSocket event stream, a text box for commands, the live pipeline, history
// and routines with a day timeline. Plain JS, no build step. Everything from
// the hub is put in the page with textContent, never as HTML.
"use strict";

const TOKEN_KEY = "hearth.token";
const state = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  devices: new Map(),   // id -> device JSON
  ws: null,
  wsRetryMs: 1000,
  historyCursor: null,
  pipeline: [],         // recent pipeline events, newest first
};

const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// ---------------------------------------------------------------- API calls

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (resp.status === 401) {
    forgetToken("This device is no longer paired (token unknown, expired or revoked).");
  }
  if (!resp.ok) {
    const msg = data && data.error ? data.error.message : "HTTP " + resp.status;
    const err = new Error(msg);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function forgetToken(message) {
  state.token = "";
  localStorage.removeItem(TOKEN_KEY);
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  setStatus("off", "offline");
  showPair(message || "");
}

// ------------------------------------------------------------------ pairing

function showPair(message) {
  $("main-view").hidden = true;
  $("pair-view").hidden = false;
  $("pair-error").textContent = message || "";
}

async function onPair(ev) {
  ev.preventDefault();
  const code = $("pair-code").value.trim();
  const name = $("pair-name").value.trim();
  $("pair-error").textContent = "";
  $("pair-submit").disabled = true;
  try {
    const resp = await fetch("/api/v1/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code, name }),
    });
    const data = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error(data && data.error ? data.error.message : "HTTP " + resp.status);
    state.token = data.token;
    localStorage.setItem(TOKEN_KEY, data.token);
    $("pair-code").value = "";
    await start();
  } catch (e) {
    $("pair-error").textContent = "Pairing failed: " + e.message;
  } finally {
    $("pair-submit").disabled = false;
  }
}

// ------------------------------------------------------------ rooms/devices

function isOnOff(d) { return (d.capabilities || []).includes("on_off"); }

function attrSummary(d) {
  const a = d.attributes || {};
  const parts = [];
  if (a.brightness !== undefined) parts.push(a.brightness + "%");
  if (a.temperature !== undefined) parts.push(a.temperature + "°");
  if (a.current_temperature !== undefined) parts.push(a.current_temperature + "°");
  if (a.position !== undefined) parts.push(a.position + "% open");
  return parts.join(" · ");
}

function renderDevice(d) {
  let card = document.querySelector('[data-device-id="' + CSS.escape(d.id) + '"]');
  if (!card) {
    card = el("div", "device");
    card.dataset.deviceId = d.id;
    card.append(el("span", "name", d.name), el("span", "attrs"), el("span", "state"));
    if (isOnOff(d)) {
      const b = el("button", "toggle", "");
      b.type = "button";
      b.addEventListener("click", () => toggleDevice(d.id));
      card.append(b);
    }
  }
  card.dataset.state = d.state;
  card.querySelector(".state").textContent = d.state;
  card.querySelector(".attrs").textContent = attrSummary(d);
  const b = card.querySelector(".toggle");
  if (b) {
    b.textContent = d.state === "on" ? "Turn off" : "Turn on";
    b.setAttribute("aria-pressed", d.state === "on" ? "true" : "false");
  }
  return card;
}

async function loadHome() {
  const [areas, devices] = await Promise.all([api("GET", "/api/v1/areas"), api("GET", "/api/v1/devices")]);
  state.devices.clear();
  for (const d of devices.devices) state.devices.set(d.id, d);
  const rooms = $("rooms");
  rooms.replaceChildren();
  for (const area of areas.areas) {
    if (!area.devices.length) continue;
    const room = el("div", "card room");
    room.append(el("h2", null, area.name));
    const grid = el("div", "devices");
    for (const id of area.devices) {
      const d = state.devices.get(id);
      if (d) grid.append(renderDevice(d));
    }
    room.append(grid);
    rooms.append(room);
  }
}

async function toggleDevice(id) {
  const d = state.devices.get(id);
  if (!d) return;
  const action = d.state === "on" ? "turn_off" : "turn_on";
  const card = document.querySelector('[data-device-id="' + CSS.escape(id) + '"]');
  if (card) card.classList.add("busy");
  try {
    // The new state arrives over the WebSocket (state_changed); the reply is
    // only checked for errors, so the page shows what the hub saw.
    await api("POST", "/api/v1/devices/" + encodeURIComponent(id) + "/actions", { action, origin: "app" });
  } catch (e) {
    alert("Could not " + action.replace("_", " ") + " " + d.name + ": " + e.message);
  } finally {
    if (card) card.classList.remove("busy");
  }
}

function onStateChanged(data) {
  const d = state.devices.get(data.device);
  if (!d) return;
  if (data.attribute === "state") {
    d.state = data.new;
  } else {
    d.attributes = d.attributes || {};
    const n = Number(data.new);
    d.attributes[data.attribute] = Number.isFinite(n) && data.new !== "" ? n : data.new;
  }
  renderDevice(d);
}

// --------------------------------------------------------------- live events

function setStatus(cls, text) {
  const s = $("ws-status");
  s.className = "pill " + cls;
  s.textContent = text;
}

function connectEvents() {
  if (!state.token) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/api/v1/events");
  state.ws = ws;
  setStatus("wait", "connecting");
  ws.onmessage = (msg) => {
    let m;
    try { m = JSON.parse(msg.data); } catch (e) { return; }
    if (m.type === "auth_required") {
      ws.send(JSON.stringify({ type: "auth", access_token: state.token }));
    } else if (m.type === "auth_ok") {
      state.wsRetryMs = 1000;
      ws.send(JSON.stringify({ type: "subscribe" }));
      setStatus("on", "live");
    } else if (m.type === "auth_invalid") {
      ws.onclose = null;
      forgetToken("The hub refused this device's token: " + (m.message || ""));
    } else if (m.type === "event") {
      onEvent(m.event);
    }
  };
  ws.onclose = () => {
    state.ws = null;
    setStatus("off", "offline");
    setTimeout(connectEvents, state.wsRetryMs);
    state.wsRetryMs = Math.min(state.wsRetryMs * 2, 30000);
  };
}

const PIPELINE_TYPES = ["wake", "transcript_partial", "transcript", "intent", "action"];

function onEvent(ev) {
  if (ev.type === "state_changed") onStateChanged(ev.data);
  if (PIPELINE_TYPES.includes(ev.type)) addPipeline(ev);
  if (ev.type === "suggestion" || ev.type === "routine") loadRoutines().catch(() => {});
}

function pipelineText(ev) {
  const d = ev.data || {};
  switch (ev.type) {
    case "wake": return "wake word" + (d.keyword ? " “" + d.keyword + "”" : "") + (d.score !== undefined ? " (" + Number(d.score).toFixed(2) + ")" : "");
    case "transcript_partial": return "hearing: " + (d.text || "");
    case "transcript": return "heard: “" + (d.text || "") + "”";
    case "intent": return "intent: " + (d.intent && d.intent.name ? d.intent.name : d.intent || "not understood");
    case "action": return (d.action || "action") + " " + (d.device || "") + (d.ok === false ? " failed" : " ✓");
    default: return ev.type;
  }
}

function addPipeline(ev) {
  const list = $("pipeline");
  // A wake word starts a new utterance: timings are relative to it.
  if (ev.type === "wake" || !state.pipelineStart) state.pipelineStart = ev.time_ms;
  const li = el("li", "stage " + ev.type);
  const dt = ev.time_ms - state.pipelineStart;
  li.append(el("span", "t", "+" + dt + " ms"), el("span", "what", pipelineText(ev)));
  if (ev.data && ev.data.latency_ms !== undefined) li.append(el("span", "lat", Number(ev.data.latency_ms).toFixed(1) + " ms"));
  list.prepend(li);
  while (list.children.length > 40) list.lastChild.remove();
}

// ---------------------------------------------------------------- talk box

async function onTalk(ev) {
  ev.preventDefault();
  const text = $("talk-text").value.trim();
  if (!text) return;
  $("talk-reply").textContent = "…";
  try {
    const r = await api("POST", "/api/v1/command", { text, origin: "app" });
    $("talk-reply").textContent = r.response + " (" + Number(r.latency_ms).toFixed(0) + " ms)";
    $("talk-text").value = "";
  } catch (e) {
    $("talk-reply").textContent = "Error: " + e.message;
  }
}

// ----------------------------------------------------------------- history

function historyLine(item) {
  const t = new Date(item.time_ms).toLocaleString();
  if (item.type === "command") return [t, "“" + item.text + "” → " + (item.response || (item.ok ? "ok" : "failed"))];
  if (item.kind === "action") return [t, item.attribute + " " + item.device_id + " (" + item.origin + ", " + item.result + ")"];
  return [t, item.device_id + " " + item.attribute + ": " + item.old_value + " → " + item.new_value];
}

async function loadHistory(more) {
  const q = "/api/v1/history?limit=30" + (more && state.historyCursor ? "&before=" + encodeURIComponent(state.historyCursor) : "");
  const page = await api("GET", q);
  const list = $("history");
  if (!more) list.replaceChildren();
  for (const item of page.items) {
    const [t, what] = historyLine(item);
    const li = el("li");
    li.append(el("span", "t", t), el("span", "what", what));
    list.append(li);
  }
  state.historyCursor = page.next_before;
  $("history-more").hidden = !page.next_before;
}

// ---------------------------------------------------------------- routines
//
// The day timeline: one row per routine and per suggestion on a 00:00–24:00
// axis. A time routine gets a marker at its (learned) time and a band of ±
// its spread (consistency_min, the circular standard deviation the miner
// measured); an event or state habit gets a band for the time window in
// which its trigger counts. Bands that cross midnight are drawn as two
// pieces. Colour tells the days (every day / weekdays / weekends / other),
// filled markers are routines, hollow ones suggestions; the seven dots at
// the right of a row are Monday..Sunday (filled: the routine's days; their
// strength: how many evidence days fell on that weekday).

const DAY_MIN = 1440;
const WEEKDAYS_MASK = 0x1f, WEEKEND_MASK = 0x60, EVERY_DAY_MASK = 0x7f;
const DAY_LETTERS = ["M", "T", "W", "T", "F", "S", "S"];
const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const TL = { x0: 14, x1: 346, axisY: 22, rowH: 34, top: 34 };
const xOfMinute = (min) => TL.x0 + (TL.x1 - TL.x0) * (min / DAY_MIN);

function minutesOf(hhmm) {
  const m = /^(\d{1,2}):(\d{2})/.exec(hhmm || "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function hhmmOf(min) {
  const m = ((Math.round(min) % DAY_MIN) + DAY_MIN) % DAY_MIN;
  return String(Math.floor(m / 60)).padStart(2, "0") + ":" + String(m % 60).padStart(2, "0");
}

// Weekday (0 = Monday) of a "YYYY-MM-DD" date.
function weekdayOf(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
  if (!m) return null;
  return (new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay() + 6) % 7;
}

// What the plot needs from a routine or suggestion (same JSON shape; see
// routines_json.cc): kind, time or window, spread, days, evidence.
function habitOf(item, isSuggestion) {
  const t = item.trigger || {};
  const kind = item.kind || "time";
  const h = {
    id: item.id,
    suggestion: isSuggestion,
    name: item.name || "habit",
    kind,
    enabled: item.enabled !== false,
    minute: null,          // time routines: the trigger time
    windows: [],           // [from, to) minute ranges, already split at midnight
    spread: Number(item.consistency_min) || 0,
    drift: Number(item.drift_min_per_week) || 0,
    daysMask: 0,
    evidence: [0, 0, 0, 0, 0, 0, 0],
    nEvidence: 0,
  };
  for (const d of item.evidence_dates || []) {
    const w = weekdayOf(d);
    if (w !== null) { h.evidence[w]++; h.nEvidence++; }
  }
  if (kind === "time") {
    h.minute = Number.isInteger(t.time_min) ? t.time_min : minutesOf(t.time);
    h.daysMask = Number.isInteger(t.days_mask) ? t.days_mask : EVERY_DAY_MASK;
    if (h.minute !== null && h.spread > 0) {
      const s = Math.min(h.spread, DAY_MIN / 2);
      h.windows = splitRange(h.minute - s, h.minute + s);
    }
  } else {
    const a = minutesOf(t.after), b = minutesOf(t.before);
    if (a !== null && b !== null) h.windows = a === b ? [[0, DAY_MIN]] : splitRange(a, b < a ? b + DAY_MIN : b);
    // Event habits have no day filter: their days are the evidence's.
    h.daysMask = h.evidence.reduce((m, n, i) => (n ? m | (1 << i) : m), 0) || EVERY_DAY_MASK;
  }
  return h;
}

// [from, to) in minutes, possibly outside 0..1440, as pieces inside the day.
function splitRange(from, to) {
  const out = [];
  if (to - from >= DAY_MIN) return [[0, DAY_MIN]];
  let a = ((from % DAY_MIN) + DAY_MIN) % DAY_MIN;
  let b = a + (to - from);
  if (b > DAY_MIN) {
    out.push([a, DAY_MIN]);
    out.push([0, b - DAY_MIN]);
  } else {
    out.push([a, b]);
  }
  return out;
}

function daysText(mask) {
  if (mask === EVERY_DAY_MASK) return "every day";
  if (mask === WEEKDAYS_MASK) return "weekdays";
  if (mask === WEEKEND_MASK) return "weekends";
  return DAY_NAMES.filter((_, i) => mask & (1 << i)).join(", ");
}

function daysColour(mask) {
  if (mask === EVERY_DAY_MASK) return "#e8743b";   // accent
  if (mask === WEEKDAYS_MASK) return "#2e5e8b";
  if (mask === WEEKEND_MASK) return "#2e8b57";
  return "#8a4fa3";
}

function habitSummary(h) {
  const parts = [h.name, h.suggestion ? "suggested habit" : "routine" + (h.enabled ? "" : " (off)")];
  if (h.minute !== null) {
    parts.push((h.suggestion ? "around " : "at ") + hhmmOf(h.minute) + (h.spread >= 1 ? " ± " + Math.round(h.spread) + " min" : ""));
  } else if (h.windows.length) {
    const w = h.windows;
    parts.push("after its trigger between " + hhmmOf(w[0][0]) + " and " + hhmmOf(w[w.length - 1][1]));
  }
  parts.push(daysText(h.daysMask));
  if (Math.abs(h.drift) >= 1) parts.push((h.drift > 0 ? "later" : "earlier") + " by " + Math.abs(h.drift).toFixed(0) + " min a week");
  if (h.nEvidence) parts.push(h.nEvidence + " day" + (h.nEvidence === 1 ? "" : "s") + " of evidence");
  return parts.join(", ");
}

function drawTimeline(routines, suggestions) {
  const svg = $("timeline");
  const NS = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const byTime = (a, b) => (a.minute ?? (a.windows[0] || [0])[0]) - (b.minute ?? (b.windows[0] || [0])[0]);
  const habits = [
    ...routines.map((r) => habitOf(r, false)).sort(byTime),
    ...suggestions.map((s) => habitOf(s, true)).sort(byTime),
  ];
  const rowsEnd = TL.top + Math.max(habits.length, 1) * TL.rowH;
  const height = rowsEnd + 22;
  svg.setAttribute("viewBox", "0 0 360 " + height);
  svg.replaceChildren();
  const nR = routines.length, nS = suggestions.length;
  const label = "Day timeline: " + nR + " routine" + (nR === 1 ? "" : "s") + " and " + nS + " suggested habit" +
    (nS === 1 ? "" : "s") + " on a 24-hour axis";
  svg.setAttribute("aria-label", label);
  svg.append(mk("title", {}, label));

  // Axis: a tick every hour, a label every 6 hours, faint night shading.
  const axis = mk("g", { class: "tl-axis", "data-x0": TL.x0, "data-x1": TL.x1 });
  for (const [a, b] of [[0, 360], [1320, DAY_MIN]]) {
    axis.append(mk("rect", { x: xOfMinute(a), y: TL.axisY, width: xOfMinute(b) - xOfMinute(a), height: rowsEnd - TL.axisY, fill: "#1f2a36", opacity: 0.05 }));
  }
  axis.append(mk("line", { class: "tl-base", x1: TL.x0, x2: TL.x1, y1: TL.axisY, y2: TL.axisY, stroke: "#8a8072" }));
  for (let h = 0; h <= 24; h++) {
    const x = xOfMinute(h * 60), major = h % 6 === 0;
    axis.append(mk("line", { class: "tl-tick", "data-hour": h, x1: x, x2: x, y1: TL.axisY - (major ? 6 : 3), y2: TL.axisY, stroke: "#8a8072" }));
    if (major) {
      axis.append(mk("line", { x1: x, x2: x, y1: TL.axisY, y2: rowsEnd, stroke: "#d9d2c7", "stroke-dasharray": "2 3" }));
      axis.append(mk("text", { x, y: TL.axisY - 9, "text-anchor": h === 0 ? "start" : h === 24 ? "end" : "middle", "font-size": 9, fill: "#5c544a" },
        String(h).padStart(2, "0") + ":00"));
    }
  }
  svg.append(axis);
  // Key: the day colours, routine vs suggestion.
  const key = mk("g", { class: "tl-key", "font-size": 8, fill: "#5c544a" });
  let kx = TL.x0;
  const ky = rowsEnd + 12;
  for (const [mask, text] of [[EVERY_DAY_MASK, "every day"], [WEEKDAYS_MASK, "weekdays"], [WEEKEND_MASK, "weekends"], [0, "other days"]]) {
    key.append(mk("rect", { x: kx, y: ky - 6, width: 10, height: 7, rx: 2, fill: daysColour(mask), "fill-opacity": 0.5 }));
    key.append(mk("text", { x: kx + 13, y: ky }, text));
    kx += 20 + text.length * 4.3;
  }
  key.append(mk("circle", { cx: kx + 4, cy: ky - 3, r: 3.5, fill: "#5c544a" }));
  key.append(mk("text", { x: kx + 10, y: ky }, "routine"));
  kx += 44;
  key.append(mk("circle", { cx: kx + 4, cy: ky - 3, r: 3.5, fill: "#fff", stroke: "#5c544a", "stroke-width": 1.5 }));
  key.append(mk("text", { x: kx + 10, y: ky }, "suggestion"));
  svg.append(key);

  if (!habits.length) {
    svg.append(mk("text", { x: 180, y: TL.top + 16, "text-anchor": "middle", "font-size": 11, fill: "#6b6358" }, "No routines or suggestions yet."));
    return;
  }
  habits.forEach((h, i) => {
    const y = TL.top + i * TL.rowH;      // row top
    const ty = y + 22;                   // track line
    const colour = daysColour(h.daysMask);
    const summary = habitSummary(h);
    const g = mk("g", {
      class: "tl-row", "data-kind": h.suggestion ? "suggestion" : "routine", "data-id": h.id ?? "",
      "data-habit-kind": h.kind, opacity: h.enabled ? 1 : 0.45, "aria-label": summary,
    });
    g.append(mk("title", {}, summary));
    g.append(mk("text", { x: TL.x0, y: y + 9, "font-size": 10, "font-weight": h.suggestion ? 400 : 600, fill: "#1f2a36" },
      (h.name.length > 30 ? h.name.slice(0, 29) + "…" : h.name) + (h.minute !== null ? " · " + hhmmOf(h.minute) : "")));
    // Days (Mon..Sun): filled = the habit's days, strength = evidence days.
    const maxEv = Math.max(...h.evidence);
    for (let d = 0; d < 7; d++) {
      const on = (h.daysMask >> d) & 1;
      const strength = maxEv > 0 ? 0.25 + 0.75 * (h.evidence[d] / maxEv) : 1;
      const cx = TL.x1 - (6 - d) * 8.5 - 5;
      const dot = mk("circle", { class: "tl-day", "data-day": d, cx, cy: y + 6, r: 2.8,
        fill: on ? colour : "none", "fill-opacity": on ? strength : 0, stroke: on ? colour : "#b8b0a4", "stroke-width": 0.8 });
      dot.append(mk("title", {}, DAY_NAMES[d] + (h.nEvidence ? ": " + h.evidence[d] + " evidence day" + (h.evidence[d] === 1 ? "" : "s") : "")));
      g.append(dot);
      if (d === 0 || d === 5) g.append(mk("text", { x: cx, y: y + 16, "text-anchor": "middle", "font-size": 6, fill: "#8a8072" }, DAY_LETTERS[d]));
    }
    g.append(mk("line", { x1: TL.x0, x2: TL.x1, y1: ty, y2: ty, stroke: "#ece6dc", "stroke-width": 2 }));
    for (const [a, b] of h.windows) {
      g.append(mk("rect", { class: "tl-band", "data-from": a, "data-to": b, x: xOfMinute(a), y: ty - 5,
        width: Math.max(xOfMinute(b) - xOfMinute(a), 1), height: 10, rx: 3, fill: colour,
        "fill-opacity": h.kind === "time" ? 0.28 : 0.16, stroke: h.kind === "time" ? "none" : colour,
        "stroke-dasharray": "3 2", "stroke-width": 0.8 }));
    }
    if (h.minute !== null) {
      g.append(mk("circle", { class: "tl-marker", "data-minute": h.minute, cx: xOfMinute(h.minute), cy: ty, r: 4.5,
        fill: h.suggestion ? "#fff" : colour, stroke: colour, "stroke-width": 2 }));
    }
    svg.append(g);
  });
}

function habitWhen(h) {
  if (h.minute !== null) return hhmmOf(h.minute);
  if (h.windows.length) return hhmmOf(h.windows[0][0]) + "–" + hhmmOf(h.windows[h.windows.length - 1][1]);
  return "";
}

async function loadRoutines() {
  let routines = [], suggestions = [];
  try {
    routines = (await api("GET", "/api/v1/routines")).routines || [];
    suggestions = (await api("GET", "/api/v1/suggestions")).suggestions || [];
  } catch (e) {
    $("routines").replaceChildren(el("li", "hint", "Routines unavailable: " + e.message));
    return;
  }
  const rl = $("routines");
  rl.replaceChildren();
  for (const r of routines) {
    const h = habitOf(r, false);
    const li = el("li");
    li.append(el("span", "t", habitWhen(h)), el("span", "what", r.name + " · " + daysText(h.daysMask) + (r.enabled === false ? " (off)" : "")));
    rl.append(li);
  }
  if (!routines.length) rl.append(el("li", "hint", "No routines yet."));
  const sl = $("suggestions");
  sl.replaceChildren();
  for (const s of suggestions) {
    const h = habitOf(s, true);
    const li = el("li");
    li.append(el("span", "t", habitWhen(h)), el("span", "what", h.name + " · " + daysText(h.daysMask)));
    const accept = el("button", "secondary", "Accept");
    accept.addEventListener("click", async () => {
      try { await api("POST", "/api/v1/suggestions/" + s.id + "/accept", {}); } catch (e) { alert(e.message); }
      loadRoutines();
    });
    li.append(accept);
    sl.append(li);
  }
  if (!suggestions.length) sl.append(el("li", "hint", "No suggestions right now."));
  drawTimeline(routines, suggestions);
}

// -------------------------------------------------------------------- shell

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== "tab-" + name;
  if (name === "history") loadHistory(false).catch((e) => alert(e.message));
  if (name === "routines") loadRoutines();
}

async function start() {
  if (!state.token) { showPair(""); return; }
  try {
    const me = await api("GET", "/api/v1/me");
    $("whoami").textContent = "Paired as " + me.name + " (" + me.scope + ")";
  } catch (e) {
    if (e.status === 401) return;  // forgetToken already showed the pair view
    showPair("Cannot reach the hub: " + e.message);
    return;
  }
  $("pair-view").hidden = true;
  $("main-view").hidden = false;
  await loadHome();
  if (!state.ws) connectEvents();
}

document.addEventListener("DOMContentLoaded", () => {
  $("pair-form").addEventListener("submit", onPair);
  $("talk-form").addEventListener("submit", onTalk);
  $("history-more").addEventListener("click", () => loadHistory(true));
  $("unpair").addEventListener("click", () => forgetToken("Unpaired."));
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  start();
});
