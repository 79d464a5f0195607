/**
 * Capped exponential backoff with "equal jitter": the n-th delay is drawn from
 * [d/2, d] where d = min(cap, base * 2^n). Half the delay is guaranteed (the
 * camera gets a real rest), the other half spreads replicas that lost the same
 * camera network at the same moment.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
