import { describe, expect, it } from 'vitest';
import { parseConfig } from './model-repository.ts';

describe('parseConfig', () => {
  it('fills serving defaults and keeps the rest for the worker', () => {
    const cfg = parseConfig('m', JSON.stringify({ maxBatchSize: 8, dynamicBatching: { maxQueueDelayMs: 2 }, classes: ['bottle'] }));
    expect(cfg).toMatchObject({ name: 'm', maxBatchSize: 8, instances: 1, dynamicBatching: { maxQueueDelayMs: 2, maxQueueSize: 1024 }, classes: ['bottle'] });
    expect(parseConfig('n', '{}')).toMatchObject({ maxBatchSize: 0, instances: 1, dynamicBatching: undefined });
  });

  it('gives a model without `instances` the server default (INFERENCE_INSTANCES); a config.json that sets it keeps its own', () => {
    expect(parseConfig('m', '{}', 4).instances).toBe(4);
    expect(parseConfig('m', '{"instances": 1}', 4).instances).toBe(1);
    expect(parseConfig('m', '{"instances": 3}').instances).toBe(3);
  });

  it.each([
    ['invalid JSON', '{', /m\/config.json is not valid JSON/],
    ['a negative maxBatchSize', '{"maxBatchSize": -1}', /maxBatchSize must be an integer from 0/],
    ['a fractional instance count', '{"instances": 1.5}', /instances must be an integer/],
    ['a negative queue delay', '{"maxBatchSize": 2, "dynamicBatching": {"maxQueueDelayMs": -5}}', /dynamicBatching.maxQueueDelayMs/],
    ['a tiling overlap of 0.8', '{"tiling": {"enabled": true, "overlap": 0.8, "fullFrame": true}}', /m\/config.json: tiling.overlap must be from 0 to 0.5/],
    ['a tile of 10 px', '{"tiling": {"enabled": true, "overlap": 0.2, "fullFrame": true, "tileWidth": 10}}', /tiling.tileWidth/],
  ])('rejects %s, naming the field', (_what, text, message) => {
    expect(() => parseConfig('m', text)).toThrow(message);
  });
});
