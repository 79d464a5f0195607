import { checkTiling, ConfigError, InvalidInputError, type TilingOverride } from '@riverwatch/common';
import type { InferParameter__Output } from '@riverwatch/proto';
import {
  DETECTIONS_OUTPUT,
  FRAME_INPUT,
  FRAME_PARAMETERS,
  frameDetectionsTensor,
  inferTiles,
  resolveTiling,
  TILING_PARAMETER,
  VisionThreads,
} from '@riverwatch/vision';
import { invalidArgument } from './infer-error.ts';
import type { LoadedModel } from './loaded-model.ts';
import type { QueuedRequest } from './model-scheduler.ts';
import type { OutputTensor, RequestTensor } from './tensor-codec.ts';

export interface FrameAnswer {
  outputs: OutputTensor[];
  parameters: Record<string, { int64_param: number }>;
}

/** A request whose one input is an encoded frame (FRAME_INPUT) rather than the model's tensors. */
export function isFrameRequest(inputs: readonly { name: string }[]): boolean {
  return inputs.length === 1 && inputs[0]!.name === FRAME_INPUT;
}

/**
 * Frame requests (see FRAME_INPUT): one encoded frame in, the frame's merged detections out,
 * as Triton's ensembles put pre-processing in front of a model. The worker then sends ~60 KB of
 * JPEG per frame instead of its tiles' tensors (10 x 737 KB for a tiled 1280x720 frame), and the
 * tiles meet the dynamic batcher together. Every step is the worker's own (packages/vision):
 * decoding and tile packing on `vision` threads, the tiles through the model's scheduler with
 * its `detections` post-processing on the session threads, mapping and merging on `vision`
 * threads; so a frame request finds what the worker finds sending the tiles itself.
 */
export class FrameRequests {
  private threads?: VisionThreads;

  /** `threads` vision threads, started at the first frame request (a server nobody sends frames to starts none). */
  constructor(private readonly threadCount: number) {}

  private get vision(): VisionThreads {
    return (this.threads ??= new VisionThreads(this.threadCount));
  }

  async detect(model: LoadedModel, frame: RequestTensor, parameters: Record<string, InferParameter__Output>, request: Pick<QueuedRequest, 'deadline' | 'isCancelled'>): Promise<FrameAnswer> {
    const detections = model.outputs.find((o) => o.name === DETECTIONS_OUTPUT);
    if (model.config.task !== 'detect' || !detections || !model.config.input) {
      throw invalidArgument(`model ${model.name} does not take '${FRAME_INPUT}': frame requests need a detector whose config.json turns postprocess on`);
    }
    if (frame.datatype !== 'UINT8' || frame.shape.length !== 1 || frame.shape[0] !== frame.data.byteLength || !frame.data.byteLength) {
      throw invalidArgument(`input '${FRAME_INPUT}' must be UINT8 [bytes] holding one encoded image; got ${frame.datatype} [${frame.shape.join(',')}] with ${frame.data.byteLength} bytes`);
    }
    const config = { ...model.config, input: model.config.input, format: model.config.format!, classes: model.config.classes ?? [], thresholds: model.config.thresholds! };
    const tiling = resolveTiling(config, tilingOverride(parameters[TILING_PARAMETER]));
    const batch = await this.vision.preprocessTiles(frame.data, config, tiling).catch((err: Error) => {
      throw err instanceof InvalidInputError ? invalidArgument(`input '${FRAME_INPUT}' is not a decodable image: ${err.message}`) : err;
    });
    const [input] = model.inputs;
    const requests = await inferTiles(batch, model.config.maxBatchSize, async (tensor, shape) => {
      // The scheduler may move a request's buffer to a session thread: each request gets its own.
      const data = tensor.byteLength === tensor.buffer.byteLength ? tensor : Buffer.from(tensor);
      const prepared = model.prepare([{ name: input!.name, datatype: input!.datatype, shape, data }], [DETECTIONS_OUTPUT]);
      return model.infer({ ...prepared, ...request });
    });
    const merged = await this.vision.decodeTileDetections(requests, config, batch.plan);
    const datatype = detections.datatype === 'FP32' ? 'FP32' : 'FP64';
    const { plan } = batch;
    return {
      outputs: [{ name: DETECTIONS_OUTPUT, datatype, ...frameDetectionsTensor(merged, datatype) }],
      parameters: {
        [FRAME_PARAMETERS.width]: { int64_param: plan.frameWidth },
        [FRAME_PARAMETERS.height]: { int64_param: plan.frameHeight },
        [FRAME_PARAMETERS.tiles]: { int64_param: plan.tiles.length },
      },
    };
  }

  async close(): Promise<void> {
    await this.threads?.close();
  }
}

/** The request's `tiling` parameter (a camera's override, JSON), checked like a camera's. */
function tilingOverride(p: InferParameter__Output | undefined): TilingOverride | undefined {
  if (!p) return undefined;
  const text = p.string_param;
  let value: unknown;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`parameter '${TILING_PARAMETER}' must be a JSON object of tiling settings (enabled, tileWidth, tileHeight, overlap, fullFrame)`);
  }
  const allowed = new Set(['enabled', 'tileWidth', 'tileHeight', 'overlap', 'fullFrame']);
  const unknown = Object.keys(value).find((k) => !allowed.has(k));
  if (unknown) throw invalidArgument(`parameter '${TILING_PARAMETER}' has an unknown field '${unknown}'`);
  try {
    checkTiling(value as TilingOverride);
  } catch (err) {
    throw err instanceof ConfigError ? invalidArgument(`parameter '${TILING_PARAMETER}': ${err.message}`) : err;
  }
  return value as TilingOverride;
}
