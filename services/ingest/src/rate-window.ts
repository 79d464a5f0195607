/** Events per second over a sliding window, for the fpsIn / fpsOut of a camera's status. */
export class RateWindow {
  private readonly times: Record<'in' | 'out', number[]> = { in: [], out: [] };

  constructor(private readonly windowMs: number) {}

  add(now: number, kind: 'in' | 'out'): void {
    const list = this.times[kind];
    list.push(now);
    this.trim(list, now);
  }

  rate(now: number, kind: 'in' | 'out'): number {
    const list = this.times[kind];
    this.trim(list, now);
    return list.length / (this.windowMs / 1000);
  }

  private trim(list: number[], now: number): void {
    let drop = 0;
    while (drop < list.length && list[drop] <= now - this.windowMs) drop++;
    if (drop) list.splice(0, drop);
  }
}
