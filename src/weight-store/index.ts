/**
 * The weight store: a preset's files on disk — status, downloads, verification, removal, progress.
 * Handed a preset's file manifest (from src/presets/catalog.ts); what a CLI or REST route imports.
 *
 *   const bar = createTerminalProgress();               // or forward events to the UI as JSON
 *   try {
 *     await downloadPreset(getPreset('longlive-1.3b'), { modelsDir, hubUrl, onProgress: bar.onProgress, signal });
 *   } catch (e) {
 *     if (e instanceof ModelDownloadError) console.error(e.message); // e.code: offline | not-found | disk-full | …
 *   } finally {
 *     bar.finish();
 *   }
 *
 * modelsDir defaults to $VACE_MODELS_DIR or ~/.cache/vace-live/models; hubUrl to $VACE_HUB_URL or
 * https://huggingface.co.
 */
export { loadRegistry, parseRegistry, presetKnownBytes } from './registry.ts';
export type { ModelFile, Preset, Registry } from './registry.ts';
export { presetStatus, downloadPreset, verifyPreset, removePreset, presetFilePath, verifiedSha256 } from './manager.ts';
export type {
  FileState,
  FileStatus,
  PresetStatus,
  ManagerOptions,
  DownloadPresetOptions,
  DownloadPresetResult,
  DownloadedFile,
  VerifyPresetResult,
  VerifyFileResult,
  VerifyOutcome,
  RemovePresetResult,
} from './manager.ts';
export { ModelDownloadError, formatBytes } from './errors.ts';
export { PathEscapeError } from './contained-path.ts';
export type { DownloadErrorCode } from './errors.ts';
export type { ProgressEvent, ProgressListener, ProgressPhase } from './progress-events.ts';
export { createTerminalProgress, formatProgressLine, formatDuration } from './progress.ts';
export { DEFAULT_HUB_URL, hubBaseUrl, resolveUrl, defaultModelsDir } from './hub.ts';
