/** Every tensor of a ContourInference state dict with its shape (InstanceNorms have none). */
export interface ScribbleShapeConfig {
  /** Widths of the three resolutions, [64, 128, 256] in the released checkpoint. */
  readonly widths: readonly [number, number, number];
  readonly residualBlocks: number;
  readonly inputChannels?: number;
  readonly outputChannels?: number;
}

export function scribbleWeightShapes(cfg: ScribbleShapeConfig): Map<string, number[]> {
  const [w0, w1, w2] = cfg.widths;
  const cin = cfg.inputChannels ?? 3;
  const cout = cfg.outputChannels ?? 1;
  const m = new Map<string, number[]>();
  const conv = (key: string, shape: number[], bias: number) => {
    m.set(`${key}.weight`, shape);
    m.set(`${key}.bias`, [bias]);
  };
  conv('model0.1', [w0, cin, 7, 7], w0);
  conv('model1.0', [w1, w0, 3, 3], w1);
  conv('model1.3', [w2, w1, 3, 3], w2);
  for (let k = 0; k < cfg.residualBlocks; k++) {
    conv(`model2.${k}.conv_block.1`, [w2, w2, 3, 3], w2);
    conv(`model2.${k}.conv_block.5`, [w2, w2, 3, 3], w2);
  }
  // ConvTranspose weights are [in, out, k, k].
  conv('model3.0', [w2, w1, 3, 3], w1);
  conv('model3.3', [w1, w0, 3, 3], w0);
  conv('model4.1', [cout, w0, 7, 7], cout);
  return m;
}
