/** The vace-live client: camera in, stylised video out, parameters live over the data channel. */
import { DEFAULT_PARAMS, PARAMETERS, type SessionParams } from '../../src/stream/param-table.ts';
import { MaskDrawing, type NormRect } from './mask-drawing.ts';
import { readRange, setupInteger, setupRange, setupSelect, setupText, showRangeValue, tooltip } from './param-inputs.ts';
import { OutputRecorder } from './recorder.ts';
import { adoptTokenFromUrl, forgetToken, setToken, withAuthorization, withTokenParam } from './access-token.ts';
import { ServerError, TokenNeededError, createSession, request } from './signalling.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $<HTMLSpanElement>('status'),
  model: $<HTMLSpanElement>('model'),
  error: $<HTMLDivElement>('error'),
  tokenForm: $<HTMLFormElement>('token-form'),
  token: $<HTMLInputElement>('token'),
  tokenNote: $<HTMLSpanElement>('token-note'),
  local: $<HTMLVideoElement>('local'),
  remote: $<HTMLVideoElement>('remote'),
  stats: $<HTMLPreElement>('stats'),
  camera: $<HTMLSelectElement>('camera'),
  resolution: $<HTMLSelectElement>('resolution'),
  start: $<HTMLButtonElement>('start'),
  stop: $<HTMLButtonElement>('stop'),
  mode: $<HTMLSelectElement>('mode'),
  control: $<HTMLSelectElement>('control'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  contextScale: $<HTMLInputElement>('contextScale'),
  noiseScale: $<HTMLInputElement>('noiseScale'),
  noiseScaleOn: $<HTMLInputElement>('noiseScaleOn'),
  seed: $<HTMLInputElement>('seed'),
  steps: $<HTMLInputElement>('steps'),
  dropzone: $<HTMLDivElement>('dropzone'),
  reference: $<HTMLInputElement>('reference'),
  referencePreview: $<HTMLImageElement>('reference-preview'),
  clearMask: $<HTMLButtonElement>('clear-mask'),
  outpaint: $<HTMLSelectElement>('outpaint'),
  record: $<HTMLButtonElement>('record'),
  export: $<HTMLButtonElement>('export'),
  download: $<HTMLAnchorElement>('download'),
  recordStatus: $<HTMLSpanElement>('record-status'),
  outputLink: $<HTMLAnchorElement>('output-link'),
};

interface ServerMessage {
  type: string;
  [key: string]: unknown;
}

/** State the page exposes for the end-to-end tests and for debugging from the console. */
const state = {
  sessionId: null as string | null,
  pc: null as RTCPeerConnection | null,
  dc: null as RTCDataChannel | null,
  stream: null as MediaStream | null,
  messages: [] as ServerMessage[],
  lastStats: null as Record<string, unknown> | null,
  outputFps: 0,
};
(window as unknown as { vace: typeof state & { send: typeof sendParams } }).vace = Object.assign(state, { send: sendParams });

let msgId = 0;
let statsTimer: number | undefined;
let mask: NormRect | null = null;
const recorder = new OutputRecorder();

function showError(message: string | null): void {
  ui.error.hidden = !message;
  ui.error.textContent = message ?? '';
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function describe(err: unknown): string {
  if (err instanceof ServerError) return err.message;
  if (err instanceof DOMException) {
    if (err.name === 'NotAllowedError') return 'Camera access was refused. Allow the camera for this page and press Start again.';
    if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') return 'No camera was found (or it cannot do this resolution). Connect one or pick another resolution.';
    if (err.name === 'NotReadableError') return 'The camera is in use by another program.';
  }
  return err instanceof Error ? err.message : String(err);
}

/** Shows the token field; a token sent and refused is dropped, so the next one typed replaces it. */
function askForToken(reason: string): void {
  forgetToken();
  showError(null);
  ui.tokenNote.textContent = reason;
  ui.tokenForm.hidden = false;
  ui.token.focus();
}

async function loadOptions(): Promise<void> {
  try {
    const res = await request('/api/models');
    const models = (await res.json()) as {
      controls: { id: string; description: string }[];
      modes: { id: string; available: boolean }[];
      generators: { id: string; description?: string }[];
      defaultGenerator: string | null;
    };
    // Say plainly which model generate mode runs (the demo preset's random weights give abstract output).
    const model = models.generators.find((g) => g.id === models.defaultGenerator) ?? models.generators[0];
    ui.model.textContent = model ? `model: ${model.description ?? model.id}` : 'no model loaded (preview only)';
    ui.control.replaceChildren(...models.controls.map((c) => new Option(c.id, c.id, c.id === 'passthrough', c.id === 'passthrough')));
    for (const c of models.controls) ui.control.querySelector(`option[value="${c.id}"]`)?.setAttribute('title', c.description);
    const gen = models.modes.find((m) => m.id === 'generate');
    const opt = ui.mode.querySelector<HTMLOptionElement>('option[value="generate"]')!;
    if (gen && !gen.available) opt.textContent = 'generate (no model loaded)';
  } catch (err) {
    if (err instanceof TokenNeededError) askForToken(err.message);
    else showError(describe(err));
  }
}

async function listCameras(): Promise<void> {
  try {
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const current = ui.camera.value;
    ui.camera.replaceChildren(...devices.map((d, i) => new Option(d.label || `camera ${i + 1}`, d.deviceId)));
    if (current) ui.camera.value = current;
  } catch {
    /* listing is optional; getUserMedia reports the real error */
  }
}

const MODE_LABELS: Record<SessionParams['mode'], string> = { preview: 'preview (control only)', generate: 'generate (model)' };

/** Ranges, steps, defaults and tooltips of the inputs, from the parameter table. */
function setupInputs(): void {
  setupSelect(ui.mode, PARAMETERS.mode, MODE_LABELS);
  setupText(ui.prompt, PARAMETERS.prompt);
  setupRange(ui.contextScale, PARAMETERS.contextScale);
  setupRange(ui.noiseScale, PARAMETERS.noiseScale);
  ui.noiseScaleOn.checked = DEFAULT_PARAMS.noiseScale !== null;
  ui.noiseScaleOn.title = tooltip(PARAMETERS.noiseScale);
  ui.noiseScale.disabled = !ui.noiseScaleOn.checked;
  setupInteger(ui.seed, PARAMETERS.seed);
  ui.steps.value = DEFAULT_PARAMS.steps.join(',');
  ui.steps.title = tooltip(PARAMETERS.steps);
  setupSelect(ui.outpaint, PARAMETERS.outpaint.fields.direction);
}

/** The noise scale the inputs say: null (text mode) while V2V is unticked. */
function noiseScale(): number | null {
  return ui.noiseScaleOn.checked ? readRange(ui.noiseScale, PARAMETERS.noiseScale) : null;
}

function currentParams(): Record<string, unknown> {
  const steps = ui.steps.value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n));
  return {
    mode: ui.mode.value,
    control: ui.control.value,
    prompt: ui.prompt.value,
    seed: Number(ui.seed.value),
    contextScale: readRange(ui.contextScale, PARAMETERS.contextScale),
    noiseScale: noiseScale(),
    steps,
    mask,
    // The amount has no input: the server fills in its default.
    outpaint: { direction: ui.outpaint.value },
  };
}

/** Sends a parameter update over the data channel (REST when the channel is not open). */
async function sendParams(params: Record<string, unknown>): Promise<void> {
  if (!state.sessionId) return;
  if (state.dc?.readyState === 'open') {
    state.dc.send(JSON.stringify({ type: 'params', id: ++msgId, params }));
    return;
  }
  try {
    await request(`/api/sessions/${state.sessionId}/params`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  } catch (err) {
    showError(describe(err));
  }
}

function onServerMessage(m: ServerMessage): void {
  state.messages.push(m);
  if (state.messages.length > 200) state.messages.shift();
  if (m.type === 'applied' || m.type === 'hello') {
    appliedParams = m.params as Record<string, unknown>;
    syncControls(appliedParams);
  }
  if (m.type === 'error') {
    showError(String(m.message));
    // A refused change changed nothing on the server: show the settings that are in effect.
    syncControls(appliedParams);
  }
  else if (m.type === 'ack') showError(null);
  else if (m.type === 'stats') {
    state.lastStats = m.stats as Record<string, unknown>;
    renderStats();
  } else if (m.type === 'closed') {
    showError(`The session ended: ${String(m.reason)}.`);
    void stop();
  }
}

let appliedParams: Record<string, unknown> | undefined;

/** Shows the parameters the server applied (they may come from another client or from REST). */
function syncControls(p: Record<string, unknown> | undefined): void {
  if (!p) return;
  const set = (el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, v: unknown) => {
    if (v !== undefined && v !== null && document.activeElement !== el) el.value = String(v);
  };
  set(ui.mode, p.mode);
  set(ui.control, p.control);
  set(ui.prompt, p.prompt);
  set(ui.seed, p.seed);
  set(ui.contextScale, p.contextScale);
  showRangeValue(ui.contextScale);
  if (document.activeElement !== ui.noiseScaleOn) ui.noiseScaleOn.checked = p.noiseScale !== null;
  ui.noiseScale.disabled = !ui.noiseScaleOn.checked;
  set(ui.noiseScale, p.noiseScale);
  showRangeValue(ui.noiseScale);
  if (Array.isArray(p.steps)) set(ui.steps, p.steps.join(','));
  const outpaint = p.outpaint as { direction?: string } | undefined;
  set(ui.outpaint, outpaint?.direction);
}

let lastRemote = { frames: 0, t: performance.now() };
async function pollStats(): Promise<void> {
  if (state.dc?.readyState === 'open') state.dc.send(JSON.stringify({ type: 'stats' }));
  const v = ui.remote;
  const q = v.getVideoPlaybackQuality?.();
  if (q) {
    const now = performance.now();
    state.outputFps = ((q.totalVideoFrames - lastRemote.frames) * 1000) / Math.max(1, now - lastRemote.t);
    lastRemote = { frames: q.totalVideoFrames, t: now };
  }
}

/** End-to-end latency estimate: send path + server pipeline + return path, from WebRTC stats. */
async function latencyEstimate(): Promise<number | null> {
  const pc = state.pc;
  const server = state.lastStats?.latencyMs;
  if (!pc || typeof server !== 'number') return null;
  let rtt = 0;
  let encode = 0;
  let jitter = 0;
  let decode = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'candidate-pair' && r.nominated && r.currentRoundTripTime) rtt = r.currentRoundTripTime * 1000;
    if (r.type === 'outbound-rtp' && r.kind === 'video' && r.framesEncoded) encode = (r.totalEncodeTime / r.framesEncoded) * 1000;
    if (r.type === 'inbound-rtp' && r.kind === 'video' && r.jitterBufferEmittedCount) {
      jitter = (r.jitterBufferDelay / r.jitterBufferEmittedCount) * 1000;
      decode = r.framesDecoded ? (r.totalDecodeTime / r.framesDecoded) * 1000 : 0;
    }
  });
  return server + rtt + encode + jitter + decode;
}

let latency: number | null = null;
function renderStats(): void {
  const s = state.lastStats ?? {};
  const f = (v: unknown, unit = '') => (typeof v === 'number' ? `${v}${unit}` : '–');
  ui.stats.textContent = [
    `input FPS   ${f(s.inputFps)}`,
    `output FPS  ${state.outputFps.toFixed(1)}`,
    `chunk       ${f(s.chunkMs, ' ms')}`,
    // Network + server + jitter buffer + decode from WebRTC stats; camera capture and display are not included.
    `latency     ${latency === null ? '–' : `~${Math.round(latency)} ms (net+server est.)`}`,
    `dropped     ${f(s.droppedFrames)}`,
    `mode        ${String(s.mode ?? '–')} / ${String(s.control ?? '–')}`,
  ].join('\n');
}

async function start(): Promise<void> {
  showError(null);
  ui.start.disabled = true;
  setStatus('starting camera…');
  const [width, height] = ui.resolution.value.split('x').map(Number);
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { deviceId: ui.camera.value ? { exact: ui.camera.value } : undefined, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 30 } },
      audio: false,
    });
    state.stream = stream;
    ui.local.srcObject = stream;
    void listCameras();
    setStatus('connecting…');
    const pc = new RTCPeerConnection({ iceServers: [] });
    state.pc = pc;
    const [track] = stream.getVideoTracks();
    track.contentHint = 'motion';
    pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    const dc = pc.createDataChannel('params');
    state.dc = dc;
    dc.onmessage = (e) => onServerMessage(JSON.parse(String(e.data)) as ServerMessage);
    pc.ontrack = (e) => {
      ui.remote.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      ui.record.disabled = false;
    };
    pc.onconnectionstatechange = () => {
      setStatus(pc.connectionState);
      if (pc.connectionState === 'failed') showError('The connection to the server was lost.');
    };
    const params = currentParams();
    delete params.mode; // sessions start in preview; generate is switched on once the model answers
    const session = await createSession(pc, { width: width - (width % 2), height: height - (height % 2), params });
    state.sessionId = session.id;
    // With the token in it, so the link can be pasted into an OBS browser source as it is.
    ui.outputLink.href = withTokenParam(`/output.html?session=${encodeURIComponent(session.id)}`);
    ui.outputLink.hidden = false;
    if (ui.mode.value === 'generate') void sendParams({ mode: 'generate' });
    ui.stop.disabled = false;
    statsTimer = window.setInterval(() => {
      void pollStats();
      void latencyEstimate().then((l) => {
        latency = l;
        renderStats();
      });
    }, 500);
  } catch (err) {
    if (err instanceof TokenNeededError) askForToken(err.message);
    else showError(describe(err));
    await stop();
  } finally {
    ui.start.disabled = state.pc !== null;
  }
}

async function stop(): Promise<void> {
  clearInterval(statsTimer);
  const id = state.sessionId;
  state.sessionId = null;
  state.dc?.close();
  state.pc?.close();
  state.stream?.getTracks().forEach((t) => t.stop());
  state.pc = null;
  state.dc = null;
  state.stream = null;
  ui.local.srcObject = null;
  ui.remote.srcObject = null;
  ui.start.disabled = false;
  ui.stop.disabled = true;
  ui.record.disabled = true;
  ui.outputLink.hidden = true;
  setStatus('idle');
  if (id) await fetch(`/api/sessions/${id}`, withAuthorization({ method: 'DELETE' })).catch(() => undefined);
}

async function uploadReference(file: File): Promise<void> {
  if (!file.type.startsWith('image/')) return showError(`"${file.name}" is not an image.`);
  ui.referencePreview.src = URL.createObjectURL(file);
  ui.referencePreview.hidden = false;
  if (!state.sessionId) return showError('Start a session first, then add the reference image.');
  try {
    await request(`/api/sessions/${state.sessionId}/reference`, { method: 'POST', headers: { 'content-type': file.type }, body: file });
    showError(null);
  } catch (err) {
    showError(describe(err));
  }
}

function wire(): void {
  ui.tokenForm.onsubmit = (e) => {
    e.preventDefault();
    const token = ui.token.value.trim();
    if (!token) return;
    setToken(token);
    ui.token.value = '';
    ui.tokenForm.hidden = true;
    void loadOptions();
  };
  ui.start.onclick = () => void start();
  ui.stop.onclick = () => void stop();
  const live: [HTMLElement, string, () => Record<string, unknown>][] = [
    [ui.mode, 'change', () => ({ mode: ui.mode.value })],
    [ui.control, 'change', () => ({ control: ui.control.value })],
    [ui.prompt, 'change', () => ({ prompt: ui.prompt.value })],
    [ui.contextScale, 'change', () => ({ contextScale: readRange(ui.contextScale, PARAMETERS.contextScale) })],
    [ui.noiseScale, 'change', () => ({ noiseScale: noiseScale() })],
    [
      ui.noiseScaleOn,
      'change',
      () => {
        ui.noiseScale.disabled = !ui.noiseScaleOn.checked;
        return { noiseScale: noiseScale() };
      },
    ],
    [ui.seed, 'change', () => ({ seed: Number(ui.seed.value) })],
    [ui.steps, 'change', () => ({ steps: currentParams().steps })],
    [ui.outpaint, 'change', () => ({ outpaint: { direction: ui.outpaint.value } })],
  ];
  for (const [el, ev, make] of live) el.addEventListener(ev, () => void sendParams(make()));
  for (const r of [ui.contextScale, ui.noiseScale]) r.addEventListener('input', () => showRangeValue(r));

  const drawing = new MaskDrawing($<HTMLCanvasElement>('mask-layer'), ui.local, (r) => {
    mask = r;
    void sendParams({ mask: r });
  });
  ui.clearMask.onclick = () => {
    drawing.clear();
    mask = null;
    void sendParams({ mask: null });
  };

  ui.reference.onchange = () => ui.reference.files?.[0] && void uploadReference(ui.reference.files[0]);
  ui.dropzone.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.dropzone.classList.add('over');
  });
  ui.dropzone.addEventListener('dragleave', () => ui.dropzone.classList.remove('over'));
  ui.dropzone.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.dropzone.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void uploadReference(f);
  });

  ui.record.onclick = async () => {
    if (recorder.recording) {
      await recorder.stop();
      ui.record.textContent = 'Record';
      ui.export.disabled = !recorder.hasRecording;
      ui.recordStatus.textContent = 'recorded';
      return;
    }
    const stream = ui.remote.srcObject;
    if (!(stream instanceof MediaStream)) return showError('There is no output to record yet.');
    try {
      recorder.start(stream);
      ui.record.textContent = 'Stop recording';
      ui.recordStatus.textContent = 'recording…';
    } catch (err) {
      showError(describe(err));
    }
  };
  ui.export.onclick = async () => {
    ui.export.disabled = true;
    try {
      const mp4 = await recorder.exportMp4((t) => (ui.recordStatus.textContent = t));
      ui.download.href = URL.createObjectURL(mp4);
      ui.download.download = `vace-live-${new Date().toISOString().replace(/[:.]/g, '-')}.mp4`;
      ui.download.textContent = `download MP4 (${(mp4.size / 1e6).toFixed(1)} MB)`;
      ui.download.hidden = false;
      ui.recordStatus.textContent = 'done';
    } catch (err) {
      showError(`MP4 export failed: ${describe(err)}`);
    } finally {
      ui.export.disabled = false;
    }
  };
  window.addEventListener('pagehide', () => {
    // A beacon cannot carry headers: the token goes in the query.
    if (state.sessionId) navigator.sendBeacon?.(withTokenParam(`/api/sessions/${state.sessionId}/end`));
  });
}

adoptTokenFromUrl();
setupInputs();
wire();
void loadOptions();
void listCameras();
renderStats();
