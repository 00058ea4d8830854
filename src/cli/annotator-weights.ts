/**
 * The annotator controls' weights (controls/annotator-weights.ts) as the CLI and server find
 * them: the depth and scribble checkpoints of the preset that ships them, in the models folder.
 */
import { existsSync } from 'node:fs';
import { MissingWeightsError, type AnnotatorWeights } from '../../controls/annotator-weights.ts';
import { getPreset } from '../presets/catalog.ts';
import { presetFilePath } from '../weight-store/index.ts';

/** The model preset that ships the annotator checkpoints (src/presets/registry.json). */
export const ANNOTATOR_PRESET = 'longlive-1.3b';

export function modelsFolderAnnotatorWeights(modelsDir: string): AnnotatorWeights {
  return {
    path(role) {
      const path = presetFilePath(getPreset(ANNOTATOR_PRESET), role, { modelsDir });
      if (!existsSync(path)) {
        throw new MissingWeightsError(role, path, `Download them with \`vace-live models download ${ANNOTATOR_PRESET}\` (or pass --models-dir with the folder that has them).`);
      }
      return path;
    },
  };
}
