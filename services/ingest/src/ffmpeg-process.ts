import type { ChildProcess } from 'node:child_process';
import { spawnOwned } from '@riverwatch/local-infra';
import { JpegFrameSplitter } from './jpeg-frame-splitter.ts';

export interface FfmpegHandlers {
  onFrame(jpeg: Buffer): void;
  /** Decoder complaints on stderr and frames the splitter discarded. */
  onCorrupt(count: number): void;
}

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last error ffmpeg printed, if any. */
  lastError: string | null;
  /** The pipe ended in the middle of a frame. */
  truncated: boolean;
}

const CORRUPT_LINE = /corrupt|invalid data|error while decoding|concealing|truncat|missing picture|decode_slice|non-existing pps|no frame/i;
const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';

/** One ffmpeg child: frames out of stdout, complaints out of stderr, reaped on kill. */
export class FfmpegProcess {
  readonly exited: Promise<FfmpegExit>;
  private readonly child: ChildProcess;
  private lastError: string | null = null;

  constructor(args: string[], handlers: FfmpegHandlers, maxFrameBytes: number) {
    const splitter = new JpegFrameSplitter(maxFrameBytes);
    this.child = spawnOwned(FFMPEG, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const before = splitter.corruptFrames;
      for (const frame of splitter.push(chunk)) handlers.onFrame(frame);
      if (splitter.corruptFrames > before) handlers.onCorrupt(splitter.corruptFrames - before);
    });
    let partial = '';
    this.child.stderr!.on('data', (chunk: Buffer) => {
      // Bounded: a chatty ffmpeg cannot grow this past one line.
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = (lines.pop() ?? '').slice(-1000);
      let corrupt = 0;
      for (const raw of lines) {
        const line = raw.trim();
        if (!line) continue;
        this.lastError = line.slice(0, 300);
        if (CORRUPT_LINE.test(line)) corrupt++;
      }
      if (corrupt) handlers.onCorrupt(corrupt);
    });
    this.exited = new Promise((resolve) => {
      let spawnError: string | null = null;
      this.child.once('error', (err) => {
        spawnError = `ffmpeg could not start: ${err.message}`;
      });
      // 'close' (not 'exit'): stdout is fully read, so no frame is lost and the splitter is final.
      this.child.once('close', (code, signal) => {
        if (partial.trim()) this.lastError = partial.trim().slice(0, 300);
        const truncated = splitter.end();
        if (truncated) handlers.onCorrupt(1);
        resolve({ code, signal, lastError: spawnError ?? this.lastError, truncated });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Ends ffmpeg and waits until it is reaped. With a grace period it gets SIGTERM
   * first: ffmpeg then aborts its blocked I/O and says why (e.g. "Invalid data
   * found" for a peer sending garbage), which makes a better lastError.
   */
  async kill(graceMs = 0): Promise<FfmpegExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (graceMs > 0) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        void this.exited.then(() => clearTimeout(timer));
      } else {
        this.child.kill('SIGKILL');
      }
    }
    return this.exited;
  }
}
