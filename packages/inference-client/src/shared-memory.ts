/**
 * Client side of Triton's system shared-memory extension: tensors for a
 * server on the same host travel through a POSIX shared-memory object (a file
 * in /dev/shm) instead of the gRPC message.
 *
 * One object per model holds `slots` request slots; each slot has room for
 * one request's inputs and outputs. The object is unlinked as soon as the
 * server has registered it (both sides keep their descriptors), so nothing is
 * left in /dev/shm when either process dies.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { InferParameter } from '@riverwatch/proto';

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** The parameters that put a tensor at `offset` in `region`. */
export function shmParameters(region: string, offset: number, byteSize: number): Record<string, InferParameter> {
  return {
    shared_memory_region: { string_param: region },
    shared_memory_offset: { int64_param: offset },
    shared_memory_byte_size: { int64_param: byteSize },
  };
}

/** A shared-memory object this process created. */
export class ShmObject {
  private closed = false;

  private constructor(
    readonly key: string,
    private readonly path: string,
    private readonly fd: number,
    readonly byteSize: number,
  ) {}

  static create(byteSize: number, dir = '/dev/shm'): ShmObject {
    const key = `riverwatch-${process.pid}-${randomBytes(6).toString('hex')}`;
    const path = join(dir, key);
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      ftruncateSync(fd, byteSize);
    } catch (err) {
      closeSync(fd);
      unlinkSync(path);
      throw err;
    }
    return new ShmObject(key, path, fd, byteSize);
  }

  write(position: number, data: Uint8Array): void {
    writeSync(this.fd, data, 0, data.byteLength, position);
  }

  read(position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    const n = readSync(this.fd, out, 0, length, position);
    if (n !== length) throw new Error(`shared memory object ${this.key} gave ${n} of ${length} bytes`);
    return out;
  }

  /** Removes the name; the memory lives on while a descriptor is open. Idempotent. */
  unlink(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlink();
    closeSync(this.fd);
  }
}

export interface SlotLayout {
  inputs: { name: string; bytes: number }[];
  /** Every output of the model; those without a size known in advance travel in the message. */
  outputs: { name: string; bytes?: number }[];
}

/** Byte offsets of each tensor in slot 0 (slot i adds i * slotBytes). */
function offsets(layout: SlotLayout): { at: Map<string, number>; slotBytes: number } {
  const at = new Map<string, number>();
  let end = 0;
  const tensors = [...layout.inputs.map((i) => ({ ...i, name: `in:${i.name}` })), ...layout.outputs.map((o) => ({ ...o, name: `out:${o.name}` }))];
  for (const t of tensors) {
    if (t.bytes === undefined) continue;
    at.set(t.name, end);
    end += align(t.bytes);
  }
  return { at, slotBytes: Math.max(ALIGN, end) };
}

/** The region for one model: fixed-size slots, each lent to one request at a time. */
export class ShmSlots {
  private readonly free: number[];
  private readonly at: Map<string, number>;
  readonly slotBytes: number;

  constructor(
    readonly object: ShmObject,
    readonly layout: SlotLayout,
    count: number,
  ) {
    ({ at: this.at, slotBytes: this.slotBytes } = offsets(layout));
    this.free = Array.from({ length: count }, (_, i) => count - 1 - i);
  }

  /** The region is registered under the object's key. */
  get region(): string {
    return this.object.key;
  }

  static bytesFor(layout: SlotLayout, count: number): number {
    return offsets(layout).slotBytes * count;
  }

  /** A free slot, or undefined when every slot is lent out. */
  acquire(): number | undefined {
    return this.free.pop();
  }

  /**
   * Gives a slot back. After a failed call the server may still write into it
   * (a run already under way when the client gave up), so it is held back for `holdMs`.
   */
  release(slot: number, holdMs = 0): void {
    if (holdMs <= 0) this.free.push(slot);
    else setTimeout(() => this.free.push(slot), holdMs).unref();
  }

  inputOffset(slot: number, name: string): number | undefined {
    const o = this.at.get(`in:${name}`);
    return o === undefined ? undefined : slot * this.slotBytes + o;
  }

  outputOffset(slot: number, name: string): number | undefined {
    const o = this.at.get(`out:${name}`);
    return o === undefined ? undefined : slot * this.slotBytes + o;
  }

  inputCapacity(name: string): number | undefined {
    return this.layout.inputs.find((i) => i.name === name)?.bytes;
  }

  outputCapacity(name: string): number | undefined {
    return this.layout.outputs.find((o) => o.name === name)?.bytes;
  }
}
