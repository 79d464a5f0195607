/** One onnxruntime session with the server's options and a fixed random input; run() resolves to its compute ms. */
import * as ort from 'onnxruntime-node';
import { sessionOptions } from '@riverwatch/inference';

const ELEMENTS: Partial<Record<string, (n: number) => ort.Tensor['data']>> = {
  uint8: (n) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256)),
  float32: (n) => Float32Array.from({ length: n }, () => Math.random()),
};

export async function floorSession(modelPath: string, threads: number, provider: 'cpu' | 'cuda' = 'cpu'): Promise<() => Promise<number>> {
  const session = await ort.InferenceSession.create(modelPath, { ...sessionOptions(threads), executionProviders: [provider] });
  const meta = session.inputMetadata[0];
  if (!meta.isTensor || !ELEMENTS[meta.type]) throw new Error(`floor benchmark: unsupported input ${meta.name}`);
  const shape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const input = new ort.Tensor(meta.type as 'uint8', ELEMENTS[meta.type]!(shape.reduce((a, b) => a * b, 1)) as Uint8Array, shape);
  return async () => {
    const t0 = performance.now();
    await session.run({ [meta.name]: input });
    return performance.now() - t0;
  };
}
