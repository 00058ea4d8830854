/**
 * Every session parameter over its declared range (param-table.ts) through a live session on the
 * real demo generator (random weights, real graphs, real text encoder): each value the schema
 * accepts must give back a chunk of frames. The values go in as a client sends them
 * (SessionPipeline.updateParams), so a range the schema accepts but the pipeline rejects
 * (issue 14: noiseScale 0.05) fails here instead of in every chunk of a live session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listControls } from '../../../controls/registry.ts';
import { registryControls } from '../../../src/cli/serve.ts';
import { modelsFolderAnnotatorWeights } from '../../../src/cli/annotator-weights.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import type { ChunkGenerator, ChunkInput } from '../../../src/pipeline/generator-types.ts';
import type { ModelBundle } from '../../../src/presets/bundle.ts';
import { demoConfig } from '../../../src/presets/demo.ts';
import { loadPreset } from '../../../src/presets/load.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { DEFAULT_PARAMS, PARAMETERS, type SessionParams, type SessionParamsPatch } from '../../../src/stream/params.ts';
import type { FieldParam, ParamName } from '../../../src/stream/param-table.ts';
import { SessionPipeline } from '../../../src/stream/session-pipeline.ts';

/** What one chunk came back as: the generator's frames, a preview chunk, or the session's error. */
type Outcome =
  | { readonly kind: 'generated'; readonly frames: RgbFrames; readonly afterReset: boolean }
  | { readonly kind: 'preview'; readonly frames: number }
  | { readonly kind: 'error'; readonly message: string };

/** Hands out chunk outcomes in order; a chunk that ends before anyone waits is kept. */
class Outcomes {
  readonly #ready: Outcome[] = [];
  readonly #waiting: ((o: Outcome) => void)[] = [];
  push(o: Outcome): void {
    const w = this.#waiting.shift();
    if (w) w(o);
    else this.#ready.push(o);
  }
  next(): Promise<Outcome> {
    const o = this.#ready.shift();
    return o ? Promise.resolve(o) : new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** The preset's real generator, reporting each chunk it returns (and whether a reset preceded it). */
class ReportingGenerator implements ChunkGenerator {
  #afterReset = true;
  constructor(
    readonly inner: ChunkGenerator,
    readonly report: (o: Outcome) => void,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  outputSize(width: number, height: number) {
    return this.inner.outputSize(width, height);
  }
  framesForNextChunk(): number {
    return this.inner.framesForNextChunk();
  }
  async generate(input: ChunkInput): Promise<RgbFrames> {
    const frames = await this.inner.generate(input);
    this.report({ kind: 'generated', frames, afterReset: this.#afterReset });
    this.#afterReset = false;
    return frames;
  }
  reset(): void {
    this.#afterReset = true;
    this.inner.reset();
  }
  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

const cfg = demoConfig();
const CHUNK = cfg.latent.frames * cfg.tae.temporal_downscale;
const dir = mkdtempSync(join(tmpdir(), 'vace-param-sweep-'));
const outcomes = new Outcomes();
let bundle: ModelBundle;
let session: SessionPipeline;
let referenceId: string;
let seq = 0;

function cameraFrame(): RgbFrames {
  const { width, height } = bundle;
  const data = new Uint8Array(width * height * 3);
  const s = seq++;
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + s * 17 + (i >> 9) * 7) & 255;
  return { width, height, count: 1, data };
}

beforeAll(async () => {
  bundle = await loadPreset({ preset: 'demo', modelsDir: dir, device: 'cpu', log: () => {} });
  const registry = new GeneratorRegistry();
  registry.register({ id: bundle.preset, title: bundle.preset }, () => new ReportingGenerator(bundle.createGenerator(), (o) => outcomes.push(o)));
  // Preview chunks as long as model chunks, so every case pushes the same frames.
  session = new SessionPipeline({ controls: registryControls(modelsFolderAnnotatorWeights(dir)), generators: registry, frameSize: { width: bundle.width, height: bundle.height }, previewChunkFrames: CHUNK });
  session.events$.subscribe((e) => {
    if (e.type === 'error') outcomes.push({ kind: 'error', message: e.message });
    if (e.type === 'chunk' && e.mode === 'preview') outcomes.push({ kind: 'preview', frames: e.frames });
  });
  const size = 16;
  referenceId = session.addReference({ width: size, height: size, data: new Uint8Array(size * size * 3).map((_, i) => (i * 13) & 255) });
}, 120_000);

afterAll(async () => {
  await session?.close();
  await bundle?.release();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends an update as a client would, feeds one chunk of camera frames and returns what came back. */
async function chunkWith(patch: SessionParamsPatch): Promise<Outcome> {
  const r = await session.updateParams(patch);
  if (!r.ok) throw new Error(`update ${JSON.stringify(patch)} refused: ${r.error}`);
  for (let i = 0; i < CHUNK; i++) session.pushFrame(cameraFrame());
  return outcomes.next();
}

/** The frames a generated chunk must have: the model's size, a full chunk (less the TAE warm-up trim after a reset), not blank. */
function expectGeneratedChunk(o: Outcome, what: string): void {
  if (o.kind === 'error') throw new Error(`${what}: ${o.message}`);
  expect(o.kind, what).toBe('generated');
  if (o.kind !== 'generated') return;
  const { frames } = o;
  expect([frames.count, frames.width, frames.height], what).toEqual([CHUNK - (o.afterReset ? cfg.tae.frames_to_trim : 0), bundle.width, bundle.height]);
  expect(frames.data.length, what).toBe(frames.count * frames.width * frames.height * 3);
  // Bytes are always finite; NaN or infinite latents decode to one flat value, random weights never do.
  expect(new Set(frames.data.subarray(0, 4096)).size, `${what}: a flat frame (non-finite latents?)`).toBeGreaterThan(1);
}

/** A chunk in generate mode with `patch` applied (switching to generate first when the session is in preview). */
async function expectGenerates(patch: SessionParamsPatch): Promise<void> {
  const mode: SessionParamsPatch = session.params.mode === 'generate' ? {} : { mode: 'generate' };
  expectGeneratedChunk(await chunkWith({ ...mode, ...patch }), JSON.stringify(patch).slice(0, 200));
}

/** min, max, the default and values in between (off the slider's grid too) of a number row; every value of an enum; null where allowed. */
function sweepValues(spec: FieldParam): unknown[] {
  const values: unknown[] = [];
  switch (spec.kind) {
    case 'number':
    case 'integer': {
      const between = [1 / 3, 0.5, 0.9].map((f) => spec.min + f * (spec.max - spec.min));
      values.push(spec.min, spec.max, ...(spec.kind === 'integer' ? between.map(Math.round) : between));
      break;
    }
    case 'enum':
      values.push(...spec.values);
      break;
    case 'steps': {
      const longest = Array.from({ length: spec.maxLength }, (_, i) => Math.round(spec.max - (i * (spec.max - spec.min)) / spec.maxLength));
      values.push([spec.max], [spec.min], [spec.max, spec.min], longest);
      break;
    }
    case 'rect':
      values.push({ x: 0, y: 0, width: 1, height: 1 }, { x: 0.25, y: 0.25, width: 0.5, height: 0.5 }, { x: 0.99, y: 0.99, width: 0.01, height: 0.01 });
      break;
    case 'text':
      throw new Error('text parameters are swept with the values of textSweeps');
  }
  values.push(spec.default);
  if (spec.nullMeans !== undefined) values.push(null);
  return values;
}

/** Text parameters mean different things; their sweeps are written out (a new text parameter fails the type check until it has one). */
const textSweeps: { [K in ParamName as (typeof PARAMETERS)[K] extends { kind: 'text' } ? K : never]: () => unknown[] } = {
  // The controls with weights (depth, scribble) have none here; their runs are the annotators' tests.
  control: () => listControls().filter((c) => !c.needsWeights).map((c) => c.id),
  prompt: () => ['', 'a neon city', 'a cat:0.7 | a dog:0.3', 'a:1 | b:0 | c:2', 'a fox in the snow '.repeat(300).slice(0, PARAMETERS.prompt.maxLength)],
  referenceId: () => [referenceId, null],
};

describe('every session parameter over its declared range, through a live session on the demo generator', () => {
  it('starts in preview and switches to generate mode (mode: every value)', async () => {
    for (const mode of PARAMETERS.mode.values) {
      const o = await chunkWith({ mode });
      if (mode === 'preview') expect(o).toEqual({ kind: 'preview', frames: CHUNK });
      else expectGeneratedChunk(o, `mode ${mode}`);
    }
  });

  it('control: every control the session accepts gives a chunk, the frame-only ones are accepted', async () => {
    const accepted: string[] = [];
    for (const control of textSweeps.control()) {
      const r = await session.updateParams({ control });
      // A control that needs options refuses the bare id when it arrives: that is validation, not a failure.
      if (!r.ok) continue;
      accepted.push(control as string);
      expectGeneratedChunk(await chunkWith({}), `control ${control}`);
    }
    expect(accepted).toEqual(expect.arrayContaining(['passthrough', 'gray', 'edges']));
    await expectGenerates({ control: DEFAULT_PARAMS.control });
  });

  const swept = (Object.keys(PARAMETERS) as ParamName[]).filter((n) => n !== 'mode' && n !== 'control');
  for (const name of swept) {
    it(name, async () => {
      // Every other parameter back at its default (applied with the first chunk below), so one
      // failing sweep does not leave its value behind for the next.
      const { mode: _mode, ...defaults } = DEFAULT_PARAMS;
      expect((await session.updateParams(defaults)).ok).toBe(true);
      const spec = PARAMETERS[name];
      if (spec.kind === 'group') {
        // The other fields of the group take a non-default value, so the swept one has an effect
        // (an outpaint amount does nothing while the direction is none).
        const active = Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, f.kind === 'enum' ? f.values.find((v) => v !== f.default) : f.default]));
        for (const [field, f] of Object.entries(spec.fields)) {
          for (const value of sweepValues(f)) await expectGenerates({ [name]: { ...active, [field]: value } });
        }
      } else {
        const values = spec.kind === 'text' ? textSweeps[name as keyof typeof textSweeps]() : sweepValues(spec);
        for (const value of values) await expectGenerates({ [name]: value } as SessionParamsPatch);
      }
      await expectGenerates({ [name]: DEFAULT_PARAMS[name] } as Partial<SessionParams>);
    });
  }

  it('noiseScale 0.05 from the client slider is refused when it arrives, not failed in every chunk (regression: schema accepted values v2vSteps rejects)', async () => {
    // The old schema took (0, 1]; v2vSteps needs int(1000·s) − 100 > 0, so 0.05 was acknowledged,
    // then every chunk failed and the session fell back to preview.
    for (const noiseScale of [0.05, 0.1]) {
      const r = await session.updateParams({ noiseScale });
      expect(r.ok, `noiseScale ${noiseScale} was accepted`).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/noiseScale/);
    }
    // Likewise a step list V2V cannot use (not strictly decreasing).
    const steps = await session.updateParams({ steps: [250, 500] });
    expect(steps.ok).toBe(false);
    await expectGenerates({});
    expect(session.params.mode).toBe('generate');
  });
});
