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

function minutesOf(hhmm) {
  const m = /^(\d{1,2}):(\d{2})/.exec(hhmm || "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function suggestionMinutes(s) {
  if (s.time) return minutesOf(s.time);
  if (s.routine && s.routine.time) return minutesOf(s.routine.time);
  if (s.minute_of_day !== undefined) return Number(s.minute_of_day);
  return null;
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
  svg.replaceChildren();
  const x0 = 12, x1 = 348, y = 60;
  const xOf = (min) => x0 + (x1 - x0) * (min / 1440);
  svg.append(mk("rect", { x: x0, y: y - 2, width: x1 - x0, height: 4, rx: 2, fill: "#d9d2c7" }));
  for (let h = 0; h <= 24; h += 6) {
    svg.append(mk("line", { x1: xOf(h * 60), x2: xOf(h * 60), y1: y - 8, y2: y + 8, stroke: "#8a8072" }));
    svg.append(mk("text", { x: xOf(h * 60), y: y + 24, "text-anchor": "middle", "font-size": 10, fill: "#5c544a" }, h + ":00"));
  }
  let lane = 0;
  const place = (min, label, filled) => {
    if (min === null) return;
    const up = lane++ % 2 === 0;
    const cy = up ? y - 18 : y + 40;
    svg.append(mk("line", { x1: xOf(min), x2: xOf(min), y1: y, y2: cy, stroke: filled ? "#e8743b" : "#1f2a36", "stroke-width": 1 }));
    svg.append(mk("circle", { cx: xOf(min), cy: y, r: 5, fill: filled ? "#e8743b" : "#fff", stroke: filled ? "#e8743b" : "#1f2a36", "stroke-width": 2 }));
    svg.append(mk("text", { x: xOf(min), y: up ? cy - 3 : cy + 10, "text-anchor": "middle", "font-size": 9, fill: "#1f2a36" }, label.slice(0, 22)));
  };
  for (const r of routines) place(minutesOf(r.time), r.name, true);
  for (const s of suggestions) place(suggestionMinutes(s), s.name || (s.routine && s.routine.name) || "habit", false);
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
    const li = el("li");
    li.append(el("span", "t", r.time), el("span", "what", r.name + (r.enabled === false ? " (off)" : "")));
    rl.append(li);
  }
  if (!routines.length) rl.append(el("li", "hint", "No routines yet."));
  const sl = $("suggestions");
  sl.replaceChildren();
  for (const s of suggestions) {
    const li = el("li");
    const min = suggestionMinutes(s);
    const when = min === null ? "" : String(Math.floor(min / 60)).padStart(2, "0") + ":" + String(min % 60).padStart(2, "0");
    li.append(el("span", "t", when), el("span", "what", s.name || (s.routine && s.routine.name) || "habit"));
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
