import { UnrecoverableError, type Job } from 'bullmq';
import {
  InvalidInputError,
  LedgerReason,
  recordOutcome,
  type CameraConfig,
  type Detection,
  type FrameJob,
  type FrameResult,
  type FrameSummary,
  type Logger,
  type Redis,
  type RedisKeys,
  type RiverwatchConfig,
} from '@riverwatch/common';
import { InferenceError, type InferenceClient } from '@riverwatch/inference-client';
import { DETECTIONS_OUTPUT, detectorOutputs, drawAnnotatedSnapshot, inferTiles, maskToPng, resolveTiling, type VisionThreads, type WaterMask } from '@riverwatch/vision';
import { FRAME_ALERT_TYPES, evaluateRules, markClosed } from '../alerts/alert-rules.ts';
import type { AlertService } from '../alerts/alert-service.ts';
import type { ReviewSampler } from '../labelling/review-sampler.ts';
import { detectionsCounted, frameLatency, framesProcessed } from '../metrics.ts';
import type { ModelCatalog } from '../model-catalog.ts';
import type { CameraStore } from '../repositories/camera-store.ts';
import type { EvidenceRepository } from '../repositories/evidence.ts';
import { updateTracks } from '../tracking/debris-tracker.ts';
import { DecodedMasks } from './decoded-masks.ts';
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

/** Frame → pre-process → inference → decode → water mask + zones → tracker → rules → writes. */
/** How long a detector whose server refused `detections` is served raw before the worker asks again. */
const RAW_ONLY_RECHECK_MS = 60_000;

export class FrameProcessor {
  /** The cameras' water masks, decoded once per mask instead of once per frame. */
  private readonly masks = new DecodedMasks();
  /** Detectors whose server refused `detections`, until when: their raw output is asked for directly meanwhile. */
  private readonly rawOnlyUntil = new Map<string, number>();

  constructor(private readonly d: FrameProcessorDeps) {}

  /** The frame's result; null when its camera was deleted while the frame waited (dropped, counted). */
  async process(job: Job<FrameJob>): Promise<FrameResult | null> {
    const started = performance.now();
    const frame = job.data;
    const log = this.d.logger.child({ cameraId: frame.cameraId, frameId: frame.frameId, jobId: job.id });
    const bytes = await this.d.redis.getBuffer(this.d.keys.frame(frame.frameId));
    if (!bytes) {
      framesProcessed.inc({ outcome: 'expired' });
      await this.recordFailure(frame, LedgerReason.expired, log);
      throw new UnrecoverableError(`frame ${frame.frameId} bytes are gone (expired or never written)`);
    }

    const camera = await this.d.cameras.config(frame.cameraId, this.d.config.worker);
    if (!camera) return this.dropDeleted(frame, log);
    const detectorName = frame.detectorModel ?? camera.detectorModel;
    const detector = await this.d.models.get(detectorName);

    const t0 = performance.now();
    // The camera's tiling override was checked when it was saved; the model's when it loaded.
    const tiling = resolveTiling(detector, camera.tiling);
    // Decoding is the first thing preprocess does: a corrupt frame fails here, once, without retries.
    const input = await this.d.vision.preprocessTiles(bytes, detector, tiling).catch(async (err: Error) => {
      if (!(err instanceof InvalidInputError)) throw err;
      framesProcessed.inc({ outcome: 'corrupt' });
      await this.recordFailure(frame, LedgerReason.corrupt, log);
      throw new UnrecoverableError(`frame ${frame.frameId} is corrupt: ${err.message}`);
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

    const mask = await this.waterMask(camera, frame, bytes);
    const filtered = filterDebris(detections, mask.mask, camera, frame);
    const keptByClass = countByClass(filtered.kept);
    for (const [cls, n] of Object.entries(countByClass(detections))) {
      const kept = keptByClass[cls] ?? 0;
      if (kept) detectionsCounted.inc({ class: cls, fate: 'kept' }, kept);
      if (n > kept) detectionsCounted.inc({ class: cls, fate: 'ignored' }, n - kept);
    }

    const frameResult: FrameResult = {
      frameId: frame.frameId,
      cameraId: frame.cameraId,
      width: frame.width,
      height: frame.height,
      detections: filtered.kept,
      ignored: filtered.ignored,
      coverage: filtered.coverage,
      waterShare: filtered.waterShare,
      models: { detector: detectorName, detectorVersion, ...mask.model },
      latencyMs: { total: 0, inference: Math.round(inferenceMs * 10) / 10 },
    };

    if (frame.source === 'upload') {
      await this.storeUploadResult(frame, bytes, frameResult, detector.classes, mask.mask);
    } else {
      const committed = await this.commitCameraFrame(frame, camera, bytes, frameResult, detector.classes, mask.mask);
      if (committed === 'duplicate') {
        log.info('frame already committed (re-delivery): no new counts or alerts');
        framesProcessed.inc({ outcome: 'duplicate' });
        return frameResult;
      }
      if (committed === 'camera_deleted') return this.dropDeleted(frame, log);
      await this.d.review.consider(frame, bytes, detections, detector.classes);
    }
    frameResult.latencyMs.total = Math.round((performance.now() - started) * 10) / 10;
    frameLatency.observe({ step: 'total' }, frameResult.latencyMs.total / 1000);
    framesProcessed.inc({ outcome: 'ok' });
    log.debug({ detections: filtered.kept.length, ignored: filtered.ignored, coverage: filtered.coverage }, 'frame processed');
    return frameResult;
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

  /** Segment every N frames or when the cached mask is too old; otherwise reuse the camera's cached mask. */
  private async waterMask(camera: CameraConfig, frame: FrameJob, bytes: Buffer): Promise<{ mask: WaterMask | null; model: { segmenter?: string; segmenterVersion?: string } }> {
    const segName = camera.segmenterModel;
    if (!segName || !(await this.d.models.has(segName))) return { mask: null, model: {} };
    const cacheable = frame.source === 'camera';
    if (cacheable) {
      const cached = await this.d.cameras.waterMaskInfo(frame.cameraId);
      const fresh =
        cached &&
        frame.capturedAt - cached.at < camera.segmentMaxAgeSeconds * 1000 &&
        cached.uses < camera.segmentEveryFrames &&
        cached.width === frame.width &&
        cached.height === frame.height;
      if (fresh) {
        // The PNG is read only when this worker does not hold that mask decoded already.
        const mask = await this.masks.get(frame.cameraId, cached, () => this.d.cameras.waterMaskPng(frame.cameraId));
        if (mask) {
          await this.d.cameras.countWaterMaskUse(frame.cameraId);
          return { mask, model: { segmenter: segName, segmenterVersion: cached.version } };
        }
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
   * The stateful part, one frame of a camera at a time (a per-camera lock),
   * committed at most once per frame id: 'duplicate' when it was committed before,
   * 'camera_deleted' when its camera is gone (checked under the lock that the deletion's
   * clean-up also takes, so a deleted camera gets no new state after its clean-up).
   * A commit that fails part-way (S3 down while an alert's evidence is written, Redis
   * gone) gives its claim back, so the job's retry does the frame instead of finding it
   * claimed and dropping it. What the failed try wrote is safe to write again: the tracker
   * and rules only move forward (a frame at or before the last one is 'late'), an open
   * alert is taken with NX, and an alert update skips a frame it already has.
   */
  private async commitCameraFrame(
    frame: FrameJob,
    camera: CameraConfig,
    bytes: Buffer,
    result: FrameResult,
    classes: string[],
    mask: WaterMask | null,
  ): Promise<'committed' | 'duplicate' | 'camera_deleted'> {
    const thumb = await greyThumbnail(bytes);
    return this.d.cameras.withLock(frame.cameraId, async () => {
      if (!(await this.d.cameras.exists(frame.cameraId))) return 'camera_deleted';
      if (!(await this.d.cameras.claimFrame(frame.cameraId, frame.frameId))) return 'duplicate';
      try {
        await this.commitClaimedFrame(frame, camera, bytes, thumb, result, classes, mask);
      } catch (err) {
        await this.d.cameras.releaseFrame(frame.cameraId, frame.frameId).catch(() => {});
        throw err;
      }
      return 'committed';
    });
  }

  /** Tracker, view check, rules, alerts, memory and the frame's summary (under the camera's lock). */
  private async commitClaimedFrame(
    frame: FrameJob,
    camera: CameraConfig,
    bytes: Buffer,
    thumb: Buffer,
    result: FrameResult,
    classes: string[],
    mask: WaterMask | null,
  ): Promise<void> {
    const mem = await this.d.cameras.memory(frame.cameraId);
    // A frame older than one already committed (parallel workers) still counts, but must not move the tracker back in time.
    const late = frame.seq <= mem.lastSeq && frame.capturedAt <= mem.lastCapturedAt;
    const counts = countByClass(result.detections);
    let newTracks = 0;
    let trackIds: number[] = [];
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

      let annotated: Promise<Buffer> | null = null;
      const evidence = {
        cameraId: frame.cameraId,
        frameId: frame.frameId,
        at: frame.capturedAt,
        classes: counts,
        coverage: result.coverage,
        trackIds: result.detections.flatMap((d) => (d.trackId ? [d.trackId] : [])),
        rawFrame: bytes,
        annotate: () => (annotated ??= drawAnnotatedSnapshot(bytes, result.detections, { mask: mask ?? undefined, classNames: classes })),
      };
      for (const type of FRAME_ALERT_TYPES) {
        const decision = rules.decisions[type];
        if (decision === 'none') continue;
        const stillOpen = await this.d.alerts.apply(type, decision, evidence);
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
    // The live frame is only ever the newest: a late frame does not replace it.
    const live = late ? undefined : { frameId: frame.frameId, capturedAt: frame.capturedAt, width: frame.width, height: frame.height, detections: result.detections, jpeg: bytes };
    // The commit point, last and in one MULTI: summary, ledger `committed`, memory and live frame
    // are applied together, or none of them if the EXEC never gets there (the claim goes back and the retry does it all).
    await this.d.cameras.commitFrame(frame.cameraId, summary, mem.lastCapturedAt, { memory: mem, live });
  }
}

export function countByClass(detections: Detection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of detections) counts[d.className] = (counts[d.className] ?? 0) + 1;
  return counts;
}

