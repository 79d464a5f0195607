import { ModelFormatError } from '../errors.ts';

/**
 * Reads ModelProto.metadata_props (field 14) from ONNX bytes. onnxruntime-node
 * does not expose custom metadata, and YOLOv5 exports keep class names and
 * stride there. A minimal protobuf walk over the top-level fields: the graph
 * (the bulk of the file) is skipped, not parsed.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const r = new ProtoReader(bytes);
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 14 && wire === 2) {
      const entry = new ProtoReader(r.bytes());
      let key = '';
      let value = '';
      while (!entry.done()) {
        const [f, w] = entry.tag();
        if (f === 1 && w === 2) key = entry.string();
        else if (f === 2 && w === 2) value = entry.string();
        else entry.skip(w);
      }
      out[key] = value;
    } else r.skip(wire);
  }
  return out;
}

class ProtoReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ModelFormatError('not an ONNX file: truncated protobuf');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ModelFormatError('not an ONNX file: bad varint');
  }

  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new ModelFormatError('not an ONNX file: field runs past the end');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ModelFormatError(`not an ONNX file: unexpected protobuf wire type ${wire}`);
  }
}

/**
 * YOLOv5 writes names as a Python dict repr ("{0: 'bottle', 1: 'bag'}");
 * JSON lists and maps are accepted too.
 */
export function parseClassNames(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  try {
    const j = JSON.parse(raw) as unknown;
    if (Array.isArray(j)) return j.map(String);
    if (j && typeof j === 'object') return Object.entries(j).sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => String(v));
  } catch {
    // not JSON: fall through to the Python repr
  }
  const entries = [...raw.matchAll(/(\d+)\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/g)].map((m) => [Number(m[1]), m[3]!] as const);
  if (entries.length) return entries.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const list = [...raw.matchAll(/(['"])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2]!);
  return list.length ? list : undefined;
}
