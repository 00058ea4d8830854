/**
 * The worker-thread side of ThreadedControl: builds one annotator from its spec and answers
 * process calls in order (serveWorker); close disposes it. onnxruntime-node runs a session
 * synchronously on the calling thread, so an annotator only leaves the generator's thread
 * when it lives here.
 */
import { serveWorker, transferring } from '../src/model/runtime/worker-service.ts';
import { checkChunk, checkControlSpec, type ControlSpec, type ControlWorkerProtocol } from './control-worker-protocol.ts';
import { DepthControl } from './depth.ts';
import { ScribbleControl } from './scribble.ts';
import type { Control } from './types.ts';

function build(spec: ControlSpec): Control {
  return spec.id === 'depth' ? new DepthControl(spec.options) : new ScribbleControl(spec.options);
}

serveWorker<ControlWorkerProtocol>((init) => {
  const control = build(checkControlSpec(init));
  return {
    ready: { id: control.id, needsWeights: control.needsWeights },
    calls: {
      process: async (arg) => {
        const { frames, resetFirst } = checkChunk(arg);
        if (resetFirst) control.reset();
        const out = await control.process(frames);
        // Copy when the output aliases the input, so both buffers can be moved back safely.
        const data = out.frames.data.buffer === frames.data.buffer ? out.frames.data.slice() : out.frames.data;
        const result = { frames: { width: out.frames.width, height: out.frames.height, count: out.frames.count, data }, ...(out.mask ? { mask: out.mask } : {}) };
        const transfer = [data.buffer as ArrayBuffer];
        if (out.mask) transfer.push(out.mask.data.buffer as ArrayBuffer);
        return transferring(result, transfer);
      },
    },
    close: () => control.dispose?.(),
  };
});
