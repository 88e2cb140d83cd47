import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  DEFAULT_RUN_SETTINGS,
  MAX_CONCURRENCY,
  type CommandInput,
  type EventMessage,
  type EventName,
  type EventPayloads,
  type JobDetail,
  type JobSummary,
  type ProviderConfig,
  type RowsSnapshot,
  type RunSettings,
  type SheetPreview,
} from '../../shared/api.ts';
import { RowbotError } from '../../shared/errors.ts';
import { checkTemplate, describeTemplateProblem, renderTemplate } from '../../shared/template.ts';
import { HttpClient } from './http/client.ts';
import { costOf, priceOf } from './pricing.ts';
import { AnthropicProvider } from './providers/anthropic.ts';
import { DemoProvider } from './providers/demo.ts';
import { OpenAiCompatibleProvider } from './providers/openai.ts';
import type { Provider, ProviderError } from './providers/provider.ts';
import { JobRunner, type RunOutcome, type StopReason } from './scheduler/job-runner.ts';
import { RowEventBatcher, RowWriter } from './scheduler/row-writer.ts';
import { exportResults } from './sheets/export.ts';
import { decodeText, parseCsv } from './sheets/import-csv.ts';
import { openDatabase, type Db } from './store/database.ts';
import { Repository, type JobRecord } from './store/repository.ts';
import { estimateTokens } from './tokens.ts';

export interface EngineOptions {
  /** Path of the SQLite file; created when missing. */
  dbFile: string;
  /** Looks up the API key for a provider; shells decide where keys live. */
  resolveApiKey?: (provider: ProviderConfig) => string | undefined;
  /** Simulated latency range of the offline Demo provider, in ms. */
  demoLatencyMs?: readonly [number, number];
  /** Largest file accepted for import, in bytes. */
  maxFileBytes?: number;
  /** How often batched row changes are reported. */
  eventIntervalMs?: number;
  /** Backoff between tries of a row (exponential, full jitter); tests make it short. */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  /** For tests: makes backoff jitter repeatable. */
  random?: () => number;
}

export type CreateJobInput = CommandInput<'createJob'>;
type Listener = (message: EventMessage) => void;

interface RunningJob {
  runner: JobRunner;
  /** Set when Rowbot closes: the job pauses instead of being canceled. */
  closing: boolean;
}

const PREVIEW_ROWS = 20;
const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;
const INTERRUPTED = 'Rowbot stopped while this job was running. Press Resume to continue where it left off.';
const CLOSED = 'Rowbot was closed while this job was running. Press Resume to continue where it left off.';
export const PAUSED_BY_USER = 'Paused. Press Resume to continue.';

/** The facade every shell (Electron main, `rowbot serve`, `rowbot run`) drives. */
export class Engine {
  readonly #db: Db;
  readonly #repo: Repository;
  readonly #options: EngineOptions;
  readonly #http = new HttpClient({ connections: DEFAULT_RUN_SETTINGS.concurrency });
  readonly #writer: RowWriter;
  readonly #events: RowEventBatcher;
  readonly #listeners = new Set<Listener>();
  readonly #running = new Map<string, RunningJob>();
  readonly #idleWaiters = new Map<string, (() => void)[]>();
  readonly #liveTimers = new Map<string, NodeJS.Timeout>();
  #seq = 0;
  #closed = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#db = openDatabase(options.dbFile);
    this.#repo = new Repository(this.#db);
    this.#repo.recoverInterrupted(INTERRUPTED);
    this.#events = new RowEventBatcher((jobId, upserts) => {
      this.#seq += 1;
      this.#emit('rows', { jobId, seq: this.#seq, upserts });
      this.#emitJob(jobId);
    }, options.eventIntervalMs ?? 100);
    this.#writer = new RowWriter(this.#repo, (updates) => this.#events.add(updates));
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async importFile(path: string): Promise<SheetPreview> {
    const max = this.#options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `Rowbot cannot open "${path}". Check that the file exists and that you may read it.`,
      );
    }
    if (size > max) throw tooLarge(basename(path), size, max);
    return this.importBytes(basename(path), await readFile(path));
  }

  importBytes(fileName: string, bytes: Uint8Array): SheetPreview {
    const max = this.#options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (bytes.length > max) throw tooLarge(fileName, bytes.length, max);
    const sheet = parseCsv(decodeText(bytes, fileName), fileName);
    const id = randomUUID();
    this.#repo.insertSheet({ id, fileName, ...sheet });
    return {
      sheetId: id,
      fileName,
      columns: sheet.columns,
      rowCount: sheet.rows.length,
      sampleRows: sheet.rows.slice(0, PREVIEW_ROWS),
      notes: sheet.notes,
    };
  }

  createJob(input: CreateJobInput): JobDetail {
    const sheet = this.#repo.getSheet(input.sheetId);
    if (!sheet) throw new RowbotError('NOT_FOUND', 'That imported file is no longer available. Import it again.');
    const problem = describeTemplateProblem(checkTemplate(input.template, sheet.columns), sheet.columns);
    if (problem) throw new RowbotError('TEMPLATE_INVALID', problem);
    const prompts: string[] = [];
    for (const values of this.#repo.iterateSheetRows(sheet.id))
      prompts.push(renderTemplate(input.template, sheet.columns, values));
    const id = randomUUID();
    this.#repo.insertJob({
      id,
      sheetId: sheet.id,
      name: input.name?.trim() || sheet.fileName.replace(/\.[^.]+$/, ''),
      template: input.template,
      systemPrompt: input.systemPrompt ?? '',
      provider: input.provider,
      settings: { ...DEFAULT_RUN_SETTINGS, ...input.settings },
      prompts,
    });
    return this.getJob(id);
  }

  /** Starts a ready job or resumes a paused or canceled one, in the background; returns at once. */
  startJob(jobId: string): JobSummary {
    const job = this.#record(jobId);
    const running = this.#running.get(jobId);
    if (running) {
      if (running.runner.paused) {
        this.#repo.setJobStatus(jobId, 'running');
        running.runner.resume();
      }
      return this.#emitJob(jobId);
    }
    const runner = new JobRunner({
      jobId,
      systemPrompt: job.systemPrompt,
      settings: job.settings,
      repo: this.#repo,
      provider: this.#provider(job.provider, job.settings),
      writer: this.#writer,
      estimateTokens,
      costOf: (prompt, completion) => costOf(priceOf(job.provider), prompt, completion),
      onStopLine: (reason, error) => this.#stopLine(jobId, job.provider, reason, error),
      onLiveChange: () => this.#scheduleLive(jobId),
      onStorageError: (error) => console.error('rowbot: could not store row results:', error),
      random: this.#options.random,
      backoff: this.#options.backoff,
    });
    const entry: RunningJob = { runner, closing: false };
    this.#running.set(jobId, entry);
    this.#repo.setJobStatus(jobId, 'running');
    void runner.done.then((outcome) => this.#finish(jobId, entry, outcome));
    runner.start();
    return this.#emitJob(jobId);
  }

  /** No new rows start; rows in flight finish. */
  pauseJob(jobId: string, reason = PAUSED_BY_USER): JobSummary {
    const job = this.#record(jobId);
    const running = this.#running.get(jobId);
    if (!running || job.status !== 'running') return this.#emitJob(jobId);
    running.runner.pause();
    this.#repo.setJobStatus(jobId, 'paused', reason);
    void running.runner.settled().then(() => this.#notifyIdle(jobId));
    return this.#emitJob(jobId);
  }

  /** Aborts requests in flight; their rows go back to the queue. The job can be resumed later. */
  cancelJob(jobId: string): JobSummary {
    this.#record(jobId);
    const running = this.#running.get(jobId);
    this.#repo.setJobStatus(
      jobId,
      'canceled',
      'Canceled. Rows that were running went back to the queue; press Resume to continue.',
    );
    running?.runner.cancel();
    return this.#emitJob(jobId);
  }

  /** Failed rows back to the queue (all, or the listed ones); done rows are never touched. */
  retryRows(jobId: string, rows: readonly number[] | 'failed'): { requeued: number; job: JobSummary } {
    const job = this.#record(jobId);
    this.#writer.flush();
    const requeued = this.#repo.requeueFailed(jobId, rows);
    if (requeued > 0) {
      const running = this.#running.get(jobId);
      if (running) running.runner.poke();
      else if (job.status === 'completed' || job.status === 'ready') this.startJob(jobId);
    }
    return { requeued, job: this.#emitJob(jobId) };
  }

  /** Applies at once to a running job. */
  updateJobSettings(jobId: string, patch: Partial<RunSettings>): JobSummary {
    const job = this.#record(jobId);
    const settings = { ...job.settings, ...patch };
    this.#repo.setJobSettings(jobId, settings);
    this.#http.ensureConnections(settings.autoConcurrency ? MAX_CONCURRENCY : settings.concurrency);
    this.#running.get(jobId)?.runner.updateSettings(settings);
    return this.#emitJob(jobId);
  }

  /** Resolves when the job is not running any more: completed, canceled, or paused with nothing in flight. */
  async waitForJob(jobId: string): Promise<JobSummary> {
    const running = this.#running.get(jobId);
    if (running && !running.runner.paused) {
      await new Promise<void>((resolve) => {
        const list = this.#idleWaiters.get(jobId) ?? [];
        list.push(resolve);
        this.#idleWaiters.set(jobId, list);
      });
    } else if (running) {
      await running.runner.settled();
    }
    this.#flushEvents();
    return this.#summary(jobId);
  }

  getJob(jobId: string): JobDetail {
    const { sheetId: _sheetId, ...detail } = this.#record(jobId);
    return { ...detail, live: this.#running.get(jobId)?.runner.live ?? null };
  }

  listJobs(): JobSummary[] {
    return this.#repo.listJobs().map((job) => ({ ...job, live: this.#running.get(job.id)?.runner.live ?? null }));
  }

  getRows(jobId: string): RowsSnapshot {
    const job = this.#record(jobId);
    this.#flushEvents();
    return { jobId, seq: this.#seq, rows: this.#repo.rowViews(job.id, job.sheetId) };
  }

  /** Every row in input order with its result, in the format the path's extension names (.csv, .xlsx, .jsonl). */
  async exportTo(jobId: string, path: string): Promise<void> {
    const job = this.#record(jobId);
    await exportResults(path, job.columns, this.getRows(jobId).rows);
  }

  /** Stops every run (rows in flight go back to the queue, jobs pause), then closes pools and the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const running = [...this.#running.values()];
    for (const entry of running) {
      entry.closing = true;
      entry.runner.cancel();
    }
    await Promise.all(running.map(({ runner }) => runner.done));
    for (const timer of this.#liveTimers.values()) clearTimeout(timer);
    this.#flushEvents();
    await this.#http.close();
    this.#db.close();
  }

  #finish(jobId: string, entry: RunningJob, outcome: RunOutcome): void {
    this.#running.delete(jobId);
    this.#writer.flush();
    if (entry.closing) this.#repo.setJobStatus(jobId, 'paused', CLOSED);
    else if (outcome === 'completed') this.#repo.setJobStatus(jobId, 'completed');
    if (!this.#closed) {
      this.#flushEvents();
      this.#emitJob(jobId);
    }
    this.#notifyIdle(jobId);
  }

  #stopLine(jobId: string, provider: ProviderConfig, reason: StopReason, error: ProviderError): void {
    const said = error.message.replace(/^The provider answered /, '');
    const where = provider.kind === 'demo' ? '' : ` (${provider.model})`;
    const text: Record<StopReason, string> = {
      auth: `Paused: the provider rejected the API key (${said}). Check the key, then press Resume.`,
      model: `Paused: the provider does not know this model${where} or the address is wrong (${said}). Check the model name and the API address, then press Resume.`,
      quota: `Paused: the provider says your quota or credit is used up (${said}). Add credit or raise the limit in your provider account, then press Resume.`,
    };
    this.#repo.setJobStatus(jobId, 'paused', text[reason]);
    const running = this.#running.get(jobId);
    void running?.runner.settled().then(() => this.#notifyIdle(jobId));
    this.#emitJob(jobId);
  }

  #notifyIdle(jobId: string): void {
    const waiters = this.#idleWaiters.get(jobId) ?? [];
    this.#idleWaiters.delete(jobId);
    for (const resolve of waiters) resolve();
  }

  #provider(config: ProviderConfig, settings: RunSettings): Provider {
    this.#http.ensureConnections(settings.autoConcurrency ? MAX_CONCURRENCY : settings.concurrency);
    const apiKey = this.#options.resolveApiKey?.(config);
    switch (config.kind) {
      case 'demo':
        return new DemoProvider({ latencyMs: this.#options.demoLatencyMs });
      case 'openai':
        return new OpenAiCompatibleProvider({ http: this.#http, baseUrl: config.baseUrl, model: config.model, apiKey });
      case 'anthropic':
        return new AnthropicProvider({ http: this.#http, baseUrl: config.baseUrl, model: config.model, apiKey });
    }
  }

  #record(jobId: string): JobRecord {
    const job = this.#repo.getJob(jobId);
    if (!job) throw new RowbotError('NOT_FOUND', 'That job does not exist any more. Go back to the job list.');
    return job;
  }

  #summary(jobId: string): JobSummary {
    const { columns: _c, template: _t, systemPrompt: _s, sheetId: _i, ...summary } = this.#record(jobId);
    return { ...summary, live: this.#running.get(jobId)?.runner.live ?? null };
  }

  #flushEvents(): void {
    this.#writer.flush();
    this.#events.flush();
  }

  /** Live figures change often; tell the UI at most four times a second. */
  #scheduleLive(jobId: string): void {
    if (this.#liveTimers.has(jobId)) return;
    this.#liveTimers.set(
      jobId,
      setTimeout(() => {
        this.#liveTimers.delete(jobId);
        if (!this.#closed) this.#emitJob(jobId);
      }, 250),
    );
  }

  #emitJob(jobId: string): JobSummary {
    const summary = this.#summary(jobId);
    this.#emit('job', summary);
    return summary;
  }

  #emit<E extends EventName>(name: E, payload: EventPayloads[E]): void {
    const message = { name, payload } as EventMessage;
    for (const listener of this.#listeners) listener(message);
  }
}

function tooLarge(fileName: string, size: number, max: number): RowbotError {
  const mb = (n: number): string => `${Math.ceil(n / (1024 * 1024)).toLocaleString('en-US')} MB`;
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" is ${mb(size)}; Rowbot imports files up to ${mb(max)}. Split it into smaller files and import them one by one.`,
  );
}
