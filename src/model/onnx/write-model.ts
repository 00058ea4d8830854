/**
 * Writes a graph as a `.onnx` file that Netron, onnx.checker and ORT open. Initializers above
 * a size threshold go to one external-data file beside the model (required past protobuf's
 * 2 GiB limit, and it keeps the model file small enough to inspect).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { initializerBytes, type Graph } from './graph.ts';
import { readFileRange } from '../weights/read-range.ts';

export interface WriteModelOptions {
  /** Initializers of at least this many bytes are stored externally (default 1 KiB; Infinity = all inline). */
  externalThreshold?: number;
  /**
   * External initializers whose file lies in the model's folder are referenced where they are
   * (file name + offset) instead of being copied: a model over a multi-GB safetensors file
   * costs no copy. Default false.
   */
  referenceInPlace?: boolean;
}

const ALIGN = 64;

export function writeModel(graph: Graph, outPath: string, opts: WriteModelOptions = {}): { modelBytes: number; dataBytes: number; dataPath?: string } {
  const threshold = opts.externalThreshold ?? 1024;
  const dataPath = `${outPath}.data`;
  const location = basename(dataPath);
  const placed = new Map<string, number>();
  const inPlace = new Map<string, { location: string; offset: number }>();
  const outDir = resolve(dirname(outPath));
  let dataBytes = 0;
  let fd: number | undefined;
  const copyBuf = Buffer.alloc(1 << 20);
  try {
    for (const init of graph.initializers()) {
      const len = initializerBytes(init);
      if (len < threshold) continue;
      if (opts.referenceInPlace && init.data.kind === 'external' && resolve(dirname(init.data.path)) === outDir) {
        inPlace.set(init.name, { location: basename(init.data.path), offset: init.data.offset });
        continue;
      }
      fd ??= openSync(dataPath, 'w');
      const offset = Math.ceil(dataBytes / ALIGN) * ALIGN;
      if (init.data.kind === 'inline') {
        writeSync(fd, init.data.bytes, 0, len, offset);
      } else if (init.data.kind === 'derived') {
        const bytes = init.data.read();
        if (bytes.byteLength !== len) throw new Error(`initializer "${init.name}": derived data has ${bytes.byteLength} bytes, ${len} expected`);
        writeSync(fd, bytes, 0, len, offset);
      } else {
        // Stream from the source file (e.g. a multi-GB safetensors) without loading it whole.
        const src = openSync(init.data.path, 'r');
        try {
          for (let done = 0; done < len; ) {
            const n = readSync(src, copyBuf, 0, Math.min(copyBuf.length, len - done), init.data.offset + done);
            if (n <= 0) throw new Error(`${init.data.path}: short read for "${init.name}"`);
            writeSync(fd, copyBuf, 0, n, offset + done);
            done += n;
          }
        } finally {
          closeSync(src);
        }
      }
      placed.set(init.name, offset);
      dataBytes = offset + len;
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const bytes = graph.toBytes({
    externalLocation: (init) => {
      const here = inPlace.get(init.name);
      if (here) return here;
      const offset = placed.get(init.name);
      return offset === undefined ? undefined : { location, offset };
    },
    inlineExternal: (init) => {
      const d = init.data as { path: string; offset: number; length: number };
      return readFileRange(d.path, d.offset, d.length, `initializer "${init.name}"`);
    },
    inlineLarge: threshold,
  });
  const out = openSync(outPath, 'w');
  try {
    writeSync(out, bytes);
  } finally {
    closeSync(out);
  }
  return { modelBytes: bytes.byteLength, dataBytes, dataPath: placed.size ? dataPath : undefined };
}
