/** Captured CLI output and small ffmpeg helpers for the CLI tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { CliIO } from '../../src/cli/io.ts';

export interface Captured extends CliIO {
  out(): string;
  err(): string;
}

export function captureIO(): Captured {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

/** Writes an H.264 test clip with ffmpeg's lavfi source (e.g. `testsrc=size=256x256:rate=12`). */
export function makeClip(path: string, source: string, seconds: number): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', source, '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', path]);
}

export interface Probed {
  width: number;
  height: number;
  frames: number;
  rate: string;
  codec: string;
  pixFmt: string;
}

/** ffprobe with -count_frames: the number of frames actually decodable. */
export function probe(path: string): Probed {
  const r = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,nb_read_frames,r_frame_rate,codec_name,pix_fmt', '-of', 'json', path]);
  const s = JSON.parse(r.toString()).streams[0];
  return { width: s.width, height: s.height, frames: Number(s.nb_read_frames), rate: s.r_frame_rate, codec: s.codec_name, pixFmt: s.pix_fmt };
}

/**
 * Runs the CLI as a user would (`npx tsx src/cli/main.ts …`), through the local tsx binary
 * directly: npx itself may print npm config warnings on stderr, which would hide what we check.
 */
export function runMain(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
