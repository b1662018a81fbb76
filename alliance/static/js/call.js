// Video and audio calls: WebRTC peer to peer, signalling over the conversation socket.
// Media goes directly between the two browsers (DTLS-SRTP); the server relays only the
// session descriptions and ICE candidates. Also runs the pre-call setup check.
(() => {
  "use strict";
  // Interface text comes from Django's JavaScript catalogue (/i18n/js/, loaded first); English
  // when it is missing.
  const gettext = window.gettext || ((text) => text);

  const wsUrl = (path) => `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
  const parseServers = (text) => {
    try {
      const found = JSON.parse(text || "[]");
      return Array.isArray(found) ? found : [];
    } catch {
      return [];
    }
  };

  // --- the call ------------------------------------------------------------------------
  function startCall(root) {
    const statusEl = document.getElementById("call-status");
    const localVideo = document.getElementById("local-video");
    const remoteVideo = document.getElementById("remote-video");
    let mode = root.dataset.mode;
    let iceServers = parseServers(root.dataset.iceServers);
    let socket = null;
    let pc = null;
    let stream = null;
    let pendingCandidates = [];
    let ended = false;
    const state = { joined: false, peerJoined: false, refused: null };
    window.allianceCall = state;

    const setStatus = (text) => { statusEl.textContent = text; };
    const send = (frame) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));
    root.classList.toggle("audio-only", mode === "audio");

    function newPeer() {
      if (pc) pc.close();
      pendingCandidates = [];
      pc = new RTCPeerConnection({ iceServers });
      window.alliancePeer = pc; // for diagnostics (getStats) and the browser tests
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      pc.onicecandidate = (e) => send({ type: "signal", data: { candidate: e.candidate ? e.candidate.toJSON() : null } });
      pc.ontrack = (e) => {
        if (remoteVideo.srcObject !== e.streams[0]) remoteVideo.srcObject = e.streams[0];
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "connected") setStatus(gettext("Connected. The call is private between the two of you."));
        if (pc.connectionState === "failed") setStatus(gettext("The connection failed. Try ending the call and joining again."));
      };
      return pc;
    }

    async function offer() {
      const desc = await pc.createOffer();
      await pc.setLocalDescription(desc);
      send({ type: "signal", data: { description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } } });
    }

    async function onSignal(data) {
      if (data.description) {
        await pc.setRemoteDescription(data.description);
        for (const c of pendingCandidates) await pc.addIceCandidate(c);
        pendingCandidates = [];
        if (data.description.type === "offer") {
          await pc.setLocalDescription(await pc.createAnswer());
          send({ type: "signal", data: { description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } } });
        }
      } else if ("candidate" in data) {
        const c = data.candidate || undefined;
        if (pc.remoteDescription) await pc.addIceCandidate(c);
        else pendingCandidates.push(c);
      }
    }

    async function onFrame(frame) {
      switch (frame.type) {
        case "ready":
          send({ type: "call.join", mode, location: root.dataset.location || undefined });
          break;
        case "call.joined":
          state.joined = true;
          state.call = frame.call;
          if (frame.ice_servers?.length) iceServers = frame.ice_servers;
          newPeer();
          if (frame.others > 0) {
            state.peerJoined = true;
            setStatus(gettext("Connecting to the other person…"));
            await offer(); // the newcomer makes the offer, so the two never both do
          } else {
            setStatus(gettext("Waiting for the other person to join…"));
          }
          break;
        case "call.refused":
          state.refused = frame.code;
          setStatus(frame.message);
          stop();
          break;
        case "call.peer":
          if (frame.event === "joined") {
            state.peerJoined = true;
            if (pc?.remoteDescription) newPeer(); // a rejoin: start afresh, they will offer
            setStatus(gettext("The other person is joining…"));
          } else {
            setStatus(gettext("The other person left the call."));
            remoteVideo.srcObject = null;
            if (state.joined && !ended) newPeer();
          }
          break;
        case "signal":
          await onSignal(frame.data);
          break;
        case "call.state":
          root.classList.toggle("peer-muted", !frame.audio);
          break;
        case "error":
          setStatus(frame.message);
          break;
      }
    }

    function stop() {
      ended = true;
      pc?.close();
      for (const track of stream?.getTracks() || []) track.stop();
    }

    function toggle(button, kind, onText, offText) {
      const tracks = stream.getTracks().filter((t) => t.kind === kind);
      const off = button.getAttribute("aria-pressed") !== "true";
      for (const t of tracks) t.enabled = !off;
      button.setAttribute("aria-pressed", String(off));
      button.textContent = off ? offText : onText;
      send({ type: "call.state", audio: stream.getAudioTracks().some((t) => t.enabled), video: stream.getVideoTracks().some((t) => t.enabled) });
    }

    document.getElementById("toggle-mute").addEventListener("click", (e) => toggle(e.currentTarget, "audio", gettext("Mute"), gettext("Unmute")));
    document.getElementById("toggle-camera").addEventListener("click", (e) => toggle(e.currentTarget, "video", gettext("Camera off"), gettext("Camera on")));
    document.getElementById("audio-only").addEventListener("click", async () => {
      for (const sender of pc?.getSenders() || []) if (sender.track?.kind === "video") await sender.replaceTrack(null);
      for (const track of stream.getVideoTracks()) { track.stop(); stream.removeTrack(track); }
      mode = "audio";
      root.classList.add("audio-only");
      send({ type: "call.state", audio: stream.getAudioTracks().some((t) => t.enabled), video: false });
    });
    document.getElementById("end-call").addEventListener("click", () => {
      send({ type: "call.leave" });
      stop();
      setStatus(gettext("Call ended."));
      setTimeout(() => { location.href = root.dataset.threadUrl; }, 300);
    });

    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mode === "video" });
      } catch (err) {
        setStatus(gettext("We could not use your camera or microphone. Check your browser's permissions and try the setup check."));
        return;
      }
      localVideo.srcObject = stream;
      socket = new WebSocket(wsUrl(root.dataset.wsPath));
      socket.addEventListener("message", (event) => {
        onFrame(JSON.parse(event.data)).catch((err) => console.error(err));
      });
      socket.addEventListener("close", () => { if (!ended) setStatus(gettext("Connection to Alliance lost; the call may continue, but rejoin if it stops.")); });
    })();
  }

  // --- the setup check --------------------------------------------------------------------
  function setupCheck(root) {
    const say = (id, text, ok) => {
      const el = document.getElementById(id);
      el.textContent = text;
      el.classList.toggle("ok", ok === true);
      el.classList.toggle("error", ok === false);
    };
    let audioContext = null;

    document.getElementById("play-tone").addEventListener("click", () => {
      audioContext = audioContext || new AudioContext();
      const osc = audioContext.createOscillator();
      const gain = audioContext.createGain();
      gain.gain.value = 0.1;
      osc.frequency.value = 440;
      osc.connect(gain).connect(audioContext.destination);
      osc.start();
      osc.stop(audioContext.currentTime + 0.6);
      say("check-speaker", gettext("Did you hear a tone? If not, check your volume and which speaker or headphones are selected."), true);
    });

    document.getElementById("run-checks").addEventListener("click", async () => {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        document.getElementById("setup-video").srcObject = stream;
        say("check-camera", stream.getVideoTracks().length ? gettext("Your camera works. Check that your face is lit and in view.") : gettext("No camera found."), stream.getVideoTracks().length > 0);
        audioContext = audioContext || new AudioContext();
        const analyser = audioContext.createAnalyser();
        audioContext.createMediaStreamSource(stream).connect(analyser);
        const samples = new Uint8Array(analyser.fftSize);
        const meter = document.getElementById("mic-level");
        let heard = false;
        const tick = () => {
          analyser.getByteTimeDomainData(samples);
          const level = Math.max(...samples.map((v) => Math.abs(v - 128))) / 128;
          meter.value = level;
          if (level > 0.02 && !heard) {
            heard = true;
            say("check-microphone", gettext("We can hear your microphone."), true);
          }
          requestAnimationFrame(tick);
        };
        say("check-microphone", gettext("Microphone found: say something and watch the level."), true);
        tick();
      } catch (err) {
        say("check-camera", gettext("We could not use your camera or microphone: allow them in your browser's settings."), false);
        say("check-microphone", gettext("Not available."), false);
      }
      checkConnection(root, say);
    });
  }

  function checkConnection(root, say) {
    say("check-connection", gettext("Checking…"));
    const socket = new WebSocket(wsUrl(root.dataset.wsPath));
    const timer = setTimeout(() => say("check-connection", gettext("We could not reach Alliance's live connection; calls may not work on this network."), false), 8000);
    socket.addEventListener("message", async (event) => {
      if (JSON.parse(event.data).type !== "ready") return;
      clearTimeout(timer);
      socket.close();
      const pc = new RTCPeerConnection({ iceServers: parseServers(root.dataset.iceServers) });
      pc.createDataChannel("check");
      const kinds = new Set();
      pc.onicecandidate = (e) => { if (e.candidate) kinds.add(e.candidate.type); };
      await pc.setLocalDescription(await pc.createOffer());
      setTimeout(() => {
        pc.close();
        const relay = kinds.has("relay") || kinds.has("srflx");
        say("check-connection", relay ? gettext("Your connection is ready for calls.") : gettext("Connected to Alliance. If a call does not connect, try another network (some workplace networks block calls)."), true);
      }, 2500);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const call = document.getElementById("call");
    if (call) startCall(call);
    const setup = document.getElementById("setup");
    if (setup) setupCheck(setup);
  });
})();
