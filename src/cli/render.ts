/**
 * `vace-live render`: runs the streaming pipeline offline, file in → MP4 out, with a progress bar
 * and a summary. Every input is checked before the model loads, so a typo costs no waiting.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodePaintedMask } from '../../controls/masks/painted.ts';
import type { AnnotatorWeights } from '../../controls/annotator-weights.ts';
import { createControl } from '../../controls/registry.ts';
import type { Control } from '../../controls/types.ts';
import type { ChunkGenerator, GenerationParams } from '../pipeline/generator-types.ts';
import type { ModelBundle } from '../presets/bundle.ts';
import { decodeReferenceImage, type RgbImage } from '../pipeline/reference-images.ts';
import { controlSpecFor, parseOutpaint, parseRenderControl, RENDER_CONTROLS, type ControlFlags, type ControlSpec } from '../render/control-spec.ts';
import { fitMaskPng } from '../render/mask-fit.ts';
import { renderVideo, type RenderSummary } from '../render/pipeline.ts';
import { formatFrameRate, probeVideo, type VideoInfo } from '../render/probe.ts';
import { RenderProgressBar } from '../render/progress.ts';
import { formatRenderSummary } from '../render/summary.ts';
import { resolveDevice, resolveDtype } from '../model/runtime/device.ts';
import { modelsFolderAnnotatorWeights } from './annotator-weights.ts';
import { onceLogger } from './device.ts';
import { MODEL_FLAG_OPTIONS, modelFlagsHelp, parseModelFlags, type ModelFlags } from './model-flags.ts';
import { asCliError, CliError, logTo, processIO, type CliIO } from './io.ts';
import { numericParamFlag, paramFlagHelp, textParamFlag, usageLine } from './param-flags.ts';
import { loadPreset, PresetLoadError } from '../presets/load.ts';
import { DEFAULT_PARAMS } from '../stream/params.ts';

export const MAX_REFERENCES = 3;

/** V2V is on by default only when nothing else conditions the video (so the input shapes the output). */
const DEFAULT_NOISE_SCALE = DEFAULT_PARAMS.noiseScale;

export const RENDER_USAGE = `usage: vace-live render --input in.mp4 --prompt "…" --out out.mp4 [options]

Runs the live pipeline offline: the input is decoded at the model's size (scaled to cover,
centre-cropped), cut into chunks, passed through the control and the generator, and encoded
to H.264 MP4 (yuv420p) at the input's frame rate.

options:
  --input FILE            input video (anything ffmpeg reads)
  --out FILE              output .mp4 (overwritten)
  --prompt TEXT           the prompt (weighted prompts: "a:0.7 | b:0.3")
  --control ID            ${RENDER_CONTROLS.join(' | ')} (default: none)
  --ref IMAGE             reference image (style/identity); repeat up to ${MAX_REFERENCES} times
  --mask PNG              painted mask: white = regenerate, black = keep
  --outpaint SIDES        grow the picture, e.g. left=0.25,right=0.25 (one ratio for all sides)
  --first-frame IMAGE     extension anchor: the video starts from this image (first chunk)
${usageLine('--seed N', paramFlagHelp('seed'))}
${usageLine('--context-scale S', paramFlagHelp('contextScale'))}
${usageLine('--noise-scale S', paramFlagHelp('noiseScale', { default: `${DEFAULT_NOISE_SCALE} when no control/mask/outpaint/ref/first-frame is given, else off` }))}
${modelFlagsHelp()}
  -h, --help              this text

The output has fewer frames than the input: the first chunk after a reset returns 3 frames
fewer (the TAE decoder's warm-up), so N input frames give N − 3 output frames. A last partial
chunk is padded by repeating its last frame and the padding is dropped from the output.
Audio is not carried over.`;

export interface RenderOptions {
  input: string;
  out: string;
  prompt: string;
  control?: ControlSpec;
  /** The flags the control spec was built from (rebuilt once the mask is fitted to the model size). */
  controlFlags: ControlFlags;
  references: string[];
  firstFrame?: string;
  maskPng?: Uint8Array;
  params: GenerationParams;
  model: ModelFlags;
}

function requireFile(flag: string, path: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new CliError(`${flag}: file not found: ${path}`);
  if (!statSync(p).isFile()) throw new CliError(`${flag}: not a file: ${path}`);
  return p;
}

/** Parses and checks the flags (files exist, numbers in range, control known). */
export function parseRenderArgs(argv: string[]): RenderOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', short: 'i' },
        out: { type: 'string', short: 'o' },
        prompt: { type: 'string', short: 'p' },
        control: { type: 'string' },
        ref: { type: 'string', multiple: true },
        mask: { type: 'string' },
        outpaint: { type: 'string' },
        'first-frame': { type: 'string' },
        seed: { type: 'string' },
        'context-scale': { type: 'string' },
        'noise-scale': { type: 'string' },
        ...MODEL_FLAG_OPTIONS,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message} (see vace-live render --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  for (const flag of ['input', 'out', 'prompt'] as const) if (!v[flag]) throw new CliError(`--${flag} is required (see vace-live render --help)`);
  const input = requireFile('--input', v.input!);
  const out = resolve(v.out!);
  if (out === input) throw new CliError('--out must not be the input file');
  if (!existsSync(dirname(out))) throw new CliError(`--out: folder does not exist: ${dirname(out)}`);
  const refs = (v.ref ?? []).map((r) => requireFile('--ref', r));
  if (refs.length > MAX_REFERENCES) throw new CliError(`--ref: at most ${MAX_REFERENCES} reference images, got ${refs.length}`);
  const firstFrame = v['first-frame'] !== undefined ? requireFile('--first-frame', v['first-frame']) : undefined;
  const maskPng = v.mask !== undefined ? new Uint8Array(readFileSync(requireFile('--mask', v.mask))) : undefined;
  let control: ControlSpec | undefined;
  let controlFlags: ControlFlags;
  try {
    controlFlags = {
      control: v.control !== undefined ? parseRenderControl(v.control) : undefined,
      maskPng,
      outpaint: v.outpaint !== undefined ? parseOutpaint(v.outpaint) : undefined,
    };
    control = controlSpecFor(controlFlags);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const prompt = textParamFlag('prompt', 'prompt', v.prompt)!;
  const seed = numericParamFlag('seed', 'seed', v.seed) ?? DEFAULT_PARAMS.seed;
  const contextScale = numericParamFlag('context-scale', 'contextScale', v['context-scale']) ?? DEFAULT_PARAMS.contextScale;
  const explicitNoise = numericParamFlag('noise-scale', 'noiseScale', v['noise-scale']);
  const vaceInputs = control !== undefined || refs.length > 0 || firstFrame !== undefined;
  const noiseScale = explicitNoise ?? (vaceInputs ? undefined : (DEFAULT_NOISE_SCALE ?? undefined));
  const model = parseModelFlags(v);
  return {
    input,
    out,
    prompt,
    control,
    controlFlags,
    references: refs,
    firstFrame,
    maskPng,
    params: { prompt, seed, contextScale, noiseScale },
    model,
  };
}

async function decodeImage(flag: string, path: string): Promise<RgbImage> {
  try {
    return await decodeReferenceImage(path);
  } catch (e) {
    throw new CliError(`${flag}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function buildControl(spec: ControlSpec | undefined, weights: AnnotatorWeights): Control | undefined {
  if (!spec) return undefined;
  try {
    return createControl(spec.id, spec.options, { weights });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function describeMode(o: RenderOptions): string {
  const parts: string[] = [];
  const f = o.controlFlags;
  if (f.control) parts.push(`control ${f.control}`);
  if (f.maskPng) parts.push('painted mask (white = regenerate)');
  if (f.outpaint) parts.push(`outpaint ${f.outpaint.directions.join('+')} by ${f.outpaint.ratio}`);
  if (o.references.length) parts.push(`${o.references.length} reference image(s)`);
  if (o.firstFrame) parts.push('first-frame anchor');
  parts.push(o.params.noiseScale !== undefined ? `V2V noise scale ${o.params.noiseScale}` : 'no V2V (VACE conditioning only)');
  return parts.join(', ');
}

export async function runRenderCommand(argv: string[], io: CliIO = processIO): Promise<RenderSummary | undefined> {
  const o = parseRenderArgs(argv);
  if (o === 'help') {
    io.stdout.write(RENDER_USAGE + '\n');
    return undefined;
  }
  const log = onceLogger(logTo(io));
  // Cheap checks first: a broken input fails before the model loads.
  let info: VideoInfo;
  try {
    info = await probeVideo(o.input);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const references = [];
  for (const r of o.references) references.push(await decodeImage('--ref', r));
  const firstFrame = o.firstFrame ? await decodeImage('--first-frame', o.firstFrame) : undefined;
  if (o.maskPng) {
    try {
      await decodePaintedMask(o.maskPng, 16, 16);
    } catch (e) {
      throw new CliError(`--mask: ${(e as Error).message}`);
    }
  }
  // The depth/scribble annotators find their weights in the models folder.
  const weights = modelsFolderAnnotatorWeights(o.model.modelsDir);
  // Built now so a bad control (e.g. depth without its weights) fails before the model loads.
  let control = buildControl(o.control, weights);

  const { device } = await resolveDevice(o.model.device, log);
  const dtype = resolveDtype(o.model.dtype, device);
  let bundle: ModelBundle | undefined;
  let generator: ChunkGenerator | undefined;
  const bar = new RenderProgressBar(io.stderr);
  let summary: RenderSummary;
  try {
    bundle = await asCliError(() => loadPreset({ preset: o.model.preset, modelsDir: o.model.modelsDir, device, dtype, threads: o.model.threads, textWeights: o.model.textWeights, log }), [PresetLoadError]);
    if (o.controlFlags.maskPng) {
      await control?.dispose?.();
      control = undefined;
      control = buildControl(controlSpecFor({ ...o.controlFlags, maskPng: await fitMaskPng(o.controlFlags.maskPng, bundle.width, bundle.height) }), weights);
    }
    generator = bundle.createGenerator();
    log(`rendering ${o.input} (${info.width}×${info.height} @ ${formatFrameRate(info.frameRate)} fps, ${info.frameCount ?? '?'} frames) → ${o.out}: ${describeMode(o)}`);
    summary = await renderVideo({
      input: o.input,
      out: o.out,
      generator,
      width: bundle.width,
      height: bundle.height,
      control,
      params: o.params,
      references,
      firstFrame,
      info,
      onProgress: (s) => bar.update(s),
    });
    bar.finish();
  } catch (e) {
    bar.finish();
    if (e instanceof CliError) throw e;
    throw new CliError(`render failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await generator?.dispose();
    await control?.dispose?.();
    await bundle?.release();
  }
  io.stdout.write(formatRenderSummary(summary) + '\n');
  return summary;
}
