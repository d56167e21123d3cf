/**
 * Takes the send queues of many streams in turns: at most `perTurn` queues start draining per
 * event-loop turn, then the loop runs (setImmediate) before the next ones. One change fans out
 * to every stream at once; with each queue starting in a microtask of its own, all of them ran
 * before node:http2 got to write a byte (its writes go out in the check phase), so the first
 * stream waited for the thousandth and the clients sat idle meanwhile. In turns, the first
 * responses are on the wire while later ones are being built, and the server's work overlaps
 * with the clients' (and with the ACKs coming back).
 */
export class TurnScheduler {
  private readonly queue: (() => void)[] = [];
  private later: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly perTurn = 32) {}

  /** Runs `task` in this turn's batch, or a later one. */
  schedule(task: () => void): void {
    this.queue.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    // The first batch goes in a microtask (as soon as the caller is done marking), later ones
    // after the I/O of each turn.
    queueMicrotask(() => this.runBatch());
  }

  /**
   * Runs `task` once no queue waits for its turn: work that may wait for the pushes (recording
   * ACKs) must not hold up the last stream of a fan-out.
   */
  afterPushes(task: () => void): void {
    this.later.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.runBatch());
  }

  private runBatch(): void {
    const n = Math.min(this.perTurn, this.queue.length);
    const batch = this.queue.splice(0, n);
    for (const task of batch) task();
    if (this.queue.length > 0) {
      setImmediate(() => this.runBatch());
      return;
    }
    this.scheduled = false;
    const later = this.later;
    this.later = [];
    for (const task of later) task();
  }
}
