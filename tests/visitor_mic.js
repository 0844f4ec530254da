// Init script of the browser tests: a web visitor who speaks on cue.
//
// getUserMedia still runs for real (the permission check, then Chromium's fake capture
// device playing a silent WAV); the page gets a track mixed from that device and from
// the clips the test plays with window.__visitor.say(base64 WAV), which resolves when
// the clip has played. The clips are eSpeak NG speech made by the test.
(() => {
  const media = navigator.mediaDevices;
  const original = media.getUserMedia.bind(media);
  let context = null;
  let mix = null;
  const visitor = {
    requests: 0,
    async say(base64) {
      if (!context) throw new Error("the page has not asked for the microphone");
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const buffer = await context.decodeAudioData(bytes.buffer);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(mix);
      const ended = new Promise((resolve) => { source.onended = resolve; });
      source.start();
      await ended;
      return buffer.duration;
    },
  };
  window.__visitor = visitor;
  media.getUserMedia = async (constraints) => {
    visitor.requests += 1;
    const device = await original(constraints);
    if (!constraints || !constraints.audio) return device;
    context = context || new AudioContext({ sampleRate: 48000 });
    await context.resume();
    mix = context.createMediaStreamDestination();
    context.createMediaStreamSource(device).connect(mix);
    return new MediaStream([...mix.stream.getAudioTracks(), ...device.getVideoTracks()]);
  };
})();
