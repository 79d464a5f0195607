/**
 * Holds whatever passes through it until the test opens it: a real component subclassed so
 * that one of its steps waits here (a frame being published, a frame being saved), to look
 * at the state mid-way. `entered` counts the callers that reached it.
 */
export class Gate {
  entered = 0;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  async pass(): Promise<void> {
    this.entered++;
    await this.opened;
  }

  open(): void {
    this.release();
  }
}
