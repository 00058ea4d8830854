/**
 * How the annotator controls (depth, scribble) get their checkpoints: the caller passes an
 * AnnotatorWeights (the CLI and server implement it over the models folder, src/cli), so no
 * control looks up files or environment variables itself. The weight-free controls never come
 * here.
 */
import { existsSync } from 'node:fs';

export type AnnotatorRole = 'depth' | 'scribble';

export interface AnnotatorWeights {
  /**
   * The checkpoint file for `role`. Throws a MissingWeightsError naming the path and how to get
   * the file when it is not there.
   */
  path(role: AnnotatorRole): string;
}

export class MissingWeightsError extends Error {
  readonly path: string;
  /** `remedy` says how to get the file, e.g. the download command. */
  constructor(control: string, path: string, remedy: string) {
    super(`${control} control needs its weights, and ${path} does not exist. ${remedy}`);
    this.name = 'MissingWeightsError';
    this.path = path;
  }
}

/** A checkpoint path given directly (tests, benchmarks, a worker's spec), checked to exist. */
export function requireWeightsFile(control: string, path: string): string {
  if (!existsSync(path)) throw new MissingWeightsError(control, path, 'Pass a weights path that exists.');
  return path;
}
