import PQueue from 'p-queue';
import type { AttemptView, ColumnOptions, LiveStats, RunSettings } from '../../../shared/api.ts';
import { ProviderError, type FailureKind, type Provider, type Usage } from '../providers/provider.ts';
import type { CachedAnswer, QueuedRow, Repository } from '../store/repository.ts';
import { AutoConcurrency } from './auto-concurrency.ts';
import { Pacer } from './pacer.ts';
import { TRANSIENT_BACKOFF, backoffDelay } from './retry.ts';
import type { RowUpdate, RowWriter } from './row-writer.ts';
import { Throughput } from './throughput.ts';

/**
 * Why the line stopped: the provider refused (auth, model, quota), the budget is spent, or the
 * provider has answered nothing but 429s for longer than the job's patience (rate_limited).
 */
export type StopReason =
  Extract<FailureKind, 'auth' | 'model' | 'quota' | 'rate_limited'> | 'budget' | 'budget-unpriced';

/** One AI column as the runner sends it: its model, prompt and options, and the columns around it. */
export interface ColumnRuntime {
  id: number;
  /** The columns whose cells (same row) this one's template uses: its cell runs once they are answered. */
  uses: readonly number[];
  /** The columns using this one: their cell in a row may run once this one's is answered. */
  usedBy: readonly number[];
  systemPrompt: string;
  provider: Provider;
  /** Its answer options over the job's settings (JSON, output limit, sampling). */
  options: ColumnOptions;
  /** Cost of one answer in dollars, or null when the price is unknown. */
  costOf: (promptTokens: number | null, completionTokens: number | null, cachedTokens?: number) => number | null;
  /** Worst case of one request in dollars (its prompt plus the whole output limit); null when the price is unknown. */
  worstCost: (promptTokens: number, maxOutputTokens: number) => number | null;
  /** Prompt tokens of a request, for pacing before the provider says the real count. */
  countTokens: (systemPrompt: string, prompt: string) => number;
  /** Answers of identical earlier requests (same provider, model, parameters and prompt). */
  cache?: {
    /** The key of a request; answers are stored under it by the row writer, with the cell. */
    keyOf(systemPrompt: string, prompt: string, settings: RunSettings): string;
    get(key: string): CachedAnswer | undefined;
  };
  /**
   * Makes a cell's prompt as it is about to run, for a column whose prompt uses other cells or the
   * user's corrections; `skipped` when all it fills in is empty. Absent: the stored prompt is sent.
   */
  makePrompt?: (index: number) => { prompt: string; skipped: boolean };
}

export interface JobRunnerOptions {
  jobId: string;
  /** The job's settings: concurrency, pacing, retries and budget are shared by all its columns. */
  settings: RunSettings;
  /** The AI columns, in order. */
  columns: readonly ColumnRuntime[];
  repo: Repository;
  writer: RowWriter;
  /** Every row would fail the same way: the job must pause and say why. Called once per stop. */
  onStopLine: (reason: StopReason, detail: { error?: ProviderError; spent?: number }) => void;
  /** Spent on this job before this run (from the database). */
  spentBefore: number;
  /** Live figures changed (concurrency settled, a wait began). */
  onLiveChange?: () => void;
  /**
   * The database could not store a result (the disk is full): the run has paused, requests in
   * flight still finish, and what they bring is kept by the writer until it can be stored.
   * Called once per pause.
   */
  onStorageError?: (error: unknown) => void;
  random?: () => number;
  /** Backoff between tries after errors that may pass. */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  /** Run only this many queued cells found in the table (a sample run; the cells using them follow), then end. */
  sampleSize?: number;
}

/** completed: no queued row left; sampled: the sample's rows are done (others may wait); canceled. */
export type RunOutcome = 'completed' | 'sampled' | 'canceled';

/** Output tokens reserved per request for tokens/min pacing when the job sets no limit. */
export const DEFAULT_OUTPUT_RESERVE = 256;
/**
 * 429s without a Retry-After: one wait for the whole job, 1 s doubling per wave up to a minute,
 * less up to a quarter at random (openai-node src/client.ts calculateDefaultRetryTimeoutMillis:
 * 0.5 s doubling to 8 s, jitter 1 − random·0.25; ours grows further because it paces a whole job).
 */
const RATE_LIMIT_WAIT = { baseDelayMs: 1000, maxDelayMs: 60_000 };
/** A Retry-After on an error other than a 429 is obeyed when it is this short (openai-node: under 60 s). */
const MAX_OBEYED_RETRY_AFTER_MS = 60_000;
const MINUTE_MS = 60_000;
/**
 * Cells are keyed by row and column id in one number: row × COLUMN_SLOTS + column. Column ids stay
 * under MAX_COLUMN_ID (a job refuses more), so keys of different cells never meet, and a million
 * rows stay far inside a double's exact integers (2^40 of 2^53).
 */
const COLUMN_SLOTS = 2 ** 20;
const cellKey = (cell: { index: number; col: number }): number => cell.index * COLUMN_SLOTS + cell.col;

/** Where the scan of a column's queued cells is. */
interface ColumnScan {
  cursor: number;
  /** The table has no queued cell of the column that can run and is not scheduled; skip it until that changes. */
  exhausted: boolean;
}

/**
 * Runs the queued cells of one job, in all its AI columns. One p-queue holds the concurrency limit
 * (live adjustable); a Pacer holds requests/min, tokens/min and the provider's Retry-After; every
 * result is committed before its slot is freed. Cells are read from the database a page at a time,
 * so a million-row job never holds a million tasks. A cell whose column uses other columns runs as
 * soon as those cells of its row are answered: rows flow through the columns, no column waits for
 * the one before it to finish.
 */
export class JobRunner {
  readonly #o: JobRunnerOptions;
  readonly #queue: PQueue;
  readonly #abort = new AbortController();
  readonly #pacer: Pacer;
  readonly #throughput = new Throughput();
  readonly #scheduled = new Set<number>();
  /** Scheduled rows still waiting in the p-queue (not started). */
  readonly #waiting = new Set<number>();
  readonly #retryTimers = new Map<number, { timer: NodeJS.Timeout; row: QueuedRow }>();
  readonly #failures = new Map<number, number>();
  readonly #random: () => number;
  readonly #columns = new Map<number, ColumnRuntime>();
  /** The columns' scans, those that use others first: cells further along a row finish it sooner. */
  readonly #scans: { column: ColumnRuntime; scan: ColumnScan }[];
  #settings: RunSettings;
  #auto: AutoConcurrency | null = null;
  /** Cells taken into this run by scans; a sample run stops taking them at its size. */
  #taken = 0;
  #paused = false;
  #stopped: StopReason | null = null;
  /** The database refused a result since the last resume (told once). */
  #storageFailed = false;
  /** Aborted by pause(): requests waiting for their turn (pacing, a 429 wait) go back to the queue. */
  #hold = new AbortController();
  /** Waves of 429s since the last answer: each wave's wait doubles. */
  #rateLimitWaves = 0;
  /** When the current 429 wait ends: a 429 to a request sent before then belongs to the same wave. */
  #waveEndsAt = Number.NEGATIVE_INFINITY;
  /** The last answer (or the start of the run): 429s for longer than the job's patience stop it. */
  #lastAnswerAt = performance.now();
  #latencyMs: number | null = null;
  #tokensPerRow: number | null = null;
  /** Dollars spent (committed results) and held back for requests in flight. */
  #spent: number;
  #reserved = 0;
  #rateLimited = 0;
  #retries = 0;
  #finish!: (outcome: RunOutcome) => void;
  readonly done: Promise<RunOutcome>;
  #outcome: RunOutcome | null = null;

  constructor(options: JobRunnerOptions) {
    this.#o = options;
    this.#settings = options.settings;
    this.#spent = options.spentBefore;
    this.#random = options.random ?? Math.random;
    for (const column of options.columns) this.#columns.set(column.id, column);
    this.#scans = [...options.columns].reverse().map((column) => ({ column, scan: { cursor: -1, exhausted: false } }));
    this.#queue = new PQueue({ concurrency: options.settings.concurrency });
    this.#pacer = new Pacer(options.settings);
    this.#applyAuto();
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  start(): void {
    this.#pump();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Spending found after the fact (answers priced, or repriced, once the user set the model's price); may be negative. */
  addSpent(dollars: number): void {
    this.#spent += dollars;
  }

  /**
   * No new starts; requests in flight finish. Rows waiting for their turn (pacing, a rate-limit
   * wait) or for a retry go back to the queue at once: nothing is sent after a pause.
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#queue.pause();
    this.#hold.abort(new Error('paused'));
    for (const { timer, row } of this.#retryTimers.values()) {
      clearTimeout(timer);
      void this.#settle(row, this.#requeueUpdate(row));
    }
    this.#retryTimers.clear();
  }

  resume(): void {
    // While paused, the job may have run in another process (it is free to once nothing is in
    // flight here): rows waiting here are read again from the database rather than sent as they were.
    this.#queue.clear();
    for (const key of this.#waiting) this.#scheduled.delete(key);
    this.#taken -= this.#waiting.size;
    this.#waiting.clear();
    this.#rescan();
    this.#paused = false;
    this.#hold = new AbortController();
    this.#stopped = null;
    this.#storageFailed = false;
    this.#rateLimitWaves = 0;
    this.#waveEndsAt = Number.NEGATIVE_INFINITY;
    this.#lastAnswerAt = performance.now();
    this.#queue.start();
    this.#pump();
  }

  /** Resolves when no request is in flight (after a pause). */
  async settled(): Promise<void> {
    await this.#queue.onPendingZero();
  }

  /** Aborts requests in flight; their rows, and rows waiting to retry, go back to the queue. */
  cancel(): void {
    if (this.#outcome) return;
    this.#abort.abort(new Error('canceled'));
    this.#queue.clear();
    const waiting = [...this.#retryTimers.values()].map(({ timer, row }) => {
      clearTimeout(timer);
      return this.#settle(row, this.#requeueUpdate(row));
    });
    this.#retryTimers.clear();
    this.#pacer.dispose();
    void Promise.all([this.#queue.onIdle(), ...waiting]).then(() => this.#end('canceled'));
  }

  /** New cells were queued (a retry): look again from the start. */
  poke(): void {
    this.#rescan();
    this.#pump();
  }

  #rescan(): void {
    for (const { scan } of this.#scans) {
      scan.cursor = -1;
      scan.exhausted = false;
    }
  }

  /** The column's settings: its answer options over the job's. */
  #settingsOf(column: ColumnRuntime): RunSettings {
    return { ...this.#settings, ...column.options };
  }

  #column(row: QueuedRow): ColumnRuntime {
    const column = this.#columns.get(row.col);
    if (!column) throw new Error(`The job has no AI column ${row.col}.`);
    return column;
  }

  updateSettings(settings: RunSettings): void {
    const autoChanged = settings.autoConcurrency !== this.#settings.autoConcurrency;
    this.#settings = settings;
    this.#pacer.setLimits(settings);
    if (autoChanged || !settings.autoConcurrency) this.#applyAuto();
    this.#pump();
  }

  /** What the job is doing now, with `rowsLeft` (queued and running) for the time left. */
  live(rowsLeft: number): LiveStats {
    const gate = this.#pacer.gateUntil;
    const rate = this.#throughput.perMinute();
    const waitMs = gate === null ? 0 : gate - performance.now();
    return {
      concurrency: this.#queue.concurrency,
      inFlight: this.#queue.pending,
      rateLimited: this.#rateLimited,
      retries: this.#retries,
      rowsPerMinute: rate.rows,
      tokensPerMinute: rate.tokens,
      waitingUntil: gate === null ? null : new Date(Date.now() + waitMs).toISOString(),
      secondsLeft: this.#secondsLeft(rowsLeft, waitMs),
    };
  }

  /**
   * The time the rows left take at the settings in use now: the concurrency over the recent
   * latency, the requests and tokens per minute, and the wait the provider asked for. The slowest
   * of these sets the pace, so moving a slider or a provider's wait changes it at once, where
   * rows-left ÷ the last minute's rate lagged a minute behind (and ignored the slider entirely).
   */
  #secondsLeft(rows: number, waitMs: number): number | null {
    if (rows === 0) return 0;
    const latencyMs = this.#latencyMs;
    if (latencyMs === null) return null;
    const { requestsPerMinute, tokensPerMinute } = this.#settings;
    const byConcurrency = (rows * latencyMs) / 1000 / Math.max(1, this.#queue.concurrency);
    const byRequests = requestsPerMinute ? (rows / requestsPerMinute) * 60 : 0;
    const byTokens = tokensPerMinute && this.#tokensPerRow ? ((rows * this.#tokensPerRow) / tokensPerMinute) * 60 : 0;
    return Math.max(0, waitMs) / 1000 + Math.max(byConcurrency, byRequests, byTokens);
  }

  /** Recent answers' latency and tokens, smoothed (each new answer weighs a tenth). */
  #observeAnswer(latencyMs: number, tokens: number): void {
    const smooth = (previous: number | null, value: number): number =>
      previous === null ? value : previous * 0.9 + value * 0.1;
    this.#latencyMs = smooth(this.#latencyMs, latencyMs);
    if (tokens > 0) this.#tokensPerRow = smooth(this.#tokensPerRow, tokens);
  }

  #applyAuto(): void {
    const { autoConcurrency, concurrency } = this.#settings;
    this.#auto = autoConcurrency ? new AutoConcurrency({ start: concurrency, max: 1000 }) : null;
    this.#queue.concurrency = this.#auto?.value ?? concurrency;
  }

  /** Keeps the p-queue stocked with about one concurrency's worth of waiting cells. */
  #pump(): void {
    if (this.#outcome || this.#abort.signal.aborted || this.#paused) return;
    const target = Math.max(32, this.#queue.concurrency);
    if (this.#queue.size >= target / 2) return;
    for (const { column, scan } of this.#scans) {
      if (this.#queue.size >= target || this.#sampleTaken()) break;
      this.#fill(column, scan, target);
    }
    if (this.#scheduled.size === 0) this.#end(this.#sampleTaken() ? 'sampled' : 'completed');
  }

  #sampleTaken(): boolean {
    return this.#o.sampleSize !== undefined && this.#taken >= this.#o.sampleSize;
  }

  /** Schedules a column's queued cells that can run, from its scan's cursor on, up to `target` waiting. */
  #fill(column: ColumnRuntime, scan: ColumnScan, target: number): void {
    let wrapped = false;
    while (!scan.exhausted && this.#queue.size < target) {
      const page = this.#o.repo.queuedRows(this.#o.jobId, scan.cursor, target, column.id, column.uses);
      const fresh = page.filter((row) => !this.#scheduled.has(cellKey(row)));
      const room = this.#o.sampleSize === undefined ? fresh.length : Math.max(0, this.#o.sampleSize - this.#taken);
      for (const row of fresh.slice(0, room)) this.#schedule(row);
      this.#taken += Math.min(room, fresh.length);
      if (this.#sampleTaken()) return;
      if (page.length > 0) scan.cursor = page[page.length - 1]?.index ?? scan.cursor;
      if (page.length === target) continue;
      // The end of the table: cells requeued behind the cursor are picked up by one wrap.
      if (wrapped || scan.cursor === -1) {
        scan.exhausted = fresh.length === 0;
        return;
      }
      wrapped = true;
      scan.cursor = -1;
    }
  }

  /**
   * A cell was answered (or skipped): the cells of its row in the columns using it may run now.
   * They go ahead of new rows, so rows flow through the columns instead of waiting for a column to end.
   */
  #release(row: QueuedRow): void {
    if (this.#paused || this.#abort.signal.aborted) return;
    const { usedBy } = this.#column(row);
    if (usedBy.length === 0) return;
    // One read of the row's cells (a point lookup per dependent cost four times as much).
    const cells = new Map(this.#o.repo.rowStates(this.#o.jobId, row.index).map((cell) => [cell.col, cell]));
    const answered = (col: number): boolean => ['done', 'skipped'].includes(cells.get(col)?.status ?? '');
    for (const id of usedBy) {
      const cell = cells.get(id);
      const next = this.#columns.get(id);
      if (!cell || !next || cell.status !== 'queued' || cell.batched) continue;
      if (this.#scheduled.has(cellKey({ index: row.index, col: id })) || !next.uses.every(answered)) continue;
      this.#schedule({ index: row.index, col: id, prompt: cell.prompt, attempts: cell.attempts }, 1);
    }
  }

  #schedule(row: QueuedRow, priority = 0): void {
    this.#scheduled.add(cellKey(row));
    this.#enqueue(row, priority);
  }

  /** A cell waits in the p-queue for its turn; `#waiting` knows it until it starts. */
  #enqueue(row: QueuedRow, priority: number): void {
    const key = cellKey(row);
    this.#waiting.add(key);
    void this.#queue
      .add(
        () => {
          this.#waiting.delete(key);
          return this.#process(row);
        },
        { priority },
      )
      .catch(() => undefined);
  }

  #end(outcome: RunOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#pacer.dispose();
    this.#finish(outcome);
  }

  #estimate(row: QueuedRow, column: ColumnRuntime, settings: RunSettings): number {
    const output = settings.maxOutputTokens ?? DEFAULT_OUTPUT_RESERVE;
    return column.countTokens(column.systemPrompt, row.prompt) + output;
  }

  /**
   * Holds back the worst case of a request before it is sent; refuses when that could take
   * the job over its budget. Overshoot is then bounded by what is already in flight.
   */
  #reserveBudget(row: QueuedRow, column: ColumnRuntime, settings: RunSettings): number | 'stop' {
    const cap = settings.maxCost;
    if (cap === null) return 0;
    const output = settings.maxOutputTokens ?? DEFAULT_OUTPUT_RESERVE * 4;
    const worst = column.worstCost(column.countTokens(column.systemPrompt, row.prompt), output);
    const reason: StopReason | null =
      worst === null ? 'budget-unpriced' : this.#spent + this.#reserved + worst > cap ? 'budget' : null;
    if (reason) {
      if (this.#stopped === null) {
        this.#stopped = reason;
        this.pause();
        this.#o.onStopLine(reason, { spent: this.#spent });
      }
      return 'stop';
    }
    this.#reserved += worst ?? 0;
    return worst ?? 0;
  }

  async #process(row: QueuedRow): Promise<void> {
    const signal = this.#abort.signal;
    const column = this.#column(row);
    const settings = this.#settingsOf(column);
    let made = false;
    if (column.makePrompt) {
      // Its prompt uses other cells of the row (answered by now) or the user's corrections: made now.
      const { prompt, skipped } = column.makePrompt(row.index);
      row.prompt = prompt;
      made = true;
      if (skipped) {
        await this.#settle(row, {
          ...EMPTY,
          jobId: this.#o.jobId,
          index: row.index,
          col: row.col,
          status: 'skipped',
          attempts: row.attempts,
          prompt,
        });
        return;
      }
    }
    // With the cache off, a run neither reads nor writes it (writing cost a fifth of the main thread).
    const cacheKey = settings.useCache
      ? (column.cache?.keyOf(column.systemPrompt, row.prompt, settings) ?? null)
      : null;
    if (cacheKey !== null) {
      const hit = column.cache?.get(cacheKey);
      if (hit) {
        // The same request was answered before: reuse it, send nothing, pay nothing.
        await this.#settle(row, {
          ...EMPTY,
          jobId: this.#o.jobId,
          index: row.index,
          col: row.col,
          status: 'done',
          output: hit.output,
          attempts: row.attempts,
          latencyMs: 0,
          promptTokens: hit.promptTokens,
          completionTokens: hit.completionTokens,
          cost: 0,
          cached: true,
          finish: null,
          finishedAt: new Date().toISOString(),
          ...(made ? { prompt: row.prompt } : {}),
        });
        return;
      }
    }
    const estimate = this.#estimate(row, column, settings);
    const reserved = this.#reserveBudget(row, column, settings);
    if (reserved === 'stop') {
      this.#rescan();
      await this.#settle(row, this.#requeueUpdate(row));
      return;
    }
    try {
      await this.#send(row, { column, settings, made }, estimate, signal, cacheKey);
    } finally {
      this.#reserved -= reserved;
    }
  }

  /** Paces, sends and records one request of a row; its answer is cached under `cacheKey` unless that is null. */
  async #send(
    row: QueuedRow,
    { column, settings, made }: { column: ColumnRuntime; settings: RunSettings; made: boolean },
    estimate: number,
    signal: AbortSignal,
    cacheKey: string | null,
  ): Promise<void> {
    const { jobId, writer } = this.#o;
    const { index, col } = row;
    try {
      if (this.#paused) throw new Error('paused');
      await this.#pacer.acquire(estimate, signal, this.#hold.signal);
    } catch {
      await this.#settle(row, this.#requeueUpdate(row));
      return;
    }
    row.attempts += 1;
    const began = performance.now();
    const startedAt = new Date().toISOString();
    writer.write({
      ...EMPTY,
      jobId,
      index,
      col,
      status: 'running',
      attempts: row.attempts,
      startedAt,
      ...(made ? { prompt: row.prompt } : {}),
    });
    const log = (outcome: AttemptView['outcome'], details: Partial<AttemptView> = {}): void =>
      writer.attempt({
        jobId,
        index,
        col,
        attempt: row.attempts,
        startedAt,
        finishedAt: new Date().toISOString(),
        outcome,
        httpStatus: null,
        latencyMs: Math.round(performance.now() - began),
        promptTokens: null,
        completionTokens: null,
        cost: null,
        error: null,
        ...details,
      });
    try {
      const result = await column.provider.complete({
        prompt: row.prompt,
        systemPrompt: column.systemPrompt,
        maxOutputTokens: settings.maxOutputTokens,
        params: {
          temperature: settings.temperature,
          topP: settings.topP,
          stop: settings.stop,
          jsonOutput: settings.jsonOutput,
        },
        timeoutMs: settings.timeoutSeconds * 1000,
        signal,
      });
      const problem = jsonProblem(result.text, settings.jsonOutput);
      if (problem) {
        // The provider billed this answer: its usage is counted though the answer is not kept.
        throw new ProviderError(`The answer was not the JSON asked for: ${problem}.`, {
          kind: 'transient',
          httpStatus: result.httpStatus,
          usage: result,
        });
      }
      const billed = this.#billed(result, estimate, column);
      const cost = billed.cost ?? null;
      this.#pacer.observe(result.limits, estimate);
      this.#rateLimitWaves = 0;
      this.#lastAnswerAt = performance.now();
      this.#observeAnswer(this.#lastAnswerAt - began, (result.promptTokens ?? 0) + (result.completionTokens ?? 0));
      this.#onAutoChange(this.#auto?.onSuccess() ?? null);
      this.#failures.delete(cellKey(row));
      log('done', { httpStatus: result.httpStatus, ...billed });
      // An answer cut off at the output limit or by a filter is no answer to hand another job.
      const cacheable =
        cacheKey !== null && result.finishReason !== 'length' && result.finishReason !== 'content_filter';
      await this.#settle(row, {
        jobId,
        index,
        col,
        stale: false,
        edited: false,
        status: 'done',
        output: result.text,
        error: null,
        attempts: row.attempts,
        httpStatus: result.httpStatus,
        latencyMs: Math.round(performance.now() - began),
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        cost,
        cached: false,
        finish: result.finishReason,
        finishedAt: new Date().toISOString(),
        ...(cacheable
          ? {
              cacheAs: {
                key: cacheKey,
                answer: {
                  output: result.text,
                  promptTokens: result.promptTokens,
                  completionTokens: result.completionTokens,
                },
              },
            }
          : {}),
      });
    } catch (error) {
      if (signal.aborted) {
        log('aborted', { error: 'Canceled while the request was in flight.' });
        await this.#settle(row, this.#requeueUpdate(row));
        return;
      }
      await this.#onFailure(row, error, began, estimate, log, { column, settings });
    }
  }

  async #onFailure(
    row: QueuedRow,
    error: unknown,
    began: number,
    estimate: number,
    log: (outcome: AttemptView['outcome'], details?: Partial<AttemptView>) => void,
    { column, settings }: { column: ColumnRuntime; settings: RunSettings },
  ): Promise<void> {
    const failure = error instanceof ProviderError ? error : null;
    const kind = failure?.kind ?? 'row';
    const latencyMs = Math.round(performance.now() - began);
    const said = {
      httpStatus: failure?.httpStatus ?? null,
      error: failure?.message ?? String(error),
      ...this.#billed(failure?.usage ?? null, estimate, column),
    };
    if (kind === 'rate_limited') {
      this.#rateLimited += 1;
      this.#pacer.adjustTokens(-estimate);
      log('rate_limited', said);
      this.#onRateLimited(failure as ProviderError, began);
      this.#onAutoChange(this.#auto?.onRateLimited(began, performance.now()) ?? null);
      this.#o.onLiveChange?.();
      if (this.#stopped !== null) {
        this.#rescan();
        await this.#settle(row, this.#requeueUpdate(row));
        return;
      }
      this.#retryLater(row, 0);
      return;
    }
    if (kind === 'auth' || kind === 'model' || kind === 'quota') {
      if (this.#stopped === null) {
        this.#stopped = kind;
        this.pause();
        this.#o.onStopLine(kind, { error: failure as ProviderError });
      }
      this.#rescan();
      log('stopped', said);
      await this.#settle(row, this.#requeueUpdate(row));
      return;
    }
    const failures = (this.#failures.get(cellKey(row)) ?? 0) + 1;
    this.#failures.set(cellKey(row), failures);
    if (kind === 'transient' && failures < settings.maxAttempts) {
      this.#retries += 1;
      log('retry', said);
      const asked = failure?.retryAfterMs ?? null;
      this.#retryLater(
        row,
        asked !== null && asked >= 0 && asked < MAX_OBEYED_RETRY_AFTER_MS
          ? asked
          : backoffDelay(
              { ...(this.#o.backoff ?? TRANSIENT_BACKOFF), maxAttempts: settings.maxAttempts },
              failures,
              this.#random,
            ),
      );
      return;
    }
    this.#failures.delete(cellKey(row));
    log('failed', said);
    const message =
      failure?.message ??
      'Rowbot could not send this row because of an unexpected error. Retry it; if it fails again, restart Rowbot.';
    await this.#settle(row, {
      ...EMPTY,
      jobId: this.#o.jobId,
      index: row.index,
      col: row.col,
      status: 'failed',
      attempts: row.attempts,
      error: kind === 'transient' ? `${message} Gave up after ${failures} tries.` : message,
      httpStatus: failure?.httpStatus ?? null,
      latencyMs,
      finishedAt: new Date().toISOString(),
    });
  }

  /**
   * The row waits, marked queued (it has no request in flight), and goes back to the front of the
   * queue after `delayMs`. After a pause it goes back to the queue at once instead.
   */
  #retryLater(row: QueuedRow, delayMs: number): void {
    if (this.#paused || this.#abort.signal.aborted) {
      void this.#settle(row, this.#requeueUpdate(row));
      return;
    }
    this.#o.writer.write(this.#requeueUpdate(row));
    if (delayMs <= 0) {
      this.#enqueue(row, 1);
      return;
    }
    const timer = setTimeout(() => {
      this.#retryTimers.delete(cellKey(row));
      if (this.#abort.signal.aborted) return;
      this.#enqueue(row, 1);
    }, delayMs);
    this.#retryTimers.set(cellKey(row), { timer, row });
  }

  /**
   * One wait for the whole job. A wave of 429s to requests that were in flight together counts
   * once: the wait grows only when a request sent after the previous wait ended is refused again.
   * When the provider has answered nothing but 429s for longer than the job's patience, stop.
   */
  #onRateLimited(failure: ProviderError, sentAt: number): void {
    const now = performance.now();
    const newWave = sentAt >= this.#waveEndsAt;
    if (newWave) this.#rateLimitWaves += 1;
    const asked = failure.retryAfterMs;
    if (asked !== null || newWave) {
      const wait = asked ?? rateLimitWait(this.#rateLimitWaves, this.#random);
      this.#waveEndsAt = Math.max(this.#waveEndsAt, now + wait);
      this.#pacer.blockUntil(now + wait);
    }
    this.#pacer.observe(failure.limits, 0);
    const patienceMs = this.#settings.rateLimitPatienceMinutes * MINUTE_MS;
    if (this.#stopped === null && now - this.#lastAnswerAt >= patienceMs) {
      this.#stopped = 'rate_limited';
      this.pause();
      this.#o.onStopLine('rate_limited', { error: failure });
    }
  }

  /**
   * Counts what a billed answer used, kept or not: the token pacing's correction, throughput and the
   * money spent; returns its usage and cost for the attempt log.
   */
  #billed(usage: Usage | null, estimate: number, column: ColumnRuntime): Partial<AttemptView> {
    if (!usage) return {};
    const used = (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0);
    if (usage.promptTokens !== null) this.#pacer.adjustTokens(used - estimate);
    this.#throughput.record(used);
    const cost = column.costOf(usage.promptTokens, usage.completionTokens, usage.cachedTokens);
    this.#spent += cost ?? 0;
    return { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cost };
  }

  #requeueUpdate(row: QueuedRow): RowUpdate {
    return {
      ...EMPTY,
      jobId: this.#o.jobId,
      index: row.index,
      col: row.col,
      status: 'queued',
      attempts: row.attempts,
      startedAt: null,
    };
  }

  /**
   * Commits the row's final state for this run, then frees it and tops the queue up. The
   * caller (a queue task) awaits this, so its slot is held until the state is on disk.
   */
  async #settle(row: QueuedRow, update: RowUpdate): Promise<void> {
    try {
      await this.#o.writer.commit(update);
    } catch (error) {
      // The database refused the write (the disk is full?): send nothing more, but let requests in
      // flight finish: their answers are paid for, and the writer keeps them until they can be stored.
      this.#scheduled.delete(cellKey(row));
      this.pause();
      if (!this.#storageFailed) {
        this.#storageFailed = true;
        this.#o.onStorageError?.(error);
      }
      return;
    }
    this.#scheduled.delete(cellKey(row));
    if (update.status === 'done' || update.status === 'skipped') this.#release(row);
    if (!this.#abort.signal.aborted && !this.#paused) this.#pump();
  }

  #onAutoChange(value: number | null): void {
    if (value === null) return;
    this.#queue.concurrency = value;
    this.#o.onLiveChange?.();
    this.#pump();
  }
}

/** The job-wide wait after the `wave`th wave of 429s that said nothing of how long to wait. */
export function rateLimitWait(wave: number, random: () => number): number {
  const ceiling = Math.min(RATE_LIMIT_WAIT.maxDelayMs, RATE_LIMIT_WAIT.baseDelayMs * 2 ** Math.max(0, wave - 1));
  return Math.round(ceiling * (1 - 0.25 * random()));
}

const EMPTY: Pick<
  RowUpdate,
  | 'output'
  | 'error'
  | 'latencyMs'
  | 'promptTokens'
  | 'completionTokens'
  | 'cost'
  | 'cached'
  | 'finish'
  | 'stale'
  | 'edited'
> = {
  stale: false,
  edited: false,
  output: null,
  error: null,
  latencyMs: null,
  promptTokens: null,
  completionTokens: null,
  cost: null,
  cached: false,
  finish: null,
};

/** Why an answer is not the JSON object the job asked for, or null when it is (or none was asked for). */
export function jsonProblem(text: string, output: RunSettings['jsonOutput']): string | null {
  if (!output) return null;
  let value: unknown;
  try {
    // Models sometimes wrap JSON in a Markdown code fence.
    value = JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    return 'it is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const missing = output.fields.filter((field) => !(field.name in value)).map((field) => field.name);
  return missing.length > 0 ? `it lacks ${missing.map((m) => `"${m}"`).join(', ')}` : null;
}
