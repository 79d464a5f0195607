/**
 * Triton's system shared-memory extension, server side. A client on this host
 * creates a POSIX shared-memory object (a file in /dev/shm), registers a byte
 * range of it as a named region, and then names the region in a tensor's
 * parameters instead of sending the tensor's bytes: inputs are read from it,
 * outputs written into it.
 *
 * The server opens the object once at registration and keeps the descriptor,
 * so a client may unlink the name right after registering (nothing is left in
 * /dev/shm if either side dies). Reads and writes are pread/pwrite on that
 * descriptor: one kernel copy each way, in place of protobuf and HTTP/2.
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { InferParameter__Output } from '@riverwatch/proto';
import { InferError, invalidArgument, notFound } from './infer-error.ts';

export const SHM_REGION = 'shared_memory_region';
export const SHM_BYTE_SIZE = 'shared_memory_byte_size';
export const SHM_OFFSET = 'shared_memory_offset';

/** A tensor's place in a registered region, from its parameters. */
export interface ShmRef {
  region: string;
  offset: number;
  byteSize: number;
}

export interface RegionStatus {
  name: string;
  key: string;
  offset: number;
  byte_size: number;
}

interface Region extends RegionStatus {
  fd: number;
}

// shm_open names: one path component, an optional leading slash.
const KEY = /^\/?[A-Za-z0-9_.-]{1,200}$/;

const disabled = () =>
  new InferError(status.FAILED_PRECONDITION, 'client shared memory is disabled on this server (set INFERENCE_ALLOW_CLIENT_SHM=true)');

function paramNumber(p: InferParameter__Output | undefined): number | undefined {
  if (!p) return undefined;
  const v = p.parameter_choice === 'uint64_param' ? p.uint64_param : p.parameter_choice === 'int64_param' ? p.int64_param : undefined;
  return typeof v === 'number' ? v : NaN;
}

/**
 * The shared-memory parameters of an input or requested output, or undefined
 * when it has none (its bytes travel in the message).
 */
export function shmRefOf(what: string, params: Record<string, InferParameter__Output> | undefined): ShmRef | undefined {
  if (!params) return undefined;
  const regionParam = params[SHM_REGION];
  const byteSize = paramNumber(params[SHM_BYTE_SIZE]);
  if (!regionParam && byteSize === undefined) return undefined;
  const region = regionParam?.parameter_choice === 'string_param' ? regionParam.string_param : undefined;
  if (!region || byteSize === undefined) {
    throw invalidArgument(`${what}: ${SHM_REGION} (a string) and ${SHM_BYTE_SIZE} (an integer) must be given together`);
  }
  const offset = paramNumber(params[SHM_OFFSET]) ?? 0;
  for (const [k, v] of [[SHM_BYTE_SIZE, byteSize], [SHM_OFFSET, offset]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidArgument(`${what}: ${k} must be a non-negative integer`);
  }
  return { region, offset, byteSize };
}

export class SharedMemoryRegistry {
  private readonly regions = new Map<string, Region>();

  /** dir: where shm_open keys live (Linux: /dev/shm). */
  constructor(
    readonly enabled: boolean,
    private readonly dir = '/dev/shm',
    private readonly maxRegions = 1024,
  ) {}

  register(name: string, key: string, offset: number, byteSize: number): void {
    if (!this.enabled) throw disabled();
    if (!name) throw invalidArgument('shared memory region needs a name');
    if (this.regions.size >= this.maxRegions) throw new InferError(status.RESOURCE_EXHAUSTED, `${this.maxRegions} shared memory regions are registered already`);
    if (this.regions.has(name)) throw new InferError(status.ALREADY_EXISTS, `shared memory region '${name}' is already registered`);
    if (!KEY.test(key) || key.replace(/^\//, '').startsWith('.')) {
      throw invalidArgument(`shared memory key '${key}' is not a shm_open name (letters, digits, _ . -, an optional leading /)`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(byteSize) || byteSize <= 0) {
      throw invalidArgument(`shared memory region '${name}': offset and byte_size must be integers, byte_size above 0`);
    }
    let fd: number;
    try {
      fd = openSync(join(this.dir, key.replace(/^\//, '')), constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      throw invalidArgument(`shared memory key '${key}' cannot be opened: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile() || st.size < offset + byteSize) {
      closeSync(fd);
      throw invalidArgument(`shared memory key '${key}' holds ${st.size} bytes; region '${name}' needs ${offset + byteSize}`);
    }
    this.regions.set(name, { name, key, offset, byte_size: byteSize, fd });
  }

  /** Empty name: every region. Unknown names are a no-op, as in Triton. */
  unregister(name: string): void {
    if (!this.enabled) throw disabled();
    for (const r of name ? [this.regions.get(name)].filter((x) => x !== undefined) : [...this.regions.values()]) {
      closeSync(r.fd);
      this.regions.delete(r.name);
    }
  }

  status(name: string): RegionStatus[] {
    if (!this.enabled) throw disabled();
    const list = name ? [this.regions.get(name)] : [...this.regions.values()];
    if (name && !list[0]) throw notFound(`shared memory region '${name}' is not registered`);
    return list.map((r) => ({ name: r!.name, key: r!.key, offset: r!.offset, byte_size: r!.byte_size }));
  }

  /** An input's bytes, in a buffer of their own (it moves to the session thread as it is). */
  read(what: string, ref: ShmRef): Buffer {
    const { fd, position } = this.locate(what, ref, ref.byteSize);
    const out = Buffer.allocUnsafeSlow(ref.byteSize);
    const n = readSync(fd, out, 0, ref.byteSize, position);
    if (n !== ref.byteSize) throw invalidArgument(`${what}: shared memory region '${ref.region}' gave ${n} of ${ref.byteSize} bytes`);
    return out;
  }

  /** Checks that `ref` names a registered region and fits in it (before any work is spent on the call). */
  check(what: string, ref: ShmRef): void {
    this.locate(what, ref, ref.byteSize);
  }

  write(what: string, ref: ShmRef, data: Uint8Array): void {
    if (data.byteLength > ref.byteSize) {
      throw invalidArgument(`${what} is ${data.byteLength} bytes; its shared memory slot (${SHM_BYTE_SIZE}) holds ${ref.byteSize}`);
    }
    const { fd, position } = this.locate(what, ref, data.byteLength);
    writeSync(fd, data, 0, data.byteLength, position);
  }

  close(): void {
    for (const r of this.regions.values()) closeSync(r.fd);
    this.regions.clear();
  }

  private locate(what: string, ref: ShmRef, length: number): { fd: number; position: number } {
    if (!this.enabled) throw disabled();
    const r = this.regions.get(ref.region);
    if (!r) throw invalidArgument(`${what}: shared memory region '${ref.region}' is not registered`);
    if (ref.offset + length > r.byte_size) {
      throw invalidArgument(`${what}: ${length} bytes at offset ${ref.offset} run past shared memory region '${ref.region}' (${r.byte_size} bytes)`);
    }
    return { fd: r.fd, position: r.offset + ref.offset };
  }
}
