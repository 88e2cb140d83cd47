const WINDOW_MS = 60_000;
const BUCKET_MS = 1000;
const BUCKETS = WINDOW_MS / BUCKET_MS;

/**
 * Rows and tokens finished over the last minute (or since the start, scaled to a minute), kept in
 * one-second buckets: 60 counters whatever the rate, where a list of every answer of the last
 * minute held ~200,000 entries (~15 MB) at 3,500 rows a second and was summed on every look.
 */
export class Throughput {
  readonly #rows = new Float64Array(BUCKETS);
  readonly #tokens = new Float64Array(BUCKETS);
  /** The second (since the start) each bucket last counted. */
  readonly #second = new Float64Array(BUCKETS).fill(-1);
  readonly #startedAt: number;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#startedAt = now();
  }

  record(tokens: number): void {
    const second = Math.floor((this.#now() - this.#startedAt) / BUCKET_MS);
    const i = second % BUCKETS;
    if (this.#second[i] !== second) {
      this.#second[i] = second;
      this.#rows[i] = 0;
      this.#tokens[i] = 0;
    }
    this.#rows[i] = (this.#rows[i] ?? 0) + 1;
    this.#tokens[i] = (this.#tokens[i] ?? 0) + tokens;
  }

  perMinute(): { rows: number; tokens: number } {
    const elapsed = this.#now() - this.#startedAt;
    const current = Math.floor(elapsed / BUCKET_MS);
    let rows = 0;
    let tokens = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      // The buckets of the last 60 seconds, the current one included.
      const second = this.#second[i] ?? -1;
      if (second < 0 || second <= current - BUCKETS) continue;
      rows += this.#rows[i] ?? 0;
      tokens += this.#tokens[i] ?? 0;
    }
    const span = Math.min(WINDOW_MS, Math.max(1000, elapsed));
    const scale = WINDOW_MS / span;
    return { rows: Math.round(rows * scale), tokens: Math.round(tokens * scale) };
  }
}
