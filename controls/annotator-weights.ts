/**
 * Where the annotator controls (depth, scribble) find their weights, and the error a session
 * gets when they are not there: it names the file and the command that downloads it. The
 * weight-free controls never come here.
 */
import { existsSync } from 'node:fs';
import { presetFilePath } from '../src/weight-store/manager.ts';

/** The model preset that ships the annotator checkpoints (src/models/registry.json). */
export const ANNOTATOR_PRESET = 'longlive-1.3b';

export type AnnotatorRole = 'depth' | 'scribble';

export class MissingWeightsError extends Error {
  readonly path: string;
  constructor(control: string, path: string, explicit: boolean) {
    super(
      `${control} control needs its weights, and ${path} does not exist. ` +
        `Download them with \`vace-live models download ${ANNOTATOR_PRESET}\`` +
        (explicit ? ', or pass a weightsPath that exists.' : ' (or point VACE_MODELS_DIR at the models folder that has them).'),
    );
    this.name = 'MissingWeightsError';
    this.path = path;
  }
}

/** The checkpoint path for `role` (an explicit path wins over the models folder), checked to exist. */
export function requireAnnotatorWeights(control: string, role: AnnotatorRole, explicitPath?: string): string {
  const path = explicitPath ?? presetFilePath(ANNOTATOR_PRESET, role);
  if (!existsSync(path)) throw new MissingWeightsError(control, path, explicitPath !== undefined);
  return path;
}
