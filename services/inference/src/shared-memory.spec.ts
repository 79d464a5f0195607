import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedMemoryRegistry, shmRefOf } from './shared-memory.ts';

let dir: string;
let registry: SharedMemoryRegistry;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-shm-'));
  writeFileSync(join(dir, 'obj'), Buffer.alloc(256));
  registry = new SharedMemoryRegistry(true, dir, 3);
});
afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SharedMemoryRegistry', () => {
  it('refuses a symlink in place of an object', () => {
    symlinkSync(join(dir, 'obj'), join(dir, 'link'));
    expect(() => registry.register('r', 'link', 0, 16)).toThrow(/cannot be opened: ELOOP/);
  });

  it('caps the number of regions, and an empty name unregisters all', () => {
    for (const n of ['a', 'b', 'c']) registry.register(n, '/obj', 0, 16);
    expect(() => registry.register('d', 'obj', 0, 16)).toThrow(expect.objectContaining({ code: status.RESOURCE_EXHAUSTED }));
    registry.unregister('');
    expect(registry.status('')).toEqual([]);
    registry.register('d', 'obj', 0, 16);
  });

  it('reads and writes inside a region only, relative to its offset', () => {
    registry.register('r', 'obj', 64, 128);
    registry.write("output 'y'", { region: 'r', offset: 8, byteSize: 4 }, Buffer.from([1, 2, 3, 4]));
    expect([...registry.read("input 'x'", { region: 'r', offset: 8, byteSize: 4 })]).toEqual([1, 2, 3, 4]);
    expect(() => registry.check("output 'y'", { region: 'r', offset: 120, byteSize: 16 })).toThrow(/run past shared memory region 'r' \(128 bytes\)/);
    expect(() => registry.write("output 'y'", { region: 'r', offset: 0, byteSize: 2 }, Buffer.alloc(4))).toThrow(/holds 2/);
    expect(() => registry.check("output 'y'", { region: 'gone', offset: 0, byteSize: 1 })).toThrow(/region 'gone' is not registered/);
  });

  it('answers FAILED_PRECONDITION for everything when disabled', () => {
    const off = new SharedMemoryRegistry(false, dir);
    expect(() => off.register('r', 'obj', 0, 16)).toThrow(expect.objectContaining({ code: status.FAILED_PRECONDITION }));
    expect(() => off.check('x', { region: 'r', offset: 0, byteSize: 1 })).toThrow(/INFERENCE_ALLOW_CLIENT_SHM/);
  });
});

describe('shmRefOf', () => {
  it('takes int64 or uint64 sizes, defaults the offset, and rejects half or mistyped references', () => {
    expect(shmRefOf('x', {})).toBeUndefined();
    expect(
      shmRefOf('x', {
        shared_memory_region: { parameter_choice: 'string_param', string_param: 'r' },
        shared_memory_byte_size: { parameter_choice: 'uint64_param', uint64_param: 12 },
      }),
    ).toEqual({ region: 'r', offset: 0, byteSize: 12 });
    expect(() => shmRefOf('x', { shared_memory_byte_size: { parameter_choice: 'int64_param', int64_param: 12 } })).toThrow(/must be given together/);
    expect(() =>
      shmRefOf('x', {
        shared_memory_region: { parameter_choice: 'string_param', string_param: 'r' },
        shared_memory_byte_size: { parameter_choice: 'string_param', string_param: '12' },
      }),
    ).toThrow(/shared_memory_byte_size must be a non-negative integer/);
  });
});
