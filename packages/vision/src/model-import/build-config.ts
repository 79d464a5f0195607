import type { ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { Dim, OnnxInspection, OnnxValueInfo } from './inspect-onnx.ts';
import { parseClassNames } from './onnx-metadata.ts';
import type { BoxFormat } from '../decode/ssd-nms.ts';

export type ImportFormat = 'yolov5' | 'ssd' | 'ssd-nms' | 'segmentation';

export interface ImportOptions {
  format: ImportFormat;
  name: string;
  classes?: string[];
  /** Input size for exports with dynamic height/width (default 640, YOLOv5's). */
  size?: number;
  resize?: 'letterbox' | 'stretch';
  colorOrder?: 'RGB' | 'BGR';
  normalize?: ModelConfig['input']['normalize'];
}

const fmt = (shape: Dim[]) => `[${shape.map((d) => d ?? '?').join(',')}]`;

/** Input name, dtype, layout and size from the ONNX input; dynamic sizes take `size` (rounded to the stride). */
function readInput(x: OnnxInspection, opts: ImportOptions, stride: number): Pick<ModelConfig['input'], 'name' | 'dtype' | 'layout' | 'width' | 'height'> & { batch: Dim } {
  if (x.inputs.length !== 1) throw new ModelFormatError(`expected one image input, the model has ${x.inputs.length}: ${x.inputs.map((i) => i.name).join(', ')}`);
  const inp = x.inputs[0]!;
  if (!['FP32', 'FP16', 'UINT8'].includes(inp.datatype)) throw new ModelFormatError(`input ${inp.name} is ${inp.datatype}; expected FP32, FP16 or UINT8`);
  if (inp.shape.length !== 4) throw new ModelFormatError(`input ${inp.name} has shape ${fmt(inp.shape)}; expected an image batch [N,3,H,W] or [N,H,W,3]`);
  const layout = inp.shape[1] === 3 ? 'NCHW' : inp.shape[3] === 3 ? 'NHWC' : null;
  if (!layout) throw new ModelFormatError(`input ${inp.name} has shape ${fmt(inp.shape)}; expected 3 colour channels in NCHW or NHWC`);
  const [h, w] = layout === 'NCHW' ? [inp.shape[2], inp.shape[3]] : [inp.shape[1], inp.shape[2]];
  const dyn = Math.ceil((opts.size ?? 640) / stride) * stride;
  return { name: inp.name, dtype: inp.datatype as ModelConfig['input']['dtype'], layout, width: w ?? dyn, height: h ?? dyn, batch: inp.shape[0]! };
}

function resolveClasses(opts: ImportOptions, x: OnnxInspection, expected: Dim, what: string): string[] {
  const classes = opts.classes?.length ? opts.classes : parseClassNames(x.metadata.names);
  if (!classes?.length) {
    throw new ModelFormatError(`no class names: the export has no \`names\` metadata${expected ? ` (it has ${expected} classes)` : ''}; pass --classes a,b,...`);
  }
  if (expected !== null && classes.length !== expected) {
    throw new ModelFormatError(`${classes.length} class names given, but the ${what} has ${expected} classes`);
  }
  return classes;
}

const outputsOf = (list: OnnxValueInfo[]) => list.map((o) => ({ name: o.name, dtype: o.datatype, dims: o.shape.map((d) => d ?? -1) }));

/** A complete config.json for an inspected ONNX file, or a ModelFormatError saying what does not fit. */
export function buildModelConfig(x: OnnxInspection, opts: ImportOptions): ModelConfig & { boxFormat?: BoxFormat } {
  const stride = Number(x.metadata.stride) > 0 ? Number(x.metadata.stride) : 32;
  const input = readInput(x, opts, stride);
  const unit = { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] };
  const base = {
    name: opts.name,
    platform: 'onnxruntime_onnx' as const,
    input: {
      name: input.name,
      dtype: input.dtype,
      layout: input.layout,
      width: input.width,
      height: input.height,
      colorOrder: opts.colorOrder ?? 'RGB',
      resize: opts.resize ?? (opts.format === 'ssd' || opts.format === 'ssd-nms' ? 'stretch' : 'letterbox'),
      padValue: 114,
      normalize: opts.normalize ?? unit,
    },
    // A static batch of 1 cannot be batched; dynamic batch exports can.
    maxBatchSize: input.batch === null ? 8 : input.batch,
  };
  const names = x.outputs.map((o) => `${o.name}${fmt(o.shape)}`).join(', ');

  switch (opts.format) {
    case 'yolov5': {
      const out = x.outputs.find((o) => o.name === 'output0') ?? x.outputs.find((o) => o.name === 'output') ?? (x.outputs.length === 1 ? x.outputs[0] : undefined);
      if (!out) throw new ModelFormatError(`unknown YOLOv5 output layout: expected an output named output0 or output, got ${names}`);
      if (out.shape.length !== 3) throw new ModelFormatError(`unknown YOLOv5 output layout: ${out.name}${fmt(out.shape)}; expected [batch, rows, 5 + classes]`);
      const last = out.shape[2]!;
      if (last !== null && last < 6) throw new ModelFormatError(`wrong dims: ${out.name}${fmt(out.shape)} has ${last} values per row; YOLOv5 needs 5 + at least one class`);
      const classes = resolveClasses(opts, x, last === null ? null : last - 5, `output ${out.name}${fmt(out.shape)}`);
      return { ...base, task: 'detect', format: 'yolov5', outputs: outputsOf([out]), classes, thresholds: { score: 0.25, iou: 0.45 } };
    }
    case 'ssd': {
      const boxes = x.outputs.find((o) => o.name === 'boxes');
      const scores = x.outputs.find((o) => o.name === 'scores');
      if (!boxes || !scores) throw new ModelFormatError(`unknown SSD output layout: expected outputs boxes [batch, anchors, 4] and scores [batch, anchors, 1 + classes], got ${names}`);
      if (boxes.shape.length !== 3 || (boxes.shape[2] !== null && boxes.shape[2] !== 4)) throw new ModelFormatError(`wrong dims: boxes${fmt(boxes.shape)}; expected [batch, anchors, 4]`);
      if (scores.shape.length !== 3) throw new ModelFormatError(`wrong dims: scores${fmt(scores.shape)}; expected [batch, anchors, 1 + classes]`);
      if (boxes.shape[1] !== null && scores.shape[1] !== null && boxes.shape[1] !== scores.shape[1]) throw new ModelFormatError(`wrong dims: boxes${fmt(boxes.shape)} and scores${fmt(scores.shape)} disagree on the anchor count`);
      const cols = scores.shape[2]!;
      if (cols !== null && cols < 2) throw new ModelFormatError(`wrong dims: scores${fmt(scores.shape)}; expected background + at least one class`);
      const classes = resolveClasses(opts, x, cols === null ? null : cols - 1, `scores output (background + classes)`);
      return { ...base, task: 'detect', format: 'ssd', outputs: outputsOf([boxes, scores]), classes, thresholds: { score: 0.3, iou: 0.45 } };
    }
    case 'ssd-nms': {
      // torchvision-style names, or TensorFlow Object Detection API names (boxes as ymin, xmin, ymax, xmax).
      const tf = x.outputs.some((o) => o.name === 'detection_boxes');
      const want = tf ? ['detection_boxes', 'detection_scores', 'detection_classes'] : ['boxes', 'scores', 'labels'];
      const outs = want.map((n) => x.outputs.find((o) => o.name === n));
      if (outs.some((o) => !o)) throw new ModelFormatError(`unknown post-NMS SSD output layout: expected outputs boxes, scores and labels (or detection_boxes, detection_scores, detection_classes), got ${names}`);
      const [boxes] = outs as OnnxValueInfo[];
      if (boxes!.shape.at(-1) !== null && boxes!.shape.at(-1) !== 4) throw new ModelFormatError(`wrong dims: ${boxes!.name}${fmt(boxes!.shape)}; expected [batch, K, 4]`);
      const classes = resolveClasses(opts, x, null, 'model');
      const extra = x.outputs.filter((o) => o.name === 'num_detections');
      return {
        ...base,
        task: 'detect',
        format: 'ssd-nms',
        outputs: outputsOf([...(outs as OnnxValueInfo[]), ...extra]),
        classes,
        thresholds: { score: 0.3, iou: 0.45 },
        ...(tf ? { boxFormat: 'y1x1y2x2' } : {}),
      };
    }
    case 'segmentation': {
      const out = x.outputs.find((o) => o.name === 'logits') ?? (x.outputs.length === 1 ? x.outputs[0] : undefined);
      if (!out) throw new ModelFormatError(`unknown segmentation output layout: expected one output (or one named logits), got ${names}`);
      if (out.shape.length !== 4 || (out.shape[1] !== null && out.shape[1] !== 1 && out.shape[1] !== 2)) {
        throw new ModelFormatError(`wrong dims: ${out.name}${fmt(out.shape)}; expected [batch, 1 or 2, H, W]`);
      }
      return { ...base, task: 'segment', format: 'segmentation', outputs: outputsOf([out]), classes: opts.classes?.length ? opts.classes : ['water'], thresholds: { score: 0.5, iou: 0 } };
    }
    default:
      throw new ModelFormatError(`unknown format ${String(opts.format)}: expected yolov5, ssd, ssd-nms or segmentation`);
  }
}
