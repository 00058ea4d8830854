/**
 * Recording the output stream with MediaRecorder (WebM) and turning it into MP4 in the browser
 * with ffmpeg.wasm. The wasm core is served by our own server under /vendor/ffmpeg-core/.
 */
import { FFmpeg } from '@ffmpeg/ffmpeg';

export class OutputRecorder {
  #recorder?: MediaRecorder;
  #chunks: Blob[] = [];
  #ffmpeg?: FFmpeg;

  get recording(): boolean {
    return this.#recorder?.state === 'recording';
  }

  get hasRecording(): boolean {
    return this.#chunks.length > 0 && !this.recording;
  }

  start(stream: MediaStream): void {
    const mime = ['video/webm;codecs=vp8', 'video/webm'].find((m) => MediaRecorder.isTypeSupported(m));
    if (!mime) throw new Error('This browser cannot record video (MediaRecorder has no WebM support).');
    this.#chunks = [];
    this.#recorder = new MediaRecorder(stream, { mimeType: mime, videoBitsPerSecond: 4_000_000 });
    this.#recorder.ondataavailable = (e) => e.data.size > 0 && this.#chunks.push(e.data);
    this.#recorder.start(500);
  }

  stop(): Promise<void> {
    const r = this.#recorder;
    if (!r || r.state === 'inactive') return Promise.resolve();
    return new Promise((resolve) => {
      r.onstop = () => resolve();
      r.stop();
    });
  }

  webm(): Blob {
    return new Blob(this.#chunks, { type: 'video/webm' });
  }

  /** Converts the recording to MP4 (H.264 if the wasm build has it, else MPEG-4 part 2). */
  async exportMp4(onProgress: (text: string) => void): Promise<Blob> {
    if (!this.#ffmpeg) {
      onProgress('loading ffmpeg.wasm…');
      const ffmpeg = new FFmpeg();
      await ffmpeg.load({ coreURL: '/vendor/ffmpeg-core/ffmpeg-core.js', wasmURL: '/vendor/ffmpeg-core/ffmpeg-core.wasm' });
      this.#ffmpeg = ffmpeg;
    }
    const ffmpeg = this.#ffmpeg;
    ffmpeg.on('progress', ({ progress }) => onProgress(`converting… ${Math.round(progress * 100)}%`));
    await ffmpeg.writeFile('in.webm', new Uint8Array(await this.webm().arrayBuffer()));
    let code = await ffmpeg.exec(['-i', 'in.webm', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', 'out.mp4']);
    if (code !== 0) code = await ffmpeg.exec(['-i', 'in.webm', '-c:v', 'mpeg4', '-q:v', '3', 'out.mp4']);
    if (code !== 0) throw new Error('ffmpeg.wasm could not convert the recording to MP4.');
    const data = await ffmpeg.readFile('out.mp4');
    await ffmpeg.deleteFile('in.webm');
    await ffmpeg.deleteFile('out.mp4');
    return new Blob([data as Uint8Array<ArrayBuffer>], { type: 'video/mp4' });
  }
}
