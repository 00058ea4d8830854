/**
 * Our own host tensor type. Everything outside `src/model/runtime` sees this, never an
 * onnxruntime tensor (one module owns the ORT seam).
 */
export type DType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface DTypeArrays {
  float32: Float32Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArrays[D];
}

export type F32Tensor = Tensor<'float32'>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function f32(shape: readonly number[], data?: Float32Array | number[]): F32Tensor {
  const n = numel(shape);
  const arr = data === undefined ? new Float32Array(n) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== n) throw new Error(`tensor data has ${arr.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  return { dtype: 'float32', shape: [...shape], data: arr };
}

export function i64(shape: readonly number[], data: BigInt64Array | number[]): Tensor<'int64'> {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  if (arr.length !== numel(shape)) throw new Error(`int64 tensor data has ${arr.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
  return { dtype: 'int64', shape: [...shape], data: arr };
}

/** Same data, new shape (element count must match). */
export function reshape<D extends DType>(t: Tensor<D>, shape: readonly number[]): Tensor<D> {
  if (numel(shape) !== numel(t.shape)) {
    throw new Error(`cannot reshape [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}
