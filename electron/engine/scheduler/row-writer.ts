import type { RowResult } from '../../../shared/api.ts';
import type { AttemptRecord, Repository, RowPatch } from '../store/repository.ts';

export type RowUpdate = RowResult & Omit<RowPatch, keyof RowResult>;

/** At most this long between a change nobody waits for and its transaction. */
const LATER_MS = 50;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Persists row changes in batched transactions: every change made in one turn of the
 * event loop is written in one transaction on the next. `commit` resolves once the
 * change is on disk, so a row is never reported done before its result is stored, and a
 * request's slot is not freed before then (a kill never loses more than is in flight).
 *
 * When the database refuses a batch (the disk is full), the rows are written one by one,
 * answers first, so every one that still fits is kept; the others stay in memory, their
 * commits are rejected, `onError` is told, and the next flush writes them again. A flush
 * never throws: it runs on its own turn of the event loop, where a throw would end the process.
 */
export class RowWriter {
  readonly #repo: Repository;
  readonly #onCommitted: (updates: RowUpdate[]) => void;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, RowUpdate>();
  #attempts: AttemptRecord[] = [];
  #waiters = new Map<string, Waiter[]>();
  #scheduled: NodeJS.Immediate | undefined;
  #later: NodeJS.Timeout | undefined;
  /** Rows the database refused at the last flush, held in memory. */
  #kept = 0;

  constructor(
    repo: Repository,
    onCommitted: (updates: RowUpdate[]) => void,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.#repo = repo;
    this.#onCommitted = onCommitted;
    this.#onError = onError;
  }

  /**
   * A change nobody waits for (a row marked running, or waiting to be retried): stored with the
   * next batch that is, or within `LATER_MS`. Under load it rides along with the answers' batches
   * instead of costing a transaction of its own; after a crash such a row is queued again anyway.
   */
  write(update: RowUpdate): void {
    this.#put(update);
    if (!this.#scheduled) this.#later ??= setTimeout(() => this.flush(), LATER_MS);
  }

  #put(update: RowUpdate): void {
    const key = keyOf(update);
    const previous = this.#pending.get(key);
    this.#pending.set(key, previous ? { ...previous, ...update } : update);
  }

  #soon(): void {
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Logs one request of a row; stored with the next batch. */
  attempt(record: AttemptRecord): void {
    this.#attempts.push(record);
    this.#soon();
  }

  /** Resolves once the update is stored; rejects when the database refused it (it is kept to write later). */
  commit(update: RowUpdate): Promise<void> {
    this.#put(update);
    this.#soon();
    const key = keyOf(update);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(key, list);
    });
  }

  /** Rows whose changes the database refused, held in memory until a flush stores them. */
  get unsaved(): number {
    return this.#kept;
  }

  /** Writes everything pending now, in one transaction. Returns false when some of it could not be stored. */
  flush(): boolean {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    clearTimeout(this.#later);
    this.#scheduled = undefined;
    this.#later = undefined;
    const updates = [...this.#pending.values()];
    const attempts = this.#attempts;
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#attempts = [];
    this.#waiters = new Map();
    this.#kept = 0;
    if (updates.length === 0 && attempts.length === 0) {
      for (const list of waiters.values()) for (const waiter of list) waiter.resolve();
      return true;
    }
    try {
      this.#stored(updates, this.#repo.applyRowPatches(updates, attempts), waiters);
      return true;
    } catch {
      return this.#rowByRow(updates, attempts, waiters);
    }
  }

  /** After a refused batch: each row in its own transaction, answers first; what does not fit is kept. */
  #rowByRow(updates: RowUpdate[], attempts: AttemptRecord[], waiters: Map<string, Waiter[]>): boolean {
    const rows = new Map<string, { update: RowUpdate | null; attempts: AttemptRecord[] }>();
    for (const update of updates) rows.set(keyOf(update), { update, attempts: [] });
    for (const record of attempts) {
      const key = keyOf(record);
      const row = rows.get(key) ?? { update: null, attempts: [] };
      row.attempts.push(record);
      rows.set(key, row);
    }
    const order = [...rows].sort(([, a], [, b]) => rank(a.update) - rank(b.update));
    let error: unknown = null;
    for (const [key, row] of order) {
      const own = waiters.get(key) ?? [];
      try {
        const patches = row.update ? [row.update] : [];
        this.#stored(patches, this.#repo.applyRowPatches(patches, row.attempts), new Map([[key, own]]));
      } catch (rowError) {
        error = rowError;
        this.#kept += 1;
        // Kept for the next flush, ahead of anything written since.
        if (row.update) {
          const newer = this.#pending.get(key);
          this.#pending.set(key, newer ? { ...row.update, ...newer } : row.update);
        }
        this.#attempts = [...row.attempts, ...this.#attempts];
        for (const waiter of own) waiter.reject(rowError);
      }
    }
    if (error === null) return true;
    this.#onError(error);
    return false;
  }

  #stored(
    updates: RowUpdate[],
    stored: ReturnType<Repository['applyRowPatches']>,
    waiters: Map<string, Waiter[]>,
  ): void {
    // The UI sees what was stored: a row's tokens and cost are the sums over all its attempts.
    const committed = updates.map((update, i) => {
      const sums = stored[i];
      return sums && !update.cached ? { ...update, ...sums } : update;
    });
    if (committed.length > 0) this.#onCommitted(committed);
    for (const list of waiters.values()) for (const waiter of list) waiter.resolve();
  }
}

function keyOf(cell: { jobId: string; index: number; col: number }): string {
  return `${cell.jobId}\u0000${cell.index}\u0000${cell.col}`;
}

/** Answers are stored first when not everything fits: they were paid for. */
function rank(update: RowUpdate | null): number {
  return update?.status === 'done' ? 0 : update === null ? 2 : 1;
}

/**
 * Merges committed row changes by row and hands them out at most every `intervalMs`:
 * the UI gets about ten batches a second, never one message per row.
 */
export class RowEventBatcher {
  readonly #emit: (jobId: string, upserts: RowResult[]) => void;
  readonly #intervalMs: number;
  #pending = new Map<string, Map<string, RowResult>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (jobId: string, upserts: RowResult[]) => void, intervalMs = 100) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
  }

  add(updates: readonly RowUpdate[]): void {
    for (const update of updates) {
      let rows = this.#pending.get(update.jobId);
      if (!rows) this.#pending.set(update.jobId, (rows = new Map()));
      rows.set(`${update.index}:${update.col}`, resultOf(update));
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
  const { index, col, status, output, error, attempts, latencyMs, promptTokens, completionTokens, cost, cached } =
    update;
  const { finish, stale, edited } = update;
  return {
    index,
    col,
    status,
    output,
    error,
    attempts,
    latencyMs,
    promptTokens,
    completionTokens,
    cost,
    cached,
    finish,
    stale,
    edited,
  };
}
