// Check an exported model.onnx against PyTorch's reference outputs.
//   node training/verify_onnx.mjs data/training-cache/verify/<model-name>
// Feeds the saved batch-2 input through onnxruntime-node and prints the max
// absolute difference per output; exits 1 if any exceeds 1e-3.
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
const f32 = (p) => { const b = readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const session = await ort.InferenceSession.create(meta.model);
const out = await session.run({ images: new ort.Tensor('float32', f32(join(dir, 'images.bin')), meta.input) });
let bad = false;
for (const [name, shape] of Object.entries(meta.outputs)) {
  const ref = f32(join(dir, name + '.bin'));
  const got = out[name];
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i] - got.data[i]));
  const okShape = JSON.stringify(got.dims) === JSON.stringify(shape);
  console.log(`${name}: dims ${JSON.stringify(got.dims)} (torch ${JSON.stringify(shape)}) max|diff| ${max.toExponential(2)}`);
  if (!okShape || max > 1e-3) bad = true;
}
process.exit(bad ? 1 : 0);
