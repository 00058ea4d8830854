/** Weight manager: presets, downloads, verification, removal, progress. What a CLI or REST route imports. */
export { listPresets, getPreset, loadRegistry, parseRegistry, presetKnownBytes, DEFAULT_REGISTRY_PATH } from './registry.ts';
export type { ModelFile, Preset, Registry } from './registry.ts';
export { presetStatus, downloadPreset, verifyPreset, removePreset, presetFilePath } from './manager.ts';
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
export type { DownloadErrorCode } from './errors.ts';
export type { ProgressEvent, ProgressListener, ProgressPhase } from './progress-events.ts';
export { createTerminalProgress, formatProgressLine, formatDuration } from './progress.ts';
export { DEFAULT_HUB_URL, hubBaseUrl, resolveUrl, defaultModelsDir } from './hub.ts';
