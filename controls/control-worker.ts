/**
 * The worker-thread side of ThreadedControl: builds one control from a serialisable spec and
 * answers process/reset/dispose messages in order. onnxruntime-node runs a session
 * synchronously on the calling thread, so an annotator only leaves the generator's thread
 * when it lives here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DepthControl, type DepthControlOptions } from './depth.ts';
import { createControl } from './registry.ts';
import { ScribbleControl, type ScribbleControlOptions } from './scribble.ts';
import type { ControlSpec, ToParent, ToWorker } from './threaded-control-types.ts';
import type { Control } from './types.ts';

function build(spec: ControlSpec): Control {
  // The id narrows the options (the union's catch-all member keeps TypeScript from seeing it).
  if (spec.id === 'depth') return new DepthControl(spec.options as DepthControlOptions | undefined);
  if (spec.id === 'scribble') return new ScribbleControl(spec.options as ScribbleControlOptions | undefined);
  return createControl(spec.id, spec.options);
}

const port = parentPort;
if (!port) throw new Error('control-worker.ts must run in a worker thread');
const send = (m: ToParent, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

let control: Control | undefined;
try {
  control = build((workerData as { spec: ControlSpec }).spec);
  send({ op: 'ready', id: control.id, needsWeights: control.needsWeights });
} catch (e) {
  send({ op: 'init-error', message: errorText(e) });
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  chain = chain.then(async () => {
    if (!control) return;
    if (m.op === 'reset') {
      control.reset();
      return;
    }
    if (m.op === 'dispose') {
      await control.dispose?.();
      send({ op: 'disposed', seq: m.seq });
      return;
    }
    try {
      const out = await control.process(m.frames);
      // Copy when the output aliases the input (passthrough) so both can be transferred back safely.
      const data = out.frames.data.buffer === m.frames.data.buffer ? out.frames.data.slice() : out.frames.data;
      const frames = { width: out.frames.width, height: out.frames.height, count: out.frames.count, data };
      const transfer = [data.buffer as ArrayBuffer];
      if (out.mask) transfer.push(out.mask.data.buffer as ArrayBuffer);
      send({ op: 'result', seq: m.seq, frames, mask: out.mask }, transfer);
    } catch (e) {
      send({ op: 'error', seq: m.seq, message: errorText(e) });
    }
  });
});
