/**
 * Finds the highest concurrency the provider takes without 429s, the way TCP finds its
 * window: double every round until the first 429 (slow start), then add one per round;
 * halve on a 429. A 429 for a request sent before the last decrease is ignored: it
 * belongs to the burst that already caused that decrease.
 */
export class AutoConcurrency {
  #value: number;
  #threshold = Number.POSITIVE_INFINITY;
  #successes = 0;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  readonly #max: number;

  constructor(options: { start: number; max: number }) {
    this.#value = Math.max(1, Math.min(options.max, options.start));
    this.#max = options.max;
  }

  get value(): number {
    return this.#value;
  }

  /** A request succeeded; returns the new value when it changed. */
  onSuccess(): number | null {
    this.#successes += 1;
    if (this.#successes < this.#value || this.#value >= this.#max) return null;
    this.#successes = 0;
    this.#value = Math.min(this.#max, this.#value < this.#threshold ? this.#value * 2 : this.#value + 1);
    return this.#value;
  }

  /** The provider answered 429 to a request sent at `sentAt`; returns the new value when it changed. */
  onRateLimited(sentAt: number, now: number): number | null {
    if (sentAt < this.#lastDecrease) return null;
    this.#lastDecrease = now;
    this.#successes = 0;
    this.#threshold = Math.max(1, Math.floor(this.#value / 2));
    if (this.#threshold === this.#value) return null;
    this.#value = this.#threshold;
    return this.#value;
  }
}
