import type { RowResult } from '../../../shared/api.ts';
import type { AttemptRecord, Repository, RowPatch } from '../store/repository.ts';

export type RowUpdate = RowResult & Omit<RowPatch, keyof RowResult>;

/**
 * Persists row changes in batched transactions: every change made in one turn of the
 * event loop is written in one transaction on the next. `commit` resolves once the
 * change is on disk, so a row is never reported done before its result is stored, and a
 * request's slot is not freed before then (a kill never loses more than is in flight).
 */
export class RowWriter {
  readonly #repo: Repository;
  readonly #onCommitted: (updates: RowUpdate[]) => void;
  #pending = new Map<string, RowUpdate>();
  #attempts: AttemptRecord[] = [];
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(repo: Repository, onCommitted: (updates: RowUpdate[]) => void) {
    this.#repo = repo;
    this.#onCommitted = onCommitted;
  }

  write(update: RowUpdate): void {
    const key = `${update.jobId}\u0000${update.index}`;
    const previous = this.#pending.get(key);
    this.#pending.set(key, previous ? { ...previous, ...update } : update);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Logs one request of a row; stored with the next batch. */
  attempt(record: AttemptRecord): void {
    this.#attempts.push(record);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  commit(update: RowUpdate): Promise<void> {
    this.write(update);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Writes everything pending now, in one transaction. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const updates = [...this.#pending.values()];
    const attempts = this.#attempts;
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#attempts = [];
    this.#waiters = [];
    if (updates.length === 0 && attempts.length === 0) {
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    let stored: ReturnType<Repository['applyRowPatches']>;
    try {
      stored = this.#repo.applyRowPatches(updates, attempts);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      throw error;
    }
    // The UI sees what was stored: a row's tokens and cost are the sums over all its attempts.
    const committed = updates.map((update, i) => {
      const sums = stored[i];
      return sums && !update.cached ? { ...update, ...sums } : update;
    });
    if (committed.length > 0) this.#onCommitted(committed);
    for (const waiter of waiters) waiter.resolve();
  }
}

/**
 * Merges committed row changes by row and hands them out at most every `intervalMs`:
 * the UI gets about ten batches a second, never one message per row.
 */
export class RowEventBatcher {
  readonly #emit: (jobId: string, upserts: RowResult[]) => void;
  readonly #intervalMs: number;
  #pending = new Map<string, Map<number, RowResult>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (jobId: string, upserts: RowResult[]) => void, intervalMs = 100) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
  }

  add(updates: readonly RowUpdate[]): void {
    for (const update of updates) {
      let rows = this.#pending.get(update.jobId);
      if (!rows) this.#pending.set(update.jobId, (rows = new Map()));
      rows.set(update.index, resultOf(update));
    }
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [jobId, rows] of pending) this.#emit(jobId, [...rows.values()]);
  }
}

/** The part of an update the UI sees: the row's result, without storage-only fields. */
function resultOf(update: RowUpdate): RowResult {
  const { index, status, output, error, attempts, latencyMs, promptTokens, completionTokens, cost, cached, finish } =
    update;
  return { index, status, output, error, attempts, latencyMs, promptTokens, completionTokens, cost, cached, finish };
}
