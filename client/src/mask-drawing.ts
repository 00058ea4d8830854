/** Drawing a rectangle on the camera view; reports it in normalised coordinates of the video. */

export interface NormRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class MaskDrawing {
  readonly #canvas: HTMLCanvasElement;
  readonly #video: HTMLVideoElement;
  #rect: NormRect | null = null;
  #start: { x: number; y: number } | null = null;

  constructor(canvas: HTMLCanvasElement, video: HTMLVideoElement, onChange: (r: NormRect | null) => void) {
    this.#canvas = canvas;
    this.#video = video;
    canvas.addEventListener('pointerdown', (e) => {
      this.#start = this.#toVideo(e);
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.#start) return;
      this.#rect = rectFrom(this.#start, this.#toVideo(e));
      this.draw();
    });
    canvas.addEventListener('pointerup', (e) => {
      if (!this.#start) return;
      const r = rectFrom(this.#start, this.#toVideo(e));
      this.#start = null;
      this.#rect = r.width > 0.01 && r.height > 0.01 ? r : null;
      this.draw();
      onChange(this.#rect);
    });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  clear(): void {
    this.#rect = null;
    this.draw();
  }

  /** Where the video content sits inside the element (object-fit: contain). */
  #contentBox(): { x: number; y: number; w: number; h: number } {
    const cw = this.#canvas.clientWidth;
    const ch = this.#canvas.clientHeight;
    const vw = this.#video.videoWidth || 16;
    const vh = this.#video.videoHeight || 9;
    const s = Math.min(cw / vw, ch / vh);
    return { x: (cw - vw * s) / 2, y: (ch - vh * s) / 2, w: vw * s, h: vh * s };
  }

  #toVideo(e: PointerEvent): { x: number; y: number } {
    const b = this.#contentBox();
    const r = this.#canvas.getBoundingClientRect();
    return { x: clamp01((e.clientX - r.left - b.x) / b.w), y: clamp01((e.clientY - r.top - b.y) / b.h) };
  }

  draw(): void {
    const c = this.#canvas;
    c.width = c.clientWidth;
    c.height = c.clientHeight;
    const g = c.getContext('2d')!;
    g.clearRect(0, 0, c.width, c.height);
    if (!this.#rect) return;
    const b = this.#contentBox();
    g.strokeStyle = '#ff4';
    g.lineWidth = 2;
    g.setLineDash([6, 4]);
    g.strokeRect(b.x + this.#rect.x * b.w, b.y + this.#rect.y * b.h, this.#rect.width * b.w, this.#rect.height * b.h);
  }
}

function rectFrom(a: { x: number; y: number }, b: { x: number; y: number }): NormRect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.min(1 - x, Math.abs(a.x - b.x)), height: Math.min(1 - y, Math.abs(a.y - b.y)) };
}

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, v));
}
