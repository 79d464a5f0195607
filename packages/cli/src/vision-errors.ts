import { ConfigError, InvalidInputError, type TilingOverride } from '@riverwatch/common';
import { ModelFormatError } from '@riverwatch/vision';

/**
 * Bad models, datasets and images are the user's input, not crashes: turned
 * into ConfigError, which main() prints as one line with exit code 2.
 */
export async function withVisionErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ModelFormatError || err instanceof InvalidInputError) throw new ConfigError(err.message);
    throw err;
  }
}

export function parseList(v: string | undefined): string[] | undefined {
  const items = v?.split(',').map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

export function parsePositive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export function parseThreshold(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`--${name} must be between 0 and 1, got "${v}"`);
  return n;
}

/** --tiling on|off|WxH: how a detector is run over a frame, instead of its config.json's tiling. */
export function parseTiling(v: string | undefined, flag = 'tiling'): TilingOverride | undefined {
  if (v === undefined) return undefined;
  if (v === 'on' || v === 'off') return { enabled: v === 'on' };
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m) throw new ConfigError(`--${flag} must be on, off or a tile size WxH (e.g. 640x384), got "${v}"`);
  return { enabled: true, tileWidth: Number(m[1]), tileHeight: Number(m[2]) };
}

export const TILING_USAGE = `  --tiling on|off|WxH     run the detector over tiles of WxH frame pixels, or not (default: the model's config.json)`;
