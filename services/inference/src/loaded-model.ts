import type { Logger } from '@riverwatch/common';
import { DETECTION_ROW, DETECTIONS_OUTPUT, serverPostprocess } from '@riverwatch/vision/decode';
import { kserveTypeOf, type KserveDatatype } from './datatypes.ts';
import { invalidArgument } from './infer-error.ts';
import { ModelInstance } from './model-instance.ts';
import type { ServedModelConfig } from './model-repository.ts';
import { ModelScheduler, type QueuedRequest } from './model-scheduler.ts';
import type { SessionPostprocess, SessionWorkerData } from './session-protocol.ts';
import type { OutputTensor, RequestTensor } from './tensor-codec.ts';

export interface TensorMetadata {
  name: string;
  datatype: KserveDatatype;
  /** -1 for variable dimensions (the batch dimension included). */
  shape: number[];
}

export interface EngineOptions {
  providers: string[];
  requireGpu: boolean;
  intraOpThreads: number;
}

const DEFAULT_QUEUE_SIZE = 1024;

/** One version of one model: its instances, scheduler and tensor contract. */
export class LoadedModel {
  private constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ServedModelConfig,
    readonly inputs: TensorMetadata[],
    readonly outputs: TensorMetadata[],
    readonly provider: string,
    readonly fallback: string | undefined,
    private readonly scheduler: ModelScheduler,
  ) {}

  static async load(
    config: ServedModelConfig,
    version: string,
    modelPath: string,
    engine: EngineOptions,
    logger: Logger,
  ): Promise<LoadedModel> {
    const postprocess = sessionPostprocess(config);
    const data: SessionWorkerData = { modelPath, ...engine, postprocess };
    const count = config.instances ?? 1;
    const started = await Promise.allSettled(Array.from({ length: count }, () => ModelInstance.start(data)));
    const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.all(instances.map((i) => i.stop()));
      throw failure.reason as Error;
    }
    const info = instances[0].info;
    const toMeta = (t: { name: string; type: string; shape: number[] }): TensorMetadata => {
      const datatype = kserveTypeOf(t.type);
      if (!datatype) throw new Error(`${config.name}: tensor '${t.name}' has type ${t.type}, which riverwatch does not serve`);
      return { name: t.name, datatype, shape: t.shape };
    };
    let inputs: TensorMetadata[];
    let outputs: TensorMetadata[];
    try {
      inputs = info.inputs.map(toMeta);
      outputs = info.outputs.map(toMeta);
      if (postprocess) {
        if (outputs.some((o) => o.name === DETECTIONS_OUTPUT)) throw new Error(`${config.name}/config.json: postprocess is on, but the model already has an output named '${DETECTIONS_OUTPUT}'`);
        // Advertised like any output (ModelMetadata); a model without a batch dimension answers one item.
        outputs.push({ name: DETECTIONS_OUTPUT, datatype: postprocess.datatype, shape: [config.maxBatchSize > 0 ? -1 : 1, -1, DETECTION_ROW] });
      }
      if (config.maxBatchSize > 0 && [...inputs, ...outputs].some((t) => t.shape.length === 0)) {
        throw new Error(`${config.name}: maxBatchSize > 0 but a tensor has no dimension to batch along`);
      }
    } catch (err) {
      await Promise.all(instances.map((i) => i.stop()));
      throw err;
    }
    // Stacking needs every input's dim 0 to be free; a static export (dim 0 = 1) runs one by one.
    const canStack = config.maxBatchSize > 1 && !!config.dynamicBatching && inputs.every((t) => t.shape[0] === -1);
    const scheduler = new ModelScheduler({
      label: config.name,
      instances,
      maxBatchSize: config.maxBatchSize,
      stack: canStack,
      maxQueueDelayMs: config.dynamicBatching?.maxQueueDelayMs ?? 0,
      maxQueueSize: config.dynamicBatching?.maxQueueSize ?? DEFAULT_QUEUE_SIZE,
      outputTypes: new Map(outputs.map((o) => [o.name, o.datatype])),
      logger,
      respawn: () => ModelInstance.start(data),
    });
    return new LoadedModel(config.name, version, config, inputs, outputs, info.provider, info.fallback, scheduler);
  }

  /** Checks the request against the model's tensors; every message names the problem. */
  prepare(tensors: RequestTensor[], requestedOutputs: string[]): Omit<QueuedRequest, 'deadline' | 'isCancelled'> {
    const byName = new Map<string, RequestTensor>();
    for (const t of tensors) {
      if (byName.has(t.name)) throw invalidArgument(`input '${t.name}' is given twice`);
      if (!this.inputs.some((i) => i.name === t.name)) {
        throw invalidArgument(`model ${this.name} has no input '${t.name}' (inputs: ${this.inputs.map((i) => i.name).join(', ')})`);
      }
      byName.set(t.name, t);
    }
    const maxBatch = this.config.maxBatchSize;
    let batch = 1;
    const ordered = this.inputs.map((spec, idx) => {
      const t = byName.get(spec.name);
      if (!t) throw invalidArgument(`model ${this.name} needs input '${spec.name}', which the request lacks`);
      if (t.datatype !== spec.datatype) {
        throw invalidArgument(`input '${t.name}' has datatype ${t.datatype}; model ${this.name} expects ${spec.datatype}`);
      }
      const shapeOk =
        t.shape.length === spec.shape.length && t.shape.every((d, i) => spec.shape[i] === -1 || spec.shape[i] === d);
      if (!shapeOk) {
        throw invalidArgument(`input '${t.name}' has shape [${t.shape.join(',')}]; model ${this.name} expects [${spec.shape.join(',')}]`);
      }
      if (maxBatch > 0) {
        const b = t.shape[0];
        if (b < 1 || b > maxBatch) throw invalidArgument(`input '${t.name}' has batch size ${b}; model ${this.name} takes 1 to ${maxBatch}`);
        if (idx > 0 && b !== batch) throw invalidArgument(`input '${t.name}' has batch size ${b}, other inputs have ${batch}`);
        batch = b;
      }
      return t;
    });
    // A model that post-processes answers its small `detections` unless the raw outputs are asked for by name.
    const outputs = requestedOutputs.length ? requestedOutputs : this.postprocesses ? [DETECTIONS_OUTPUT] : this.outputs.map((o) => o.name);
    for (const o of outputs) {
      if (!this.outputs.some((m) => m.name === o)) {
        throw invalidArgument(`model ${this.name} has no output '${o}' (outputs: ${this.outputs.map((m) => m.name).join(', ')})`);
      }
    }
    const key = ordered.map((t) => t.shape.slice(maxBatch > 0 ? 1 : 0).join('x')).join('|') + '>' + outputs.join(',');
    return { inputs: ordered, outputs, batch, key };
  }

  get postprocesses(): boolean {
    return this.outputs.some((o) => o.name === DETECTIONS_OUTPUT);
  }

  infer(req: QueuedRequest): Promise<OutputTensor[]> {
    return this.scheduler.submit(req);
  }

  /** Stops taking work, lets queued and running requests finish, then ends the sessions. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}

/** config.json's postprocess block, resolved for the session threads; undefined when off. */
function sessionPostprocess(config: ServedModelConfig): SessionPostprocess | undefined {
  if (!config.postprocess?.enabled) return undefined;
  const resolved = serverPostprocess(config as Parameters<typeof serverPostprocess>[0]);
  if (!resolved) return undefined;
  return { ...resolved, inputWidth: config.input?.width ?? 0, inputHeight: config.input?.height ?? 0, label: `${config.name}/config.json` };
}
