/**
 * At most `size` tasks at once; the rest wait in arrival order. The frames of a batch job run
 * through it, so a worker holding several batches still works on WORKER_CONCURRENCY frames
 * at a time, as it does with one job per frame.
 */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`slots: size must be >= 1, got ${size}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // A slot passes straight to the next waiter (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get busy(): number {
    return this.running;
  }
}
