import { DEFAULT_ALERT_RULES, cameraDefaults, newId, type AlertRules, type CameraConfig, type RiverwatchConfig } from '@riverwatch/common';
import { badRequest } from '../http-error.ts';
import type { CameraCreate, CameraPatch } from '../schemas/cameras.ts';
import { redactSourceUrl, sourceUrlProblem } from './source-url.ts';

function checkRules(rules: AlertRules): AlertRules {
  if (rules.persistence.n > rules.persistence.m) throw badRequest('rules.persistence.n must not exceed rules.persistence.m');
  return rules;
}

function checkSource(url: string): string {
  const problem = sourceUrlProblem(url);
  if (problem) throw badRequest(problem);
  return url;
}

/** A new camera from the request, filling defaults from configuration. */
export function newCamera(input: CameraCreate, config: RiverwatchConfig, now = Date.now()): CameraConfig {
  const defaults = cameraDefaults();
  return {
    id: newId('cam'),
    name: input.name,
    sourceUrl: checkSource(input.sourceUrl),
    fps: input.fps ?? defaults.fps,
    maxWidth: input.maxWidth ?? defaults.maxWidth,
    zones: input.zones ?? defaults.zones,
    rules: checkRules({ ...DEFAULT_ALERT_RULES, ...input.rules }),
    detectorModel: input.detectorModel ?? config.worker.detectorModel,
    segmenterModel: input.segmenterModel ?? config.worker.segmenterModel,
    segmentEveryFrames: input.segmentEveryFrames ?? defaults.segmentEveryFrames,
    segmentMaxAgeSeconds: input.segmentMaxAgeSeconds ?? defaults.segmentMaxAgeSeconds,
    enabled: input.enabled ?? defaults.enabled,
    ...(input.tiling ? { tiling: input.tiling } : {}),
    createdAt: now,
    updatedAt: now,
  };
}

/** A patch merges field by field; `rules` merges into the current rules. */
export function patchCamera(current: CameraConfig, patch: CameraPatch, now = Date.now()): CameraConfig {
  const { rules, sourceUrl, ...rest } = patch;
  return {
    ...current,
    ...rest,
    sourceUrl: sourceUrl === undefined ? current.sourceUrl : checkSource(sourceUrl),
    rules: rules ? checkRules({ ...current.rules, ...rules }) : current.rules,
    updatedAt: Math.max(now, current.updatedAt + 1),
  };
}

/** What the API returns: everything except the credentials in the source URL. */
export function cameraView(camera: CameraConfig): CameraConfig {
  return { ...camera, sourceUrl: redactSourceUrl(camera.sourceUrl) };
}
