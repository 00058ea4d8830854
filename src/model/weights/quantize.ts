/**
 * Weight-only 8-bit quantisation of 2-D float weights [rows, cols], block-wise along cols, in the
 * layout ONNX Runtime's com.microsoft.MatMulNBits reads with bits = 8 (docs/ContribOperators.md):
 *   codes  uint8 [rows, blocks, blockSize], blocks = ceil(cols / blockSize), one code per byte;
 *   scales f32   [rows, blocks];
 *   w ≈ (code − 128) · scale.
 * Symmetric: no zero-point tensor, so MatMulNBits uses its default 2^(bits−1) = 128. Each block's
 * scale is its largest |w| / 127, so codes stay in [1, 255] and +w and −w quantise alike. A
 * trailing partial block is padded with code 128 (0), which adds nothing to a product.
 *
 * Rows are quantised independently, so a huge tensor (umt5-xxl's 256384 × 4096 embedding) can be
 * read and quantised a slice of rows at a time, never widened to float32 whole.
 */
import type { F32Tensor } from '../tensor.ts';

export const INT8_ZERO_POINT = 128;
const INT8_MAX_CODE = 127;

export interface Int8Blocks {
  readonly rows: number;
  readonly cols: number;
  readonly blockSize: number;
  /** [rows, blocks, blockSize] */
  readonly codes: Uint8Array;
  /** [rows, blocks] */
  readonly scales: Float32Array;
}

export function int8BlockCount(cols: number, blockSize: number): number {
  return Math.ceil(cols / blockSize);
}

/** MatMulNBits wants a power of two ≥ 16. */
export function checkInt8BlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`int8 block size must be a power of two ≥ 16, got ${blockSize}`);
  }
}

/** Empty code and scale buffers for a [rows, cols] weight. */
export function allocInt8Blocks(rows: number, cols: number, blockSize: number): Int8Blocks {
  checkInt8BlockSize(blockSize);
  const blocks = int8BlockCount(cols, blockSize);
  return { rows, cols, blockSize, codes: new Uint8Array(rows * blocks * blockSize), scales: new Float32Array(rows * blocks) };
}

/**
 * Quantises `src` (row-major, `src.length / cols` rows) into rows [firstRow, …) of `dst`.
 * Non-finite weights are an error: a block scale cannot represent them.
 */
export function quantizeRowsInt8(src: Float32Array, dst: Int8Blocks, firstRow: number, what = 'weight'): void {
  const { cols, blockSize } = dst;
  if (src.length % cols !== 0) throw new Error(`${what}: ${src.length} values are not whole rows of ${cols}`);
  const count = src.length / cols;
  if (firstRow < 0 || firstRow + count > dst.rows) throw new Error(`${what}: rows [${firstRow}, ${firstRow + count}) are outside [0, ${dst.rows})`);
  const blocks = int8BlockCount(cols, blockSize);
  for (let r = 0; r < count; r++) {
    const row = firstRow + r;
    for (let b = 0; b < blocks; b++) {
      const start = r * cols + b * blockSize;
      const end = Math.min(start + blockSize, (r + 1) * cols);
      let absMax = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(src[i]!);
        if (!Number.isFinite(a)) throw new Error(`${what}: non-finite value ${src[i]} at row ${row}, column ${i - r * cols}`);
        if (a > absMax) absMax = a;
      }
      const scale = Math.fround(absMax / INT8_MAX_CODE);
      dst.scales[row * blocks + b] = scale;
      const inv = scale > 0 ? 1 / scale : 0;
      const out = (row * blocks + b) * blockSize;
      let k = 0;
      for (let i = start; i < end; i++, k++) {
        const q = Math.round(src[i]! * inv);
        dst.codes[out + k] = INT8_ZERO_POINT + Math.max(-INT8_MAX_CODE, Math.min(INT8_MAX_CODE, q));
      }
      for (; k < blockSize; k++) dst.codes[out + k] = INT8_ZERO_POINT;
    }
  }
}

/** Quantises a whole [rows, cols] float32 tensor. */
export function quantizeInt8(t: F32Tensor, blockSize: number, what = 'weight'): Int8Blocks {
  if (t.shape.length !== 2) throw new Error(`${what}: int8 quantisation takes a 2-D weight, got shape [${t.shape.join(', ')}]`);
  const [rows, cols] = t.shape as [number, number];
  const dst = allocInt8Blocks(rows, cols, blockSize);
  quantizeRowsInt8(t.data, dst, 0, what);
  return dst;
}

/** The float32 weight [rows, cols] the codes stand for ((code − 128) · scale, as MatMulNBits computes it). */
export function dequantizeInt8(q: Int8Blocks): Float32Array {
  const blocks = int8BlockCount(q.cols, q.blockSize);
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) {
      const b = Math.floor(c / q.blockSize);
      const code = q.codes[(r * blocks + b) * q.blockSize + (c % q.blockSize)]!;
      out[r * q.cols + c] = (code - INT8_ZERO_POINT) * q.scales[r * blocks + b]!;
    }
  }
  return out;
}

/** What quantiseWeightInt8 reads: whole tensors, and row slices where the format allows it. */
export interface RowReadable {
  readonly path: string;
  getF32(name: string): F32Tensor;
  /** Rows [start, start + count) of a 2-D floating tensor, widened to float32. */
  getF32Rows?(name: string, start: number, count: number): Float32Array;
}

/** Rows read at once when a reader can slice: ~64 MB of float32 for a 4096-wide weight. */
const ROWS_PER_READ_BYTES = 64 << 20;

/**
 * Quantises checkpoint weight `name` of shape [rows, cols], a slice of rows at a time when the
 * reader supports it (so the float32 copy never exceeds ~64 MB), else from the whole tensor.
 */
export function quantizeWeightInt8(reader: RowReadable, name: string, shape: readonly number[], blockSize: number): Int8Blocks {
  if (shape.length !== 2) throw new Error(`${reader.path}: "${name}" has shape [${shape.join(', ')}]; int8 quantisation takes a 2-D weight`);
  const [rows, cols] = shape as [number, number];
  const what = `${reader.path}: "${name}"`;
  if (!reader.getF32Rows) return quantizeInt8(reader.getF32(name), blockSize, what);
  const dst = allocInt8Blocks(rows, cols, blockSize);
  const step = Math.max(1, Math.floor(ROWS_PER_READ_BYTES / (4 * cols)));
  for (let start = 0; start < rows; start += step) {
    const count = Math.min(step, rows - start);
    quantizeRowsInt8(reader.getF32Rows(name, start, count), dst, start, what);
  }
  return dst;
}
