/**
 * Splits a byte stream of concatenated JPEGs (ffmpeg's image2pipe MJPEG) into
 * whole frames. It walks the JPEG marker segments instead of searching for the
 * first FF D9, so an EOI inside a header segment (an EXIF thumbnail) does not
 * cut a frame short. Bytes outside a frame are skipped and counted, and a frame
 * that grows past maxFrameBytes is discarded: memory stays bounded whatever
 * the camera sends.
 */
export class JpegFrameSplitter {
  /** Bytes skipped because they were not inside a JPEG. */
  garbageBytes = 0;
  /** Frames discarded: malformed header segments, or larger than maxFrameBytes. */
  corruptFrames = 0;

  private buf: Buffer = Buffer.alloc(0);
  private inFrame = false;
  private phase: 'headers' | 'entropy' = 'headers';
  /** Where scanning resumes in buf, so entropy data is never scanned twice. */
  private scan = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      if (!this.inFrame && !this.findStart()) break;
      const end = this.findEnd();
      if (end === 'corrupt') {
        this.resync();
        continue;
      }
      if (end === undefined) {
        if (this.buf.length > this.maxFrameBytes) {
          this.corruptFrames++;
          this.buf = Buffer.alloc(0);
          this.inFrame = false;
        }
        break;
      }
      // Copy: the frame must not pin the (possibly much larger) stream buffer.
      frames.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
      this.inFrame = false;
    }
    return frames;
  }

  /** The stream ended: true when a started frame was cut off (a truncated stream). */
  end(): boolean {
    const truncated = this.inFrame;
    if (truncated) this.corruptFrames++;
    else this.garbageBytes += this.buf.length;
    this.buf = Buffer.alloc(0);
    this.inFrame = false;
    return truncated;
  }

  /** Moves buf to the next SOI (FF D8 FF); keeps at most 2 trailing bytes otherwise. */
  private findStart(): boolean {
    const buf = this.buf;
    for (let i = buf.indexOf(0xff); i !== -1 && i + 2 < buf.length; i = buf.indexOf(0xff, i + 1)) {
      if (buf[i + 1] === 0xd8 && buf[i + 2] === 0xff) {
        this.garbageBytes += i;
        this.buf = buf.subarray(i);
        this.inFrame = true;
        this.phase = 'headers';
        this.scan = 2;
        return true;
      }
    }
    const keep = Math.min(2, buf.length);
    this.garbageBytes += buf.length - keep;
    this.buf = buf.subarray(buf.length - keep);
    return false;
  }

  /** Index just past the EOI, undefined when more bytes are needed, 'corrupt' on a malformed segment. */
  private findEnd(): number | 'corrupt' | undefined {
    const buf = this.buf;
    let i = this.scan;
    for (;;) {
      if (this.phase === 'headers') {
        if (i + 1 >= buf.length) break;
        if (buf[i] !== 0xff) return 'corrupt';
        const marker = buf[i + 1];
        if (marker === 0xff) {
          i++; // fill byte
          continue;
        }
        if (marker === 0xd9) return i + 2;
        if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
          i += 2;
          continue;
        }
        if (marker === 0xd8 || marker === 0x00) return 'corrupt';
        if (i + 3 >= buf.length) break;
        const length = buf.readUInt16BE(i + 2);
        if (length < 2) return 'corrupt';
        i += 2 + length;
        if (marker === 0xda) this.phase = 'entropy';
        continue;
      }
      // Entropy-coded data: FF 00 is a stuffed byte, FF D0..D7 restart markers.
      const j = buf.indexOf(0xff, i);
      if (j === -1 || j + 1 >= buf.length) {
        // i may lie past the bytes held (the SOS segment's length reaches into the next chunk): keep it there,
        // or the rest of that segment would be scanned as entropy data and the frame cut depend on chunking.
        i = j === -1 ? Math.max(i, buf.length) : j;
        break;
      }
      const next = buf[j + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i = j + 2;
      else if (next === 0xff) i = j + 1;
      else if (next === 0xd9) return j + 2;
      else {
        // Another segment (progressive JPEGs have several scans).
        this.phase = 'headers';
        i = j;
      }
    }
    this.scan = i;
    return undefined;
  }

  /** Drops the bogus SOI and searches again from the byte after it. */
  private resync(): void {
    this.corruptFrames++;
    this.garbageBytes += 1;
    this.buf = this.buf.subarray(1);
    this.inFrame = false;
  }
}
