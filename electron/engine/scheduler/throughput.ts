const WINDOW_MS = 60_000;

/** Rows and tokens finished over the last minute (or since the start, scaled to a minute). */
export class Throughput {
  #events: { at: number; tokens: number }[] = [];
  #head = 0;
  readonly #startedAt: number;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#startedAt = now();
  }

  record(tokens: number): void {
    this.#events.push({ at: this.#now(), tokens });
  }

  perMinute(): { rows: number; tokens: number } {
    const now = this.#now();
    while (this.#head < this.#events.length && (this.#events[this.#head]?.at ?? now) < now - WINDOW_MS) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
    const span = Math.min(WINDOW_MS, Math.max(1000, now - this.#startedAt));
    let tokens = 0;
    for (let i = this.#head; i < this.#events.length; i += 1) tokens += this.#events[i]?.tokens ?? 0;
    const rows = this.#events.length - this.#head;
    const scale = WINDOW_MS / span;
    return { rows: Math.round(rows * scale), tokens: Math.round(tokens * scale) };
  }
}
