import type { ServerLimits } from '../http/rate-limit-headers.ts';

/** Requests that may be on their way to the provider when its headers reach us. */
const REQUEST_MARGIN = 2;

/** How long until `deficit` is earned back at `perMinute`; the full reset when the rate is unknown. */
function refillWait(deficit: number, perMinute: number | undefined, resetMs: number): number {
  if (!perMinute || perMinute <= 0) return Math.min(resetMs, 1000);
  return Math.min(resetMs, (deficit * 60_000) / perMinute);
}

/**
 * A continuous-refill token bucket holding no burst: its capacity is the smallest that lets one
 * request through (one request; zero tokens, a request then leaving it in debt until its tokens are
 * earned back). Providers enforce per-minute limits over shorter windows (OpenAI's rate-limit guide:
 * 60,000 requests/min may be enforced as 1,000 per second), so starts are spread evenly: in any one
 * second at most R/60 + 1 requests, and T/60 tokens plus one request's worth. Nothing is banked
 * while the job waits (a pause, a Retry-After gate), so no burst follows a wait either.
 */
export class TokenBucket {
  #perMs: number;
  #capacity: number;
  #level: number;
  #at: number;

  constructor(perMinute: number, now: number, capacity = 1) {
    this.#perMs = perMinute / 60_000;
    this.#capacity = capacity;
    this.#level = this.#capacity;
    this.#at = now;
  }

  setRate(perMinute: number, now: number, capacity = 1): void {
    this.#refill(now);
    this.#perMs = perMinute / 60_000;
    this.#capacity = capacity;
    this.#level = Math.min(this.#level, this.#capacity);
  }

  /** Milliseconds until `amount` may be taken (0: now). */
  waitFor(amount: number, now: number): number {
    this.#refill(now);
    const needed = Math.min(amount, this.#capacity);
    return this.#level >= needed ? 0 : Math.ceil((needed - this.#level) / this.#perMs);
  }

  take(amount: number, now: number): void {
    this.#refill(now);
    this.#level -= amount;
  }

  /** Positive: the request cost more than reserved; negative: give back what was not used. */
  adjust(delta: number): void {
    this.#level = Math.min(this.#capacity, this.#level - delta);
  }

  #refill(now: number): void {
    this.#level = Math.min(this.#capacity, this.#level + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}

interface Waiter {
  tokens: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signals: readonly AbortSignal[];
  onAbort: (event: Event) => void;
}

export interface PacerLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/**
 * Paces the starts of one job: requests/min and tokens/min buckets plus a gate that holds
 * every start while the provider has asked us to wait. Waiters are served in order.
 */
export class Pacer {
  #requests: TokenBucket | null = null;
  #tokens: TokenBucket | null = null;
  #gateUntil = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(limits: PacerLimits, now: () => number = () => performance.now()) {
    this.#now = now;
    this.setLimits(limits);
  }

  setLimits({ requestsPerMinute, tokensPerMinute }: PacerLimits): void {
    const now = this.#now();
    this.#requests = requestsPerMinute === null ? null : this.#resize(this.#requests, requestsPerMinute, now, 1);
    this.#tokens = tokensPerMinute === null ? null : this.#resize(this.#tokens, tokensPerMinute, now, 0);
    this.#drain();
  }

  /** Holds every start until `until` (a time on this pacer's clock). Never shortens a wait. */
  blockUntil(until: number): void {
    if (until <= this.#gateUntil) return;
    this.#gateUntil = until;
    this.#drain();
  }

  /** When the gate opens, on this pacer's clock; null when it is open. */
  get gateUntil(): number | null {
    return this.#gateUntil > this.#now() ? this.#gateUntil : null;
  }

  /**
   * Waits for a request allowance and `tokens` of token allowance, or until any of `signals`
   * aborts. Granted at once, without a listener or a timer, when nobody waits and both allow it:
   * the common case, once per request.
   */
  acquire(tokens: number, ...signals: AbortSignal[]): Promise<void> {
    const aborted = signals.find((signal) => signal.aborted);
    if (aborted) return Promise.reject(aborted.reason);
    if (this.#waiters.length === 0 && this.#grant(tokens, this.#now())) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        tokens,
        resolve,
        reject,
        signals,
        onAbort: (event) => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          this.#unlisten(waiter);
          reject((event.target as AbortSignal).reason);
          this.#drain();
        },
      };
      for (const signal of signals) signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#drain();
    });
  }

  /** Corrects a reservation once the real usage is known (actual − estimated). */
  adjustTokens(delta: number): void {
    this.#tokens?.adjust(delta);
  }

  /**
   * Slows down before the provider's own limit is hit. Its headers count what it has
   * already received; when almost nothing remains, hold starts for as long as the
   * provider needs to earn back a little (from its per-minute limit), never longer than
   * its full reset.
   */
  observe(limits: ServerLimits | null, tokensPerRequest: number): void {
    if (!limits) return;
    const now = this.#now();
    const { requestsRemaining, requestsResetMs, requestsLimit } = limits;
    if (requestsRemaining !== undefined && requestsResetMs !== undefined && requestsRemaining < REQUEST_MARGIN) {
      this.blockUntil(now + refillWait(REQUEST_MARGIN - requestsRemaining, requestsLimit, requestsResetMs));
    }
    const { tokensRemaining, tokensResetMs, tokensLimit } = limits;
    const tokenMargin = tokensPerRequest * REQUEST_MARGIN;
    if (tokensRemaining !== undefined && tokensResetMs !== undefined && tokensRemaining < tokenMargin) {
      this.blockUntil(now + refillWait(tokenMargin - tokensRemaining, tokensLimit, tokensResetMs));
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    for (const waiter of this.#waiters) this.#unlisten(waiter);
    this.#waiters = [];
  }

  #resize(bucket: TokenBucket | null, perMinute: number, now: number, minCapacity: number): TokenBucket {
    if (!bucket) return new TokenBucket(perMinute, now, minCapacity);
    bucket.setRate(perMinute, now, minCapacity);
    return bucket;
  }

  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (;;) {
      const head = this.#waiters[0];
      if (!head) return;
      const wait = this.#waitFor(head.tokens, this.#now());
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#drain(), Math.ceil(wait));
        return;
      }
      this.#waiters.shift();
      this.#grant(head.tokens, this.#now());
      this.#unlisten(head);
      head.resolve();
    }
  }

  /** How long until a start of `tokens` is allowed (0: now). */
  #waitFor(tokens: number, now: number): number {
    return Math.max(
      this.#gateUntil - now,
      this.#requests?.waitFor(1, now) ?? 0,
      this.#tokens?.waitFor(tokens, now) ?? 0,
    );
  }

  /** Takes the allowance of one start when it is there; false when it is not. */
  #grant(tokens: number, now: number): boolean {
    if (this.#waitFor(tokens, now) > 0) return false;
    this.#requests?.take(1, now);
    this.#tokens?.take(tokens, now);
    return true;
  }

  #unlisten(waiter: Waiter): void {
    for (const signal of waiter.signals) signal.removeEventListener('abort', waiter.onAbort);
  }
}
