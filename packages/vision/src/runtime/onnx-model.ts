import type { Detection, ModelConfig, TilingOverride } from '@riverwatch/common';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeDetections } from '../decode/decode-detections.ts';
import type { DecodeOptions } from '../decode/decode-options.ts';
import { decodeSegmentation, segmentationThreshold } from '../mask/segmentation.ts';
import type { WaterMask } from '../mask/water-mask.ts';
import { preprocessBatch } from '../preprocess/preprocess.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';
import { resolveTiling } from '../tiling/tile-plan.ts';
import { detectFrame } from '../tiling/tiled-detect.ts';
import { datatypeToOrtType, ortTypeToDatatype } from './ort-types.ts';

export interface DetectOptions extends DecodeOptions {
  /** Overrides the model's tiling (config.json), as a camera's setting does in the worker. */
  tiling?: TilingOverride;
}

export interface OnnxModelOptions {
  /** onnxruntime intra-op threads (0 = its default, all cores). */
  threads?: number;
}

/**
 * A model run in this process with onnxruntime-node, with the same pre- and
 * post-processing the worker applies. For the CLI (eval, detect, compare):
 * session.run blocks the calling thread, so services use the inference server.
 */
export class OnnxModel {
  private constructor(
    readonly config: ModelConfig,
    private readonly session: InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
  ) {}

  static async open(onnxPath: string, config: ModelConfig, opts: OnnxModelOptions = {}): Promise<OnnxModel> {
    // Loaded lazily: only the CLI needs the native runtime in-process.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: opts.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OnnxModel(config, session, ort);
  }

  /** Runs raw input bytes; returns every output as an InferTensor. */
  async infer(tensor: Buffer, shape: number[]): Promise<InferTensor[]> {
    const type = datatypeToOrtType(this.config.input.dtype);
    const n = shape.reduce((a, b) => a * b, 1);
    const view =
      type === 'float32' ? new Float32Array(tensor.buffer, tensor.byteOffset, n) : type === 'float16' ? new Uint16Array(tensor.buffer, tensor.byteOffset, n) : new Uint8Array(tensor.buffer, tensor.byteOffset, n);
    const input = new this.ort.Tensor(type, view, shape);
    const results = await this.session.run({ [this.config.input.name]: input });
    return this.session.outputNames.map((name) => toInferTensor(name, results[name] as Tensor));
  }

  /** Detections per frame, in frame pixels; tiled as the model's config (or opts.tiling) says. */
  async detect(frames: Uint8Array[], opts: DetectOptions = {}): Promise<Detection[][]> {
    const { tiling: override, ...decode } = opts;
    const tiling = resolveTiling(this.config, override);
    const out: Detection[][] = [];
    if (tiling) {
      for (const f of frames) out.push((await detectFrame(f, this.config, tiling, (t, shape) => this.infer(t, shape), decode)).detections);
      return out;
    }
    for (const chunk of this.chunks(frames)) {
      const batch = await preprocessBatch(chunk, this.config);
      const outputs = await this.infer(batch.tensor, batch.shape);
      out.push(...decodeDetections(outputs, this.config, batch.transforms, decode));
    }
    return out;
  }

  /** Water masks per frame, at frame size. */
  async segment(frames: Uint8Array[]): Promise<WaterMask[]> {
    const out: WaterMask[] = [];
    for (const chunk of this.chunks(frames)) {
      const batch = await preprocessBatch(chunk, this.config);
      const outputs = await this.infer(batch.tensor, batch.shape);
      out.push(...decodeSegmentation(outputs, batch.transforms, { threshold: segmentationThreshold(this.config) }));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private *chunks(frames: Uint8Array[]): Generator<Uint8Array[]> {
    const size = Math.max(1, this.config.maxBatchSize || 1);
    for (let i = 0; i < frames.length; i += size) yield frames.slice(i, i + size);
  }
}

function toInferTensor(name: string, t: Tensor): InferTensor {
  const data = t.data as unknown as ArrayBufferView;
  return { name, datatype: ortTypeToDatatype(t.type), shape: [...t.dims], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}
