/**
 * One job's rows through a provider's Batch API: split into batches within the provider's limits,
 * each recorded before it is sent, submitted (the file streamed up), checked with a growing interval
 * until the provider has ended it, and its results streamed down and stored in batched transactions,
 * matched to rows by custom_id (they come in any order). A batch whose creation is in doubt after a
 * crash is looked for at the provider before anything is sent again.
 */
import { randomBytes } from 'node:crypto';
import type { BatchView, RowResult } from '../../../shared/api.ts';
import { fromNanos } from '../pricing.ts';
import { ProviderError } from '../providers/provider.ts';
import type { BatchRecord, BatchRowResult, BatchStore } from './batch-store.ts';
import { CANCELED, EXPIRED, type BatchLimits, type BatchOutcome, type BatchWire, type RemoteBatch } from './wire.ts';

export interface BatchPolling {
  /** The first check after a batch is sent, then each wait 1.5 times the last, up to `maxMs`. */
  firstMs: number;
  maxMs: number;
}

/** docs/batch-apis.md §4: Anthropic's and Azure's examples check every 60 s. */
export const BATCH_POLLING: BatchPolling = { firstMs: 5_000, maxMs: 60_000 };

export interface BatchRunOptions {
  jobId: string;
  /** The provider's Batch API client, whose calls `signal` aborts (stop, close). */
  wire: (signal: AbortSignal) => BatchWire;
  store: BatchStore;
  limits: BatchLimits;
  polling: BatchPolling;
  /** The provider's request body for one row's prompt. */
  body(prompt: string): Record<string, unknown>;
  /** Nanodollars at the batch price; null when the model's price is unknown. */
  costNanos(promptTokens: number | null, completionTokens: number | null, cachedTokens: number): number | null;
  /** The most a row could cost at the batch price (its prompt counted, the output limit in full). */
  worstNanos(prompt: string): number;
  /** Dollars the job may still spend (its budget less what it spent and what open batches hold); null: no budget. */
  budgetLeftNanos(): number | null;
  /** Told of rows stored from results, and of every change worth showing. */
  onRows(rows: RowResult[]): void;
  onChange(): void;
}

export type BatchRunOutcome = 'collected' | 'stopped' | { failed: string };

/** Results stored per transaction: big enough that shuffled results rewrite few pages, small enough that the UI never waits long. */
const RESULT_CHUNK = 10_000;

export class BatchRun {
  readonly #o: BatchRunOptions;
  readonly #abort = new AbortController();
  readonly #wire: BatchWire;
  #stopped = false;
  #canceled = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | null = null;
  /** Batches whose file is going up, and whose results are coming down, now. */
  readonly #sending = new Set<string>();
  readonly #collecting = new Set<string>();
  readonly done: Promise<BatchRunOutcome>;
  #resolve!: (outcome: BatchRunOutcome) => void;
  /** Resolves once every queued row is in a batch at the provider (`--detach` waits for this). */
  readonly sent: Promise<void>;
  #resolveSent!: () => void;

  constructor(options: BatchRunOptions) {
    this.#o = options;
    this.#wire = options.wire(this.#abort.signal);
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.sent = new Promise((resolve) => (this.#resolveSent = resolve));
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  start(): void {
    void this.#main().then(
      (outcome) => this.#resolve(outcome),
      (error: unknown) => this.#resolve({ failed: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Stops checking (the app closes, or the user pauses): the batches go on at the provider, to be collected later. */
  stop(): void {
    this.#stopped = true;
    this.#abort.abort(new Error('stopped'));
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  /** Asks the provider to cancel every open batch; what it finished is still collected. */
  async cancel(): Promise<void> {
    // No batch is made after this; one being sent now is canceled as soon as the provider names it.
    this.#canceled = true;
    for (const batch of this.#o.store.forJob(this.#o.jobId)) {
      if (batch.state === 'waiting' && batch.remoteId) await this.#cancelRemote(batch.id, batch.remoteId);
    }
    this.#o.onChange();
    // Check again now, not at the end of the current wait.
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #cancelRemote(batchId: string, remoteId: string): Promise<void> {
    const remote = await this.#wire.cancel(remoteId);
    this.#o.store.polled(batchId, {
      status: remote.status,
      succeeded: remote.succeeded,
      errored: remote.errored,
      failure: remote.failure,
    });
  }

  /** The job's batches as the job view shows them. */
  views(): BatchView[] {
    return batchViews(this.#o.store.forJob(this.#o.jobId), this.#sending, this.#collecting);
  }

  async #main(): Promise<BatchRunOutcome> {
    // Batches a crash left in doubt first: never send their rows again while they may be at the provider.
    for (const batch of this.#o.store.forJob(this.#o.jobId)) {
      if (batch.state === 'submitting') await this.#recover(batch);
    }
    await this.#submitQueued();
    this.#resolveSent();
    const polls = new Map<string, number>();
    for (;;) {
      if (this.#stopped) return 'stopped';
      const open = this.#o.store.forJob(this.#o.jobId).filter((batch) => batch.state === 'waiting');
      if (open.length === 0) return 'collected';
      let wait: number | null = null;
      for (const batch of open) {
        if (this.#stopped) return 'stopped';
        let remote: RemoteBatch;
        try {
          remote = await this.#wire.get(batch.remoteId ?? '');
        } catch (error) {
          // A network blip or a 5xx during a day-long wait is waited out, said on the batch; a
          // refusal (the key was revoked) stops the run with the provider's words.
          if (this.#stopped) return 'stopped';
          const transient = error instanceof ProviderError ? error.retryable : isNetworkError(error);
          if (!transient) throw error;
          this.#o.store.polled(batch.id, {
            status: batch.remoteStatus ?? 'unknown',
            succeeded: batch.succeeded,
            errored: batch.errored,
            failure: `Could not reach the provider to check this batch (${error instanceof Error ? error.message : String(error)}); trying again.`,
          });
          const n = polls.get(batch.id) ?? 0;
          polls.set(batch.id, n + 1);
          wait = Math.min(
            wait ?? this.#o.polling.maxMs,
            Math.min(this.#o.polling.maxMs, this.#o.polling.firstMs * 1.5 ** n),
          );
          continue;
        }
        this.#o.store.polled(batch.id, {
          status: remote.status,
          succeeded: remote.succeeded,
          errored: remote.errored,
          failure: remote.failure,
        });
        if (remote.phase === 'ended') {
          await this.#collect(this.#o.store.get(batch.id), remote);
          continue;
        }
        const n = polls.get(batch.id) ?? 0;
        polls.set(batch.id, n + 1);
        const next = Math.min(this.#o.polling.maxMs, this.#o.polling.firstMs * 1.5 ** n);
        wait = wait === null ? next : Math.min(wait, next);
      }
      this.#o.onChange();
      // Every batch checked has ended and was collected: look again at once (the loop ends there).
      if (wait !== null) await this.#sleep(wait);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  /**
   * Splits the queued rows into batches of at most the provider's requests and bytes, each recorded
   * (its rows claimed) and then sent. The budget holds the worst case of every batch until its results are in.
   */
  async #submitQueued(): Promise<void> {
    const { store, limits, jobId } = this.#o;
    const wire = this.#wire;
    let current: { id: string; first: number; last: number; count: number; bytes: number; reserved: number } | null =
      null;
    const close = async (): Promise<void> => {
      if (!current) return;
      const budget = this.#o.budgetLeftNanos();
      if (budget !== null && current.reserved > budget) {
        throw new ProviderError(
          `Not sent: these ${current.count.toLocaleString('en-US')} rows could cost up to $${fromNanos(current.reserved)?.toFixed(4)} at the batch price, more than the job's budget has left. Raise the budget, or send fewer rows.`,
          { kind: 'row', httpStatus: null },
        );
      }
      const batch = store.create({
        id: current.id,
        jobId,
        first: current.first,
        last: current.last,
        count: current.count,
        reservedNanos: current.reserved,
      });
      const { bytes } = current;
      current = null;
      await this.#send(batch, bytes);
    };
    for (const row of store.queued(jobId)) {
      if (this.#canceled || this.#stopped) return;
      current ??= { id: newBatchId(), first: row.index, last: row.index, count: 0, bytes: 0, reserved: 0 };
      const body = this.#o.body(row.prompt);
      let bytes = Buffer.byteLength(wire.line(customId(current.id, row.index), body)) + 1;
      if (current.count > 0 && (current.count + 1 > limits.requests || current.bytes + bytes > limits.bytes)) {
        await close();
        current = { id: newBatchId(), first: row.index, last: row.index, count: 0, bytes: 0, reserved: 0 };
        bytes = Buffer.byteLength(wire.line(customId(current.id, row.index), body)) + 1;
      }
      current.last = row.index;
      current.count += 1;
      current.bytes += bytes;
      current.reserved += this.#o.worstNanos(row.prompt);
    }
    if (!this.#canceled && !this.#stopped) await close();
  }

  /**
   * Sends one recorded batch, its file of `bytes` (as sized when it was split) written again from
   * its rows as it goes up; when the answer is lost, looks for it before giving its rows back.
   */
  async #send(batch: BatchRecord, bytes: number): Promise<void> {
    const { store, body } = this.#o;
    const wire = this.#wire;
    async function* lines(): AsyncGenerator<string> {
      for (const row of store.rows(batch)) yield wire.line(customId(batch.id, row.index), body(row.prompt));
    }
    this.#sending.add(batch.id);
    this.#o.onChange();
    try {
      const sent = await wire.submit(batch.id, lines, { count: batch.requests, bytes }, (ids) => {
        if (ids.inputFileId) store.storeInputFile(batch.id, ids.inputFileId);
        if (ids.remoteId) store.storeRemote(batch.id, ids.remoteId);
      });
      if (this.#canceled) await this.#cancelRemote(batch.id, sent.remoteId);
    } catch (error) {
      // A refusal (a bad key, a model without batches) is final; anything else may have created it.
      const refused = error instanceof ProviderError && !error.retryable && error.httpStatus !== null;
      if (!refused && (await this.#recover(store.get(batch.id)))) return;
      store.lose(batch.id, error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      this.#sending.delete(batch.id);
      this.#o.onChange();
    }
  }

  /**
   * A batch recorded but not known to be at the provider: the one the provider made for it, found by
   * its metadata or input file (OpenAI) or its size and time (Anthropic), is taken; otherwise its rows
   * go back to the queue. Returns whether it was found.
   */
  async #recover(batch: BatchRecord): Promise<boolean> {
    const { store } = this.#o;
    const wire = this.#wire;
    if (batch.remoteId) {
      store.storeRemote(batch.id, batch.remoteId);
      return true;
    }
    const found = await wire.find(batch.id, {
      inputFileId: batch.inputFileId,
      createdAfter: Date.parse(batch.createdAt),
      count: batch.requests,
      taken: store.remoteIds(),
    });
    if (found) {
      store.storeRemote(batch.id, found.remoteId);
      return true;
    }
    store.lose(batch.id, 'The provider did not create this batch: its rows went back to the queue.');
    return false;
  }

  /** Streams an ended batch's results into the rows, a chunk per transaction; rows left without one fail. */
  async #collect(batch: BatchRecord, remote: RemoteBatch): Promise<void> {
    this.#collecting.add(batch.id);
    this.#o.onChange();
    try {
      let chunk: BatchRowResult[] = [];
      const flush = (): void => {
        if (chunk.length === 0) return;
        const stored = this.#o.store.storeResults(batch, chunk);
        this.#o.onRows(stored);
        chunk = [];
      };
      for await (const outcome of this.#wire.results(remote)) {
        const index = rowOf(batch.id, outcome.customId);
        if (index === null) continue;
        chunk.push(this.#rowResult(index, outcome));
        if (chunk.length >= RESULT_CHUNK) flush();
      }
      flush();
      this.#o.store.collected(batch, remote.status, unansweredBecause(remote));
    } finally {
      this.#collecting.delete(batch.id);
      this.#o.onChange();
    }
  }

  #rowResult(index: number, outcome: BatchOutcome): BatchRowResult {
    if (outcome.kind === 'done') {
      const { answer } = outcome;
      return {
        index,
        status: 'done',
        output: answer.text,
        error: null,
        httpStatus: answer.httpStatus,
        promptTokens: answer.promptTokens,
        completionTokens: answer.completionTokens,
        costNanos: this.#o.costNanos(answer.promptTokens, answer.completionTokens, answer.cachedTokens ?? 0),
        finish: answer.finishReason,
        outcome: 'done',
      };
    }
    const usage = outcome.usage ?? { promptTokens: null, completionTokens: null };
    return {
      index,
      status: 'failed',
      output: null,
      error: outcome.error,
      httpStatus: outcome.httpStatus,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      costNanos: this.#o.costNanos(usage.promptTokens, usage.completionTokens, 0),
      finish: null,
      outcome: outcome.kind === 'failed' ? 'failed' : 'stopped',
    };
  }
}

/** A failure of the connection itself (refused, reset, a timeout), not an answer. */
function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR_\w+|HTTP_TIMEOUT)$/.test(code);
}

/** A short id of letters and digits: custom_ids are `<batch>-<row>`, within Anthropic's 64 characters of [A-Za-z0-9_-]. */
function newBatchId(): string {
  return `rb${randomBytes(9)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')}`;
}

export function customId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

/** The row of a custom_id of this batch; null for one that is not ours. */
export function rowOf(batchId: string, id: string): number | null {
  if (!id.startsWith(`${batchId}-`)) return null;
  const index = Number(id.slice(batchId.length + 1));
  return Number.isInteger(index) && index >= 0 ? index : null;
}

/** Why a row of an ended batch has no result, from how the batch ended. */
function unansweredBecause(remote: RemoteBatch): string {
  if (remote.failure) return `The provider refused the batch: ${remote.failure}`;
  if (remote.status === 'expired') return EXPIRED;
  if (/cancel/.test(remote.status)) return CANCELED;
  return 'The provider returned no result for this row.';
}

/** Batches as the job view shows them; `sending` and `collecting` are what this process is doing now. */
export function batchViews(
  batches: readonly BatchRecord[],
  sending: ReadonlySet<string> = new Set(),
  collecting: ReadonlySet<string> = new Set(),
): BatchView[] {
  return batches.map((batch) => batchView(batch, sending, collecting));
}

function batchView(batch: BatchRecord, sending: ReadonlySet<string>, collecting: ReadonlySet<string>): BatchView {
  const status = batch.remoteStatus ?? '';
  const phase = ((): BatchView['phase'] => {
    if (batch.state === 'lost') return 'not sent';
    if (batch.state === 'submitting' || sending.has(batch.id)) return 'sending';
    if (collecting.has(batch.id)) return 'collecting';
    if (batch.state === 'collected') {
      if (status === 'failed') return 'failed';
      if (status === 'expired') return 'expired';
      if (/cancel/.test(status)) return 'canceled';
      return 'done';
    }
    if (status === 'validating' || status === '') return 'checking';
    if (status === 'finalizing') return 'finishing';
    if (status === 'cancelling' || status === 'canceling') return 'canceling';
    if (['completed', 'ended', 'failed', 'expired', 'cancelled'].includes(status)) return 'collecting';
    return 'in_progress';
  })();
  return {
    id: batch.id,
    phase,
    remoteStatus: batch.remoteStatus,
    requests: batch.requests,
    succeeded: batch.succeeded,
    errored: batch.errored,
    submittedAt: batch.submittedAt,
    endedAt: batch.endedAt,
    error: batch.error,
  };
}
