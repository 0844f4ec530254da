// The handoff console: sign in as a tenant's staff member, watch live calls and handoff
// requests (GET /v1/calls?active=true, refreshed by the live events of /v1/events), and
// take a call: POST /v1/calls/{id}/take mints a LiveKit token for its room and the
// browser joins it with the microphone on (VoiceCall, the LiveKit JS client from this
// dispatcher). "Hand back" leaves the room (the assistant resumes the flow); "End call"
// closes the room (POST /v1/calls/{id}/hangup).

import { VoiceCall } from "/web/static/call.js";

const TOKEN = "frontdesk.staff.token";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN);
let socket = null;
let current = null; // {callId, call: VoiceCall}
let refreshTimer = null;

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/v1/auth/login") signedOut();
  if (!response.ok) throw new Error(answer.error || `the dispatcher answered ${response.status}`);
  return answer;
}

function signedOut() {
  token = null;
  sessionStorage.removeItem(TOKEN);
  socket?.close();
  $("board").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
}

async function signedIn() {
  const me = await api("GET", "/v1/auth/me");
  $("who").textContent = `${me.email} · ${me.tenant}`;
  $("who").hidden = false;
  $("logout").hidden = false;
  $("login").hidden = true;
  $("board").hidden = false;
  connect();
  await refresh();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/v1/events`);
  socket.addEventListener("open", () => socket.send(JSON.stringify({ token })));
  socket.addEventListener("message", (e) => onEvent(JSON.parse(e.data)));
  socket.addEventListener("close", (e) => {
    $("live").textContent = "Live events disconnected; reconnecting…";
    $("live").dataset.state = "closed";
    if (e.code === 4401) return signedOut();
    if (token) setTimeout(connect, 2000);
  });
}

function onEvent(event) {
  if (event.type === "ready") {
    $("live").textContent = "Live: new calls and requests appear here as they happen.";
    $("live").dataset.state = "ready";
    return refresh();
  }
  logEvent(event);
  if (event.type !== "turn") scheduleRefresh();
}

function logEvent(event) {
  const li = document.createElement("li");
  const what = event.type === "turn" ? `${event.speaker}: ${event.text}` : event.type.replaceAll("_", " ");
  li.textContent = `${new Date(event.at).toLocaleTimeString()} · ${event.call_id} · ${what}`;
  li.dataset.type = event.type;
  $("events").prepend(li);
  while ($("events").children.length > 100) $("events").lastChild.remove();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
}

async function refresh() {
  if (!token) return;
  const { calls } = await api("GET", "/v1/calls?active=true");
  const waiting = calls.filter((c) => c.handoff && c.handoff.status === "requested");
  $("requests").replaceChildren(...waiting.map(requestCard));
  $("no-requests").hidden = waiting.length > 0;
  $("calls").replaceChildren(...calls.map(callRow));
  $("no-calls").hidden = calls.length > 0;
}

function requestCard(call) {
  const li = document.createElement("li");
  li.dataset.callId = call.id;
  const reason = document.createElement("p");
  reason.className = "reason";
  reason.textContent = `${call.caller || "Caller"} · ${call.source} · waiting since ${new Date(call.handoff.at).toLocaleTimeString()}`;
  const summary = document.createElement("p");
  summary.className = "summary";
  summary.textContent = call.handoff.summary;
  const slots = document.createElement("p");
  slots.className = "slots";
  const given = Object.entries(call.handoff.slots).map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`);
  slots.textContent = given.length ? given.join(" · ") : "No details collected yet.";
  li.append(reason, summary, slots, takeButton(call));
  return li;
}

function callRow(call) {
  const li = document.createElement("li");
  li.dataset.callId = call.id;
  const who = document.createElement("span");
  who.className = "caller";
  who.textContent = `${call.caller || "Caller"} · ${call.source} · since ${new Date(call.started_at).toLocaleTimeString()}`;
  const state = document.createElement("span");
  state.textContent = call.handoff ? `handoff ${call.handoff.status.replaceAll("_", " ")}` : "with the assistant";
  li.append(who, state, takeButton(call));
  return li;
}

function takeButton(call) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "primary take";
  button.textContent = "Take call";
  button.dataset.callId = call.id;
  button.disabled = current !== null;
  button.addEventListener("click", () => take(call.id));
  return button;
}

async function take(callId) {
  if (current) return;
  const call = new VoiceCall({
    session: () => api("POST", `/v1/calls/${encodeURIComponent(callId)}/take`),
  });
  current = { callId, call };
  window.frontdeskConsoleCall = call; // for tests and measurements
  call.addEventListener("statechange", (e) => {
    const { state, error } = e.detail;
    $("call-state").textContent = error ? error.message : `Call ${callId}: ${state}`;
    $("call-state").dataset.state = state;
    if (state === "ended" || state === "failed") left();
  });
  $("in-call").hidden = false;
  await refresh();
  await call.start();
}

function left() {
  current = null;
  $("in-call").hidden = true;
  scheduleRefresh();
}

$("hand-back").addEventListener("click", async () => {
  await current?.call.hangUp(); // the assistant resumes when the human leaves the room
});

$("end-call").addEventListener("click", async () => {
  if (!current) return;
  const { callId, call } = current;
  await api("POST", `/v1/calls/${encodeURIComponent(callId)}/hangup`).catch(() => {});
  await call.hangUp();
});

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").hidden = true;
  try {
    const session = await api("POST", "/v1/auth/login", {
      tenant: $("tenant").value.trim(),
      email: $("email").value.trim(),
      password: $("password").value,
    });
    token = session.token;
    sessionStorage.setItem(TOKEN, token);
    $("password").value = "";
    await signedIn();
  } catch (error) {
    $("login-error").textContent = error.message;
    $("login-error").hidden = false;
  }
});

$("logout").addEventListener("click", async () => {
  await api("POST", "/v1/auth/logout").catch(() => {});
  signedOut();
});

if (token) signedIn().catch(() => signedOut());
