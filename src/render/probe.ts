/** What the offline renderer needs to know about an input video, read with ffprobe. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const FFPROBE_BIN = process.env.VACE_FFPROBE ?? 'ffprobe';

export interface FrameRate {
  readonly num: number;
  readonly den: number;
}

export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  readonly frameRate: FrameRate;
  /** Frames in the stream: the container's count, else duration × rate (rounded); null when neither is known. */
  readonly frameCount: number | null;
  readonly frameCountExact: boolean;
  readonly durationSeconds: number | null;
  readonly codec: string;
}

export function frameRateValue(r: FrameRate): number {
  return r.num / r.den;
}

export function formatFrameRate(r: FrameRate): string {
  const v = frameRateValue(r);
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/** "30000/1001" → {30000, 1001}; rejects 0/0 and other nonsense. */
export function parseFrameRate(text: string | undefined): FrameRate | null {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text?.trim() ?? '');
  if (!m) return null;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  return num > 0 && den > 0 ? { num, den } : null;
}

interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
}

/** Reads the first video stream of `path`. Throws an Error naming the file when it is not a readable video. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      FFPROBE_BIN,
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:format=duration', '-of', 'json', path],
      { maxBuffer: 1 << 20 },
    ));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`ffprobe not found (looked for "${FFPROBE_BIN}"; install ffmpeg or set VACE_FFPROBE)`);
    const detail = (err.stderr ?? err.message).trim().split('\n').pop() ?? '';
    throw new Error(`${path} is not a readable video: ${detail}`);
  }
  const data = JSON.parse(stdout) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const s = data.streams?.[0];
  if (!s || !s.width || !s.height) throw new Error(`${path} has no video stream`);
  // avg_frame_rate is the true rate for most files; r_frame_rate (the timebase guess) when avg is 0/0.
  const frameRate = parseFrameRate(s.avg_frame_rate) ?? parseFrameRate(s.r_frame_rate);
  if (!frameRate) throw new Error(`${path}: cannot tell the frame rate (ffprobe says avg ${s.avg_frame_rate}, r ${s.r_frame_rate})`);
  const duration = Number(s.duration ?? data.format?.duration);
  const durationSeconds = Number.isFinite(duration) && duration > 0 ? duration : null;
  const nb = Number(s.nb_frames);
  const exact = Number.isInteger(nb) && nb > 0;
  const frameCount = exact ? nb : durationSeconds !== null ? Math.round(durationSeconds * frameRateValue(frameRate)) : null;
  return { width: s.width, height: s.height, frameRate, frameCount, frameCountExact: exact, durationSeconds, codec: s.codec_name ?? 'unknown' };
}
