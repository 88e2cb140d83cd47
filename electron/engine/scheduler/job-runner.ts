import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type Provider } from '../providers/provider.ts';
import type { QueuedRow, Repository } from '../store/repository.ts';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import type { RowWriter } from './row-writer.ts';

export interface JobRunnerOptions {
  jobId: string;
  systemPrompt: string;
  concurrency: number;
  repo: Repository;
  provider: Provider;
  writer: RowWriter;
  retry?: RetryPolicy;
}

/** How many queued rows are read from the database at a time. */
const PAGE = 256;

/**
 * Runs every queued row of one job through the provider with a fixed concurrency.
 * Rows are read page by page, so a million-row job never holds a million closures.
 */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #queue: PQueue;
  readonly #abort = new AbortController();
  readonly #retry: RetryPolicy;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#queue = new PQueue({ concurrency: options.concurrency });
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Resolves when every queued row has been tried, or after stop(). */
  async run(): Promise<void> {
    const { repo, jobId, concurrency } = this.#options;
    let after = -1;
    while (!this.stopped) {
      const page = repo.queuedRows(jobId, after, PAGE);
      if (page.length === 0) break;
      for (const row of page) {
        after = row.index;
        void this.#queue.add(() => this.#process(row)).catch(() => undefined);
      }
      await this.#queue.onSizeLessThan(concurrency);
    }
    await this.#queue.onIdle();
    this.#options.writer.flush();
  }

  /** Starts nothing new and aborts requests in flight; their rows go back to the queue. */
  stop(): void {
    this.#queue.clear();
    this.#abort.abort(new Error('stopped'));
  }

  async #process(row: QueuedRow): Promise<void> {
    const { jobId, systemPrompt, provider, writer } = this.#options;
    const signal = this.#abort.signal;
    let attempts = row.attempts;
    const startedAt = new Date().toISOString();
    for (;;) {
      if (signal.aborted) return;
      attempts += 1;
      const began = performance.now();
      writer.write({ ...EMPTY_RESULT, jobId, index: row.index, status: 'running', attempts, startedAt });
      try {
        const result = await provider.complete({ prompt: row.prompt, systemPrompt, signal });
        writer.write({
          jobId,
          index: row.index,
          status: 'done',
          output: result.text,
          error: null,
          attempts,
          httpStatus: result.httpStatus,
          latencyMs: Math.round(performance.now() - began),
          promptTokens: result.promptTokens,
          completionTokens: result.completionTokens,
          finishedAt: new Date().toISOString(),
        });
        return;
      } catch (error) {
        if (signal.aborted) {
          writer.write({
            ...EMPTY_RESULT,
            jobId,
            index: row.index,
            status: 'queued',
            attempts: attempts - 1,
            startedAt: null,
          });
          return;
        }
        const failure = error instanceof ProviderError ? error : null;
        const retryable = failure?.retryable ?? false;
        if (retryable && attempts < row.attempts + this.#retry.maxAttempts) {
          try {
            await sleep(backoffDelay(this.#retry, attempts - row.attempts), undefined, { signal });
          } catch {
            writer.write({ ...EMPTY_RESULT, jobId, index: row.index, status: 'queued', attempts, startedAt: null });
            return;
          }
          continue;
        }
        writer.write({
          ...EMPTY_RESULT,
          jobId,
          index: row.index,
          status: 'failed',
          attempts,
          error:
            failure?.message ??
            'Rowbot could not send this row (an unexpected error). Retry it; if it fails again, restart Rowbot.',
          httpStatus: failure?.httpStatus ?? null,
          latencyMs: Math.round(performance.now() - began),
          finishedAt: new Date().toISOString(),
        });
        return;
      }
    }
  }
}

const EMPTY_RESULT = {
  output: null,
  error: null,
  latencyMs: null,
  promptTokens: null,
  completionTokens: null,
} as const;
