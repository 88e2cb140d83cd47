import type { RowResult } from '../../../shared/api.ts';
import type { Repository, RowPatch } from '../store/repository.ts';

export type RowUpdate = RowResult & Omit<RowPatch, keyof RowResult>;

export interface RowWriterOptions {
  /** Longest a change waits before it is written and reported. */
  intervalMs: number;
  /** Flush early once this many rows are waiting. */
  maxPending: number;
}

/**
 * Merges row changes by row, writes them in one transaction, and only then reports
 * them: a row is never shown done before its result is committed, and the UI gets at
 * most ~10 batches a second instead of one message per row.
 */
export class RowWriter {
  readonly #repo: Repository;
  readonly #onFlush: (jobId: string, upserts: RowResult[]) => void;
  readonly #options: RowWriterOptions;
  #pending = new Map<string, RowUpdate>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    repo: Repository,
    onFlush: (jobId: string, upserts: RowResult[]) => void,
    options: Partial<RowWriterOptions> = {},
  ) {
    this.#repo = repo;
    this.#onFlush = onFlush;
    this.#options = { intervalMs: 100, maxPending: 500, ...options };
  }

  write(update: RowUpdate): void {
    const key = `${update.jobId}\u0000${update.index}`;
    const previous = this.#pending.get(key);
    this.#pending.set(key, previous ? { ...previous, ...update } : update);
    if (this.#pending.size >= this.#options.maxPending) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#options.intervalMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const updates = [...this.#pending.values()];
    this.#pending = new Map();
    this.#repo.applyRowPatches(updates);
    const byJob = new Map<string, RowResult[]>();
    for (const {
      jobId,
      index,
      status,
      output,
      error,
      attempts,
      latencyMs,
      promptTokens,
      completionTokens,
    } of updates) {
      let list = byJob.get(jobId);
      if (!list) byJob.set(jobId, (list = []));
      list.push({ index, status, output, error, attempts, latencyMs, promptTokens, completionTokens });
    }
    for (const [jobId, upserts] of byJob) this.#onFlush(jobId, upserts);
  }
}
