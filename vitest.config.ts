import { defineConfig } from 'vitest/config';

// Two projects: `unit` (fast, no fixtures needed) and `golden` (compares against the upstream
// PyTorch outputs in $VACE_FIXTURES, default ../shared/fixtures).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'golden',
          include: ['test/golden/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // ORT sessions use both cores; running golden files in parallel only thrashes.
          fileParallelism: false,
        },
      },
      {
        test: {
          // Real headless Chromium against the live server (needs ffmpeg and chromium; .ci/run installs them).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
