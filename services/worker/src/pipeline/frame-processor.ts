import { UnrecoverableError, type Job } from 'bullmq';
import {
  FrameJobName,
  InvalidInputError,
  LedgerReason,
  recordOutcome,
  type CameraConfig,
  type BatchedFrame,
  type Detection,
  type FrameBatchJob,
  type FrameJob,
  type FrameResult,
  type FrameSummary,
  LIVE_FRAME_TTL_SECONDS,
  type Logger,
  type Redis,
  type RedisKeys,
  type RiverwatchConfig,
} from '@riverwatch/common';
import { InferenceError, type InferenceClient } from '@riverwatch/inference-client';
import {
  decodeDetections,
  DETECTIONS_OUTPUT,
  detectorOutputs,
  drawAnnotatedSnapshot,
  FRAME_INPUT,
  FRAME_PARAMETERS,
  identityTransform,
  inferTiles,
  maskToPng,
  resolveTiling,
  TILING_PARAMETER,
  type VisionThreads,
  type WaterMask,
} from '@riverwatch/vision';
import { FRAME_ALERT_TYPES, evaluateRules, markClosed } from '../alerts/alert-rules.ts';
import type { AlertService } from '../alerts/alert-service.ts';
import type { ReviewSampler } from '../labelling/review-sampler.ts';
import { detectionsCounted, frameLatency, framesProcessed } from '../metrics.ts';
import type { ModelCatalog } from '../model-catalog.ts';
import type { CameraStore, CommitOutcome } from '../repositories/camera-store.ts';
import type { EvidenceRepository } from '../repositories/evidence.ts';
import { updateTracks } from '../tracking/debris-tracker.ts';
import { DecodedMasks, type HeldMask } from './decoded-masks.ts';
import { Slots } from './slots.ts';
import { filterDebris } from './debris-filter.ts';
import { checkView, greyThumbnail } from './view-check.ts';

export interface FrameProcessorDeps {
  config: RiverwatchConfig;
  redis: Redis;
  keys: RedisKeys;
  inference: InferenceClient;
  models: ModelCatalog;
  cameras: CameraStore;
  alerts: AlertService;
  review: ReviewSampler;
  /** S3: each refreshed water mask is kept (masks bucket), a record of the water level over time. */
  evidence: EvidenceRepository;
  /** Plain-JS vision steps run in worker_threads so lock renewal never waits on them. */
  vision: VisionThreads;
  logger: Logger;
}

type Detector = Awaited<ReturnType<ModelCatalog['get']>>;
interface Detected {
  detections: Detection[];
  detectorVersion: string;
  inferenceMs: number;
}

/** How long a detector whose server refused `detections` (or whole frames) is served the old way before the worker asks again. */
const RAW_ONLY_RECHECK_MS = 60_000;

/** Frame → pre-process → inference → decode → water mask + zones → tracker → rules → writes. */
export class FrameProcessor {
  /** The cameras' water masks, decoded once per mask instead of once per frame. */
  private readonly masks = new DecodedMasks();
  /** Detectors whose server refused `detections`, until when: their raw output is asked for directly meanwhile. */
  private readonly rawOnlyUntil = new Map<string, number>();
  /** Detectors whose server refused whole frames, until when: their tiles are sent meanwhile. */
  private readonly tilesOnlyUntil = new Map<string, number>();
  /** Frames of batch jobs in progress at once in this worker. */
  private readonly slots: Slots;

  constructor(private readonly d: FrameProcessorDeps) {
    this.slots = new Slots(d.config.worker.concurrency);
  }

  /** A frame job's result (null when its camera was deleted while the frame waited), or a batch's. */
  async process(job: Job<FrameJob | FrameBatchJob>): Promise<FrameResult | BatchResult | null> {
    if (job.name === FrameJobName.batch) return this.processBatch(job as Job<FrameBatchJob>);
    const frame = job.data as FrameJob;
    const log = this.d.logger.child({ cameraId: frame.cameraId, frameId: frame.frameId, jobId: job.id });
    const bytes = await this.d.redis.getBuffer(this.d.keys.frame(frame.frameId));
    if (!bytes) {
      framesProcessed.inc({ outcome: 'expired' });
      await this.recordFailure(frame, LedgerReason.expired, log);
      throw new UnrecoverableError(`frame ${frame.frameId} bytes are gone (expired or never written)`);
    }
    return this.processFrame(frame, bytes, log);
  }

  /**
   * A batch's frames (FrameBatchJob): its bytes are read once; each camera's frames run in
   * capture order, cameras side by side, at most WORKER_CONCURRENCY frames at once in this
   * worker. A corrupt frame fails alone (in the ledger, as ever). Frames that hit a retryable
   * error (inference or S3 down) make the batch retry, and the retry skips the frames already
   * done (kept in the job's progress); on the last try they are entered as out of tries and the
   * batch completes.
   */
  private async processBatch(job: Job<FrameBatchJob>): Promise<BatchResult> {
    const { batchId, frames } = job.data;
    const log = this.d.logger.child({ batchId, jobId: job.id });
    const done = new Set(batchProgress(job.progress));
    const todo = frames.filter((f) => !done.has(f.frameId));
    const bytes = await this.d.redis.getBuffer(this.d.keys.frameBatch(batchId));
    if (!bytes) {
      for (const f of todo) {
        framesProcessed.inc({ outcome: 'expired' });
        await this.recordFailure(batchedFrameJob(f), LedgerReason.expired, log.child({ cameraId: f.cameraId, frameId: f.frameId }));
      }
      return { batchId, frames: frames.length, failed: todo.length };
    }
    const retry: BatchedFrame[] = [];
    let lastError: unknown;
    const byCamera = new Map<string, BatchedFrame[]>();
    for (const f of todo) {
      const list = byCamera.get(f.cameraId);
      if (list) list.push(f);
      else byCamera.set(f.cameraId, [f]);
    }
    await Promise.all(
      [...byCamera.values()].map(async (cameraFrames) => {
        for (const f of cameraFrames.sort((a, b) => a.seq - b.seq)) {
          const frameLog = log.child({ cameraId: f.cameraId, frameId: f.frameId });
          await this.slots.run(() => this.processFrame(batchedFrameJob(f), bytes.subarray(f.offset, f.offset + f.length), frameLog)).then(
            () => done.add(f.frameId),
            (err: unknown) => {
              if (err instanceof UnrecoverableError) {
                done.add(f.frameId); // corrupt: entered in the ledger already
                return;
              }
              frameLog.warn({ err }, 'frame of a batch failed; the batch retries it');
              retry.push(f);
              lastError = err;
            },
          );
        }
      }),
    );
    if (retry.length && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
      await job.updateProgress({ done: [...done] });
      throw lastError;
    }
    for (const f of retry) {
      framesProcessed.inc({ outcome: 'failed' });
      await this.recordFailure(batchedFrameJob(f), LedgerReason.outOfTries, log.child({ cameraId: f.cameraId, frameId: f.frameId }));
    }
    return { batchId, frames: frames.length, failed: retry.length };
  }

  private async processFrame(frame: FrameJob, bytes: Buffer, log: Logger): Promise<FrameResult | null> {
    const started = performance.now();
    const camera = await this.d.cameras.config(frame.cameraId, this.d.config.worker);
    if (!camera) return this.dropDeleted(frame, log);
    const detectorName = frame.detectorModel ?? camera.detectorModel;
    const detector = await this.d.models.get(detectorName);

    const { detections, detectorVersion, inferenceMs } = await this.detect(frame, camera, detectorName, detector, bytes, log);

    const mask = await this.waterMask(camera, frame, bytes);
    const inference = { detections, mask, detectorName, detectorVersion, inferenceMs, classes: detector.classes };
    if (frame.source === 'upload') {
      const frameResult = this.frameResult(frame, camera, inference);
      await this.storeUploadResult(frame, bytes, frameResult, detector.classes, mask.mask);
      return this.finish(frameResult, started, log);
    }
    const committed = await this.commitCameraFrame(frame, bytes, inference);
    if (committed === 'camera_deleted') return this.dropDeleted(frame, log);
    if (committed.outcome === 'duplicate') {
      log.info('frame already committed (re-delivery): no new counts or alerts');
      framesProcessed.inc({ outcome: 'duplicate' });
      return committed.result;
    }
    await this.d.review.consider(frame, bytes, detections, detector.classes);
    return this.finish(committed.result, started, log);
  }

  /**
   * The frame's detections in frame pixels. With INFERENCE_SEND_FRAMES the encoded frame goes to
   * the server, which tiles, detects and merges it (a frame request: ~60 KB on the wire instead
   * of ten 737 KB tiles); a server that does not take frames for this detector is sent the tiles
   * instead, and asked again after a minute.
   */
  private async detect(frame: FrameJob, camera: CameraConfig, detectorName: string, detector: Detector, bytes: Buffer, log: Logger): Promise<Detected> {
    if (this.d.config.inference.sendFrames && detectorOutputs(detector)?.includes(DETECTIONS_OUTPUT) && (this.tilesOnlyUntil.get(detectorName) ?? 0) <= Date.now()) {
      const whole = await this.detectByFrame(frame, camera, detectorName, detector, bytes, log);
      if (whole) return whole;
    }
    return this.detectByTiles(frame, camera, detectorName, detector, bytes, log);
  }

  private async detectByFrame(frame: FrameJob, camera: CameraConfig, detectorName: string, detector: Detector, bytes: Buffer, log: Logger): Promise<Detected | undefined> {
    const t0 = performance.now();
    const input = { name: FRAME_INPUT, datatype: 'UINT8' as const, shape: [bytes.byteLength], data: bytes };
    const parameters = camera.tiling ? { [TILING_PARAMETER]: JSON.stringify(camera.tiling) } : undefined;
    const result = await this.d.inference.infer(detectorName, [input], { requestId: frame.frameId, parameters }).catch(async (err: unknown) => {
      if (!(err instanceof InferenceError && err.codeName === 'INVALID_ARGUMENT')) throw err;
      if (err.message.startsWith(`input '${FRAME_INPUT}' is not a decodable image`)) return this.corrupt(frame, err, log);
      if (!err.message.includes(`no input '${FRAME_INPUT}'`) && !err.message.includes(`does not take '${FRAME_INPUT}'`)) throw err;
      this.tilesOnlyUntil.set(detectorName, Date.now() + RAW_ONLY_RECHECK_MS);
      log.warn({ model: detectorName, err: err.message }, 'the inference server does not take whole frames for this detector; sending its tiles');
      return undefined;
    });
    if (!result) return undefined;
    const inferenceMs = performance.now() - t0;
    frameLatency.observe({ step: 'inference' }, inferenceMs / 1000);
    const size = identityTransform(Number(result.parameters[FRAME_PARAMETERS.width] ?? frame.width), Number(result.parameters[FRAME_PARAMETERS.height] ?? frame.height));
    // A few hundred bytes already mapped and merged by the server: read here, on the event loop.
    const detections = decodeDetections(result.outputs, detector, [size])[0]!;
    return { detections, detectorVersion: result.modelVersion, inferenceMs };
  }

  private async detectByTiles(frame: FrameJob, camera: CameraConfig, detectorName: string, detector: Detector, bytes: Buffer, log: Logger): Promise<Detected> {
    const t0 = performance.now();
    // The camera's tiling override was checked when it was saved; the model's when it loaded.
    const tiling = resolveTiling(detector, camera.tiling);
    // Decoding is the first thing preprocess does: a corrupt frame fails here, once, without retries.
    const input = await this.d.vision.preprocessTiles(bytes, detector, tiling).catch(async (err: Error) => {
      if (!(err instanceof InvalidInputError)) throw err;
      return this.corrupt(frame, err, log);
    });
    frameLatency.observe({ step: 'preprocess' }, (performance.now() - t0) / 1000);
    const t1 = performance.now();
    let detectorVersion = '';
    // A frame's tiles go out together, in requests of at most maxBatchSize tiles. A model whose
    // config.json asks the server to post-process answers each tile's kept boxes (`detections`,
    // a few hundred bytes) instead of its raw grid; they are mapped and merged below as ever.
    const outputs = (this.rawOnlyUntil.get(detectorName) ?? 0) > Date.now() ? undefined : detectorOutputs(detector);
    const requests = await inferTiles(input, detector.maxBatchSize, async (tensor, shape, first) => {
      const inputs = [{ name: detector.input.name, datatype: detector.input.dtype, shape, data: tensor }];
      const requestId = first ? `${frame.frameId}-t${first}` : frame.frameId;
      const result = await this.d.inference.infer(detectorName, inputs, { requestId, outputs }).catch((err: unknown) => {
        // A server that does not post-process this model (yet: it reloads config.json within a
        // poll; or a Triton server) refuses the output: the raw one does the same job here.
        if (!(outputs?.includes(DETECTIONS_OUTPUT) && err instanceof InferenceError && err.codeName === 'INVALID_ARGUMENT' && err.message.includes(`'${DETECTIONS_OUTPUT}'`))) throw err;
        // Not asked again for a minute, so each frame does not pay a refused call first.
        this.rawOnlyUntil.set(detectorName, Date.now() + RAW_ONLY_RECHECK_MS);
        log.warn({ model: detectorName, err: err.message }, 'the inference server offers no detections output for this model; decoding its raw output here');
        return this.d.inference.infer(detectorName, inputs, { requestId });
      });
      detectorVersion = result.modelVersion;
      return result.outputs;
    });
    const inferenceMs = performance.now() - t1;
    frameLatency.observe({ step: 'inference' }, inferenceMs / 1000);
    const detections = await this.d.vision.decodeTileDetections(requests, detector, input.plan);
    return { detections, detectorVersion, inferenceMs };
  }

  /** A frame that cannot be decoded fails once, without retries, and is entered in the ledger. */
  private async corrupt(frame: FrameJob, err: Error, log: Logger): Promise<never> {
    framesProcessed.inc({ outcome: 'corrupt' });
    await this.recordFailure(frame, LedgerReason.corrupt, log);
    throw new UnrecoverableError(`frame ${frame.frameId} is corrupt: ${err.message}`);
  }

  private finish(result: FrameResult, started: number, log: Logger): FrameResult {
    result.latencyMs.total = Math.round((performance.now() - started) * 10) / 10;
    frameLatency.observe({ step: 'total' }, result.latencyMs.total / 1000);
    framesProcessed.inc({ outcome: 'ok' });
    log.debug({ detections: result.detections.length, ignored: result.ignored, coverage: result.coverage }, 'frame processed');
    return result;
  }

  /** Detections kept by the water mask and the camera's zones (counted by class and fate), as the frame's result. */
  private frameResult(frame: FrameJob, camera: CameraConfig, inf: InferenceOutcome): FrameResult {
    const filtered = filterDebris(inf.detections, inf.mask.mask, camera, frame);
    const keptByClass = countByClass(filtered.kept);
    for (const [cls, n] of Object.entries(countByClass(inf.detections))) {
      const kept = keptByClass[cls] ?? 0;
      if (kept) detectionsCounted.inc({ class: cls, fate: 'kept' }, kept);
      if (n > kept) detectionsCounted.inc({ class: cls, fate: 'ignored' }, n - kept);
    }
    return {
      frameId: frame.frameId,
      cameraId: frame.cameraId,
      width: frame.width,
      height: frame.height,
      detections: filtered.kept,
      ignored: filtered.ignored,
      coverage: filtered.coverage,
      waterShare: filtered.waterShare,
      models: { detector: inf.detectorName, detectorVersion: inf.detectorVersion, ...inf.mask.model },
      latencyMs: { total: 0, inference: Math.round(inf.inferenceMs * 10) / 10 },
    };
  }

  private async dropDeleted(frame: FrameJob, log: Logger): Promise<null> {
    log.info('camera deleted while its frame was queued: frame dropped');
    // Before the job completes: if this write fails the job retries and writes it then.
    await recordOutcome(this.d.redis, this.d.keys, frame.cameraId, frame.frameId, 'dropped', LedgerReason.cameraDeleted);
    framesProcessed.inc({ outcome: 'camera_deleted' });
    return null;
  }

  /** A frame that fails without retrying goes into the frame ledger first; the audit reads the job's state if this write is lost. */
  private async recordFailure(frame: FrameJob, reason: string, log: Logger): Promise<void> {
    await recordOutcome(this.d.redis, this.d.keys, frame.cameraId, frame.frameId, 'failed', reason).catch((err: Error) => log.warn({ err, reason }, 'frame ledger write failed'));
  }

  /**
   * Segment every N frames or when the mask is too old; otherwise reuse the camera's mask.
   * This worker's own copy decides while it is fresh, with no Redis read per frame; only when it
   * is not is the camera's mask in Redis looked at (another worker may have segmented since),
   * its PNG fetched only if it is a mask this worker does not hold. Each worker counts the
   * frames it used a mask for, so a camera is still segmented once per N frames overall: each
   * worker re-segments after N of its own.
   */
  private async waterMask(camera: CameraConfig, frame: FrameJob, bytes: Buffer): Promise<{ mask: WaterMask | null; model: { segmenter?: string; segmenterVersion?: string } }> {
    const segName = camera.segmenterModel;
    if (!segName || !(await this.d.models.has(segName))) return { mask: null, model: {} };
    const cacheable = frame.source === 'camera';
    if (cacheable) {
      const fresh = (m: { at: number; width: number; height: number; uses: number }) =>
        frame.capturedAt - m.at < camera.segmentMaxAgeSeconds * 1000 && m.uses < camera.segmentEveryFrames && m.width === frame.width && m.height === frame.height;
      const heldFresh = (h: HeldMask | undefined): h is HeldMask => !!h && fresh({ at: h.at, width: h.mask.width, height: h.mask.height, uses: h.uses });
      let held = this.masks.held(frame.cameraId);
      if (!heldFresh(held)) {
        const cached = await this.d.cameras.waterMaskInfo(frame.cameraId);
        const taken = cached && fresh(cached) ? await this.masks.get(frame.cameraId, cached, () => this.d.cameras.waterMaskPng(frame.cameraId)) : null;
        held = taken ? this.masks.held(frame.cameraId) : undefined;
      }
      if (heldFresh(held)) {
        this.masks.use(frame.cameraId);
        return { mask: held.mask, model: { segmenter: segName, segmenterVersion: held.version } };
      }
    }
    const seg = await this.d.models.get(segName);
    const input = await this.d.vision.preprocess(bytes, seg);
    const t = performance.now();
    const out = await this.d.inference.infer(segName, [{ name: seg.input.name, datatype: seg.input.dtype, shape: input.shape, data: input.tensor }], {
      requestId: `${frame.frameId}-seg`,
    });
    frameLatency.observe({ step: 'segmentation' }, (performance.now() - t) / 1000);
    const mask = await this.d.vision.decodeWaterMask(out.outputs, seg, input.transform, frame.width, frame.height);
    if (cacheable) {
      const png = await maskToPng(mask);
      await this.d.evidence.saveMask(frame.cameraId, frame.capturedAt, png);
      await this.d.cameras.saveWaterMask(frame.cameraId, { png, at: frame.capturedAt, width: mask.width, height: mask.height, version: out.modelVersion, uses: 1 });
      this.masks.remember(frame.cameraId, frame.capturedAt, out.modelVersion, mask);
    }
    return { mask, model: { segmenter: segName, segmenterVersion: out.modelVersion } };
  }

  private async storeUploadResult(frame: FrameJob, bytes: Buffer, result: FrameResult, classes: string[], mask: WaterMask | null): Promise<void> {
    const key = this.d.keys.frameResult(frame.frameId);
    const annotated = await drawAnnotatedSnapshot(bytes, result.detections, { mask: mask ?? undefined, classNames: classes });
    const fields: Record<string, Buffer | string> = { annotated, json: JSON.stringify(result) };
    if (mask) fields.mask = await maskToPng(mask);
    await this.d.redis.multi().hset(key, fields).expire(key, this.d.config.frameTtlSeconds).exec();
  }

  /**
   * The stateful part, one frame of a camera at a time (a per-camera lock), committed at most
   * once per frame id: 'duplicate' when it was committed before, 'camera_deleted' when its
   * camera is gone (read under the lock that the deletion's clean-up also takes, so a deleted
   * camera gets no new state after its clean-up). The camera's config is read fresh here, with
   * its memory, in one round trip: the frame's zones and rules are the camera's current ones.
   *
   * A frame captured after the newest one committed (the memory's committedUpTo) cannot have
   * been committed: nearly every frame. Any other (a re-delivery, a late frame) is looked up in
   * the history first, under the lock, so a duplicate touches no alert and writes nothing.
   *
   * The commit point is one script (CameraStore.commitFrame): summary, memory and live frame are
   * written together, or none of them, and the lock goes with them. A frame that fails before it
   * (S3 down while an alert's evidence is written, Redis gone) leaves no summary, so the job's
   * retry does the frame. What the failed try wrote is safe to write again: the tracker and rules
   * only move forward (a frame at or before the last one is 'late'), an open alert is taken with
   * NX, and an alert update skips a frame it already has.
   */
  private async commitCameraFrame(frame: FrameJob, bytes: Buffer, inf: InferenceOutcome): Promise<{ outcome: 'committed' | 'duplicate'; result: FrameResult } | 'camera_deleted'> {
    const thumb = await greyThumbnail(bytes);
    const { cameraId } = frame;
    const token = await this.d.cameras.lock(cameraId);
    let outcome: CommitOutcome | undefined;
    try {
      const { config: camera, memory: mem } = await this.d.cameras.readUnderLock(cameraId, this.d.config.worker);
      if (!camera) return 'camera_deleted';
      const result = this.frameResult(frame, camera, inf);
      if (frame.capturedAt <= mem.committedUpTo && (await this.d.cameras.isCommitted(cameraId, frame.frameId, frame.capturedAt))) return { outcome: 'duplicate', result };
      // A frame older than one already committed (parallel workers) still counts, but must not move the tracker back in time.
      const late = frame.seq <= mem.lastSeq && frame.capturedAt <= mem.lastCapturedAt;
      const counts = countByClass(result.detections);
      let newTracks = 0;
      let trackIds: number[] = [];
      let liveTtlSeconds = 0;
      if (!late) {
        const update = updateTracks(mem.tracker, result.detections.map((d) => ({ box: d.box, classId: d.classId })), frame.capturedAt);
        update.assigned.forEach((id, i) => {
          if (id) result.detections[i]!.trackId = id;
        });
        mem.tracker = update.state;
        newTracks = update.newlyConfirmed.length;
        trackIds = update.active;

        const view = checkView(thumb, mem.lastThumb ? Buffer.from(mem.lastThumb, 'base64') : null, mem.frozenFrames);
        mem.lastThumb = thumb.toString('base64');
        mem.frozenFrames = view.frozenFrames;
        const rules = evaluateRules(mem.rules, { at: frame.capturedAt, debrisCount: result.detections.length, coverage: result.coverage, viewBlocked: view.blocked }, camera.rules);
        mem.rules = rules.state;
        mem.lastSeq = frame.seq;
        mem.lastCapturedAt = frame.capturedAt;
        mem.committedUpTo = Math.max(mem.committedUpTo, frame.capturedAt);
        // The live frame's TTL is set every few minutes, not every frame: it lapses LIVE_FRAME_TTL_SECONDS
        // (less at most LIVE_TTL_REFRESH_MS) after the camera's last frame.
        if (Date.now() - mem.liveTtlSetAt >= LIVE_TTL_REFRESH_MS) {
          liveTtlSeconds = LIVE_FRAME_TTL_SECONDS;
          mem.liveTtlSetAt = Date.now();
        }

        let annotated: Promise<Buffer> | null = null;
        const evidence = {
          cameraId,
          frameId: frame.frameId,
          at: frame.capturedAt,
          classes: counts,
          coverage: result.coverage,
          trackIds: result.detections.flatMap((d) => (d.trackId ? [d.trackId] : [])),
          rawFrame: bytes,
          annotate: () => (annotated ??= drawAnnotatedSnapshot(bytes, result.detections, { mask: inf.mask.mask ?? undefined, classNames: inf.classes })),
        };
        for (const type of FRAME_ALERT_TYPES) {
          const decision = rules.decisions[type];
          if (decision === 'none') continue;
          const stillOpen = await this.d.alerts.apply(type, decision, evidence, mem.alertUpdates);
          if (!stillOpen) mem.rules = markClosed(mem.rules, type);
        }
      }
      const summary: FrameSummary = {
        frameId: frame.frameId,
        capturedAt: frame.capturedAt,
        processedAt: Date.now(),
        counts,
        coverage: result.coverage,
        trackIds,
        newTracks,
        models: { detector: `${result.models.detector}:${result.models.detectorVersion}`, ...(result.models.segmenter ? { segmenter: result.models.segmenter } : {}) },
        latencyMs: result.latencyMs.inference,
      };
      // A late frame changes neither the memory nor the live frame (only ever the newest).
      const state = late
        ? {}
        : { memory: mem, live: { frameId: frame.frameId, capturedAt: frame.capturedAt, width: frame.width, height: frame.height, detections: result.detections, jpeg: bytes }, liveTtlSeconds };
      outcome = await this.d.cameras.commitFrame(cameraId, token, summary, mem.committedUpTo, state);
      if (outcome === 'lock_lost') throw new Error(`camera ${cameraId}: lock lost before frame ${frame.frameId} committed (held past its TTL); the job retries`);
      return { outcome, result };
    } finally {
      // The commit script released the lock; any other way out releases it here.
      if (outcome !== 'committed') await this.d.cameras.unlock(cameraId, token).catch(() => {});
    }
  }
}

/** How often a commit refreshes the live frame's TTL. */
const LIVE_TTL_REFRESH_MS = 5 * 60_000;

/** What inference and the water mask gave for a frame, before its zones and rules. */
interface InferenceOutcome {
  detections: Detection[];
  mask: { mask: WaterMask | null; model: { segmenter?: string; segmenterVersion?: string } };
  detectorName: string;
  detectorVersion: string;
  inferenceMs: number;
  classes: string[];
}

/** A batch job's result: its frames, and how many of them failed (corrupt ones aside). */
export interface BatchResult {
  batchId: string;
  frames: number;
  failed: number;
}

/** Frame ids of a batch done by earlier tries (kept in the job's progress). */
export function batchProgress(progress: unknown): string[] {
  const done = (progress as { done?: unknown } | null)?.done;
  return Array.isArray(done) ? done.filter((id): id is string => typeof id === 'string') : [];
}

function batchedFrameJob(f: BatchedFrame): FrameJob {
  return { cameraId: f.cameraId, frameId: f.frameId, capturedAt: f.capturedAt, seq: f.seq, width: f.width, height: f.height, source: 'camera' };
}

export function countByClass(detections: Detection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of detections) counts[d.className] = (counts[d.className] ?? 0) + 1;
  return counts;
}

