// Frontdesk's browser call core: one voice call with an agent in a LiveKit room.
//
// Reused by every Frontdesk page that talks to an agent (the visitor widget; later the
// handoff console and the meeting join page). It owns the call and knows nothing of the
// page: the page listens to its events and renders them.
//
//   import { VoiceCall, sessionFromDispatcher } from "/web/static/call.js";
//   const call = new VoiceCall({ session: sessionFromDispatcher("/v1/web/sessions", {tenant, campaign}) });
//   call.addEventListener("statechange", (e) => render(e.detail.state, e.detail.error));
//   call.addEventListener("transcript", (e) => show(e.detail));  // {id, speaker, text, final}
//   await call.start();   // asks for the microphone, then joins; never throws
//   call.setMuted(true); await call.hangUp();
//
// States: idle -> microphone (asking for it) -> connecting -> waiting (for the agent)
// -> in-call -> ended; or failed, with error = {code, message}. Error codes:
// microphone-denied, microphone-missing, microphone-busy, microphone-failed,
// service-unreachable, service-refused, agent-unreachable, connection-lost.
// Other events: "agentstate" {state: listening|thinking|speaking|...} from the agent's
// lk.agent.state attribute; "agentaudio" {speaking, at} when the agent's audio starts
// or stops (measured in the page, at = performance.now()); "personaudio" {speaking, at,
// participant} the same for a person in the room (a staff member who took the call, or
// another attendee). Each remote audio track has its own meter: a person joining while
// the agent speaks must not take over the agent's.

import {
  ConnectionError,
  MediaDeviceFailure,
  ParticipantKind,
  Room,
  RoomEvent,
  Track,
  createLocalAudioTrack,
} from "../lib/livekit-client.esm.mjs";

const TRANSCRIPTION_TOPIC = "lk.transcription";
const AGENT_STATE = "lk.agent.state";
const SEGMENT_ID = "lk.segment_id";
const FINAL = "lk.transcription_final";
const TRANSCRIBED_TRACK = "lk.transcribed_track_id";

export class CallError extends Error {
  constructor(code, message, cause) {
    super(message, { cause });
    this.code = code;
  }
}

// A session source that asks a Frontdesk dispatcher: POST body as JSON, answer
// {url, token, room, identity, agent_timeout_s}; an error answer's message is kept.
export function sessionFromDispatcher(url, body) {
  return async () => {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (cause) {
      throw new CallError(
        "service-unreachable",
        "We can't reach the call service. Check your connection and try again.",
        cause,
      );
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const why = answer.error || `the call service answered ${response.status}`;
      const code = response.status >= 500 ? "service-unreachable" : "service-refused";
      throw new CallError(code, `The call could not be started: ${why}.`);
    }
    return answer;
  };
}

function microphoneError(cause) {
  const failure = MediaDeviceFailure.getFailure(cause);
  if (failure === MediaDeviceFailure.PermissionDenied) {
    return new CallError(
      "microphone-denied",
      "Microphone access was refused. Allow the microphone for this page (the icon in " +
        "the address bar), then press Call again.",
      cause,
    );
  }
  if (failure === MediaDeviceFailure.NotFound) {
    return new CallError("microphone-missing", "No microphone was found on this device.", cause);
  }
  if (failure === MediaDeviceFailure.DeviceInUse) {
    return new CallError(
      "microphone-busy",
      "Your microphone is in use by another application. Close it and try again.",
      cause,
    );
  }
  return new CallError("microphone-failed", `The microphone could not be started (${cause}).`, cause);
}

export class VoiceCall extends EventTarget {
  // session: async () => {url, token, agent_timeout_s?}; audioParent: where the agent's
  // <audio> element goes (hidden); agentTimeoutMs: default wait for the agent to join.
  constructor({ session, audioParent = document.body, agentTimeoutMs = 20000 }) {
    super();
    this._session = session;
    this._audioParent = audioParent;
    this._agentTimeoutMs = agentTimeoutMs;
    this._state = "idle";
    this._error = null;
    this._room = null;
    this._mic = null;
    this._muted = false;
    this._agent = null;
    this._meters = new Map(); // track sid -> LevelMeter
    this._segments = new Map();
    this._agentTimer = null;
    this._attempt = 0; // a hang-up during start() abandons that attempt
  }

  get state() { return this._state; }
  get error() { return this._error; }
  get muted() { return this._muted; }
  get room() { return this._room; }

  async start() {
    if (!["idle", "ended", "failed"].includes(this._state)) return;
    this._error = null;
    this._segments.clear();
    const attempt = ++this._attempt;
    const abandoned = () => attempt !== this._attempt;
    try {
      this._setState("microphone");
      let mic;
      try {
        mic = await createLocalAudioTrack({ echoCancellation: true, noiseSuppression: true });
      } catch (cause) {
        throw microphoneError(cause);
      }
      if (abandoned()) return mic.stop();
      this._mic = mic;
      this._setState("connecting");
      const session = await this._session();
      if (abandoned()) return;
      await this._join(session);
    } catch (error) {
      if (!abandoned()) await this._fail(error);
    }
  }

  async setMuted(muted) {
    if (!this._mic) return;
    if (muted) await this._mic.mute();
    else await this._mic.unmute();
    this._muted = muted;
    this._emit("mute", { muted });
  }

  async hangUp() {
    this._attempt += 1;
    if (this._room) await this._room.disconnect();
    this._cleanup();
    if (this._state !== "failed") this._setState("ended");
  }

  async _join(session) {
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this._room = room;
    room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, from) =>
      this._readTranscript(reader, from).catch(() => {}),
    );
    room
      .on(RoomEvent.ParticipantConnected, (p) => this._maybeAgent(p))
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        if (p === this._agent) this._agentLeft();
      })
      .on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
        if (AGENT_STATE in changed) this._emit("agentstate", { state: changed[AGENT_STATE], participant: p.identity });
      })
      .on(RoomEvent.TrackSubscribed, (track, _pub, p) => {
        if (track.kind === Track.Kind.Audio) this._play(track, p);
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => this._stopMeter(track.sid))
      .on(RoomEvent.Disconnected, () => this._disconnected());
    try {
      await room.connect(session.url, session.token, { autoSubscribe: true });
    } catch (cause) {
      const refused = cause instanceof ConnectionError && cause.status && cause.status < 500;
      throw new CallError(
        "agent-unreachable",
        refused
          ? "The call was refused by the call server. Please try again."
          : "We can't reach the assistant right now. Please try again in a moment.",
        cause,
      );
    }
    await room.localParticipant.publishTrack(this._mic, { source: Track.Source.Microphone });
    this._setState("waiting");
    const timeout = (session.agent_timeout_s ?? this._agentTimeoutMs / 1000) * 1000;
    this._agentTimer = setTimeout(() => {
      if (this._state === "waiting") {
        this._fail(new CallError(
          "agent-unreachable",
          "The assistant did not answer. Please try again in a moment.",
        ));
      }
    }, timeout);
    for (const p of room.remoteParticipants.values()) this._maybeAgent(p);
  }

  _maybeAgent(participant) {
    if (this._agent || participant.kind !== ParticipantKind.AGENT) return;
    this._agent = participant;
    clearTimeout(this._agentTimer);
    const state = participant.attributes?.[AGENT_STATE];
    if (state) this._emit("agentstate", { state, participant: participant.identity });
    if (this._state === "waiting") this._setState("in-call");
  }

  _agentLeft() {
    // the agent hangs up at the end of its flow: the call is over
    if (this._state === "in-call") this.hangUp();
  }

  _disconnected() {
    if (this._state === "in-call" || this._state === "waiting") {
      // the room is deleted when the agent hangs up: an ordinary end of the call
      this._cleanup();
      this._setState("ended");
    }
  }

  _play(track, participant) {
    const element = track.attach();
    element.hidden = true;
    element.dataset.participant = participant.identity;
    this._audioParent.appendChild(element);
    this._stopMeter(track.sid);
    const agent = participant.kind === ParticipantKind.AGENT;
    const event = agent ? "agentaudio" : "personaudio";
    this._meters.set(
      track.sid,
      new LevelMeter(track.mediaStreamTrack, (speaking) =>
        this._emit(event, { speaking, at: performance.now(), participant: participant.identity }),
      ),
    );
  }

  _stopMeter(sid) {
    this._meters.get(sid)?.stop();
    this._meters.delete(sid);
  }

  async _readTranscript(reader, from) {
    const attributes = reader.info.attributes || {};
    const id = attributes[SEGMENT_ID] || reader.info.id;
    const own =
      from.identity === this._room?.localParticipant.identity ||
      (this._mic?.sid && attributes[TRANSCRIBED_TRACK] === this._mic.sid);
    const speaker = own ? "visitor" : "agent";
    let text = "";
    for await (const chunk of reader) {
      // the agent's words arrive as they are spoken (one stream, appended); the
      // visitor's as whole interim and final transcripts (a stream each)
      text = speaker === "agent" ? text + chunk : chunk;
      this._transcript(id, speaker, text, false);
    }
    const final = speaker === "agent" || (reader.info.attributes || {})[FINAL] === "true";
    this._transcript(id, speaker, text, final);
  }

  _transcript(id, speaker, text, final) {
    text = text.trim();
    if (!text) return;
    this._segments.set(id, { speaker, text, final });
    this._emit("transcript", { id, speaker, text, final });
  }

  async _fail(error) {
    const err = error instanceof CallError
      ? error
      : new CallError("connection-lost", `The call failed: ${error?.message || error}.`, error);
    this._error = { code: err.code, message: err.message };
    this._setState("failed");
    if (this._room) await this._room.disconnect().catch(() => {});
    this._cleanup();
  }

  _cleanup() {
    clearTimeout(this._agentTimer);
    for (const meter of this._meters.values()) meter.stop();
    this._meters.clear();
    this._mic?.stop();
    this._mic = null;
    this._muted = false;
    this._agent = null;
    this._room = null;
    for (const el of this._audioParent.querySelectorAll("audio[data-participant]")) el.remove();
  }

  _setState(state) {
    this._state = state;
    this._emit("statechange", { state, error: this._error });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// Speaking or not, from the level of an audio track (for a speaking indicator).
class LevelMeter {
  constructor(mediaStreamTrack, onChange, { threshold = 0.01, holdMs = 400 } = {}) {
    this._context = new AudioContext();
    const source = this._context.createMediaStreamSource(new MediaStream([mediaStreamTrack]));
    this._analyser = this._context.createAnalyser();
    this._analyser.fftSize = 512;
    source.connect(this._analyser);
    this._samples = new Float32Array(this._analyser.fftSize);
    this._speaking = false;
    this._lastLoud = 0;
    this._timer = setInterval(() => {
      this._analyser.getFloatTimeDomainData(this._samples);
      let sum = 0;
      for (const s of this._samples) sum += s * s;
      const now = performance.now();
      if (Math.sqrt(sum / this._samples.length) >= threshold) this._lastLoud = now;
      const speaking = now - this._lastLoud < holdMs;
      if (speaking !== this._speaking) {
        this._speaking = speaking;
        onChange(speaking);
      }
    }, 20);
    this._context.resume().catch(() => {});
  }

  stop() {
    clearInterval(this._timer);
    this._context.close().catch(() => {});
  }
}
