// The decoders alone (no sharp, no onnxruntime): what the inference server's session threads import.
export * from './box.ts';
export * from './nms.ts';
export * from './decode-options.ts';
export * from './candidates.ts';
export * from './yolov5.ts';
export * from './ssd.ts';
export * from './ssd-nms.ts';
export * from './decode-detections.ts';
export * from './server-detections.ts';
