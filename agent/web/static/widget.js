// The visitor widget page: renders a VoiceCall (call.js) for one tenant's campaign.

import { VoiceCall, sessionFromDispatcher } from "./call.js";

const config = JSON.parse(document.getElementById("frontdesk-config").textContent);
const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"),
  agentState: $("agent-state"),
  error: $("error"),
  errorMessage: $("error-message"),
  call: $("call"),
  mute: $("mute"),
  transcript: $("transcript"),
  empty: $("transcript-empty"),
};

const STATUS = {
  idle: "Ready to call",
  microphone: "Asking for your microphone…",
  connecting: "Connecting…",
  waiting: "Waiting for the assistant…",
  "in-call": "Connected",
  ended: "Call ended",
  failed: "Call failed",
};
const AGENT_STATE = {
  listening: "The assistant is listening",
  thinking: "The assistant is thinking",
  speaking: "The assistant is speaking",
};

const call = new VoiceCall({
  session: sessionFromDispatcher(config.sessionUrl, {
    tenant: config.tenant,
    campaign: config.campaign,
  }),
});
// what tests and benchmarks read (no secrets: the page has no others)
window.frontdesk = {
  call,
  config,
  clickedAt: null,
  firstAgentAudioAt: null,
  agentSpeaking: false,
  agentAudioChangedAt: 0,
  personSpeaking: false, // a person in the room (a staff member who took the call)
};

call.addEventListener("statechange", ({ detail: { state, error } }) => {
  document.body.dataset.state = state;
  ui.status.dataset.state = state;
  ui.status.textContent = STATUS[state] ?? state;
  const live = ["microphone", "connecting", "waiting", "in-call"].includes(state);
  ui.call.textContent = live ? "Hang up" : state === "idle" ? "Call" : "Call again";
  ui.call.classList.toggle("hangup", live);
  ui.call.setAttribute("aria-label", live ? "Hang up" : `Call ${config.business}`);
  ui.mute.hidden = state !== "in-call";
  if (state !== "in-call") setMuted(false);
  ui.agentState.hidden = state !== "in-call";
  ui.error.hidden = state !== "failed";
  if (state === "failed" && error) {
    ui.errorMessage.textContent = error.message;
    ui.error.dataset.code = error.code;
  }
});

call.addEventListener("agentstate", ({ detail: { state } }) => {
  ui.agentState.textContent = AGENT_STATE[state] ?? "";
  ui.agentState.dataset.state = state;
});

call.addEventListener("agentaudio", ({ detail: { speaking, at } }) => {
  const f = window.frontdesk;
  if (speaking && f.firstAgentAudioAt === null) f.firstAgentAudioAt = at;
  f.agentSpeaking = speaking;
  f.agentAudioChangedAt = at;
  document.body.classList.toggle("agent-speaking", speaking);
});

call.addEventListener("personaudio", ({ detail: { speaking } }) => {
  window.frontdesk.personSpeaking = speaking;
});

call.addEventListener("transcript", ({ detail: { id, speaker, text, final } }) => {
  let item = ui.transcript.querySelector(`li[data-segment="${CSS.escape(id)}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.segment = id;
    item.className = speaker;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = speaker === "agent" ? "Assistant" : "You";
    const said = document.createElement("span");
    said.className = "said";
    item.append(who, said);
    ui.transcript.append(item);
    ui.empty.hidden = true;
  }
  item.querySelector(".said").textContent = text;
  item.dataset.final = String(final);
  item.scrollIntoView({ block: "nearest" });
});

ui.call.addEventListener("click", () => {
  if (["microphone", "connecting", "waiting", "in-call"].includes(call.state)) {
    call.hangUp();
    return;
  }
  window.frontdesk.clickedAt = performance.now();
  window.frontdesk.firstAgentAudioAt = null;
  ui.transcript.replaceChildren();
  ui.empty.hidden = false;
  call.start();
});

ui.mute.addEventListener("click", async () => {
  const muted = !call.muted;
  await call.setMuted(muted);
  setMuted(muted);
});

function setMuted(muted) {
  ui.mute.setAttribute("aria-pressed", String(muted));
  ui.mute.textContent = muted ? "Unmute" : "Mute";
}

// the button works from here on (until now a click would have done nothing)
ui.call.disabled = false;
