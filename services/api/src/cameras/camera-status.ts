import type { CameraStatusViewT } from '../schemas/cameras.ts';

const num = (v: string | undefined, fallback = 0): number => (v === undefined || v === '' || Number.isNaN(Number(v)) ? fallback : Number(v));
const nullableNum = (v: string | undefined): number | null => (v === undefined || v === '' || v === 'null' || Number.isNaN(Number(v)) ? null : Number(v));
const nullableStr = (v: string | undefined): string | null => (v === undefined || v === '' || v === 'null' ? null : v);

/** Ingest's status hash (all strings) as typed JSON; 'unknown' before ingest first reports. */
export function cameraStatusView(cameraId: string, hash: Record<string, string>): CameraStatusViewT {
  return {
    cameraId,
    state: hash.state || 'unknown',
    replica: nullableStr(hash.replica),
    fpsIn: num(hash.fpsIn),
    fpsOut: num(hash.fpsOut),
    framesIn: num(hash.framesIn),
    framesOut: num(hash.framesOut),
    drops: num(hash.drops),
    reconnects: num(hash.reconnects),
    corrupt: num(hash.corrupt),
    stalls: num(hash.stalls),
    retryInMs: num(hash.retryInMs),
    lastFrameAt: nullableNum(hash.lastFrameAt),
    lastError: nullableStr(hash.lastError),
    updatedAt: nullableNum(hash.updatedAt),
  };
}
