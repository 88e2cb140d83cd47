import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  EventMessage,
  EventName,
  EventPayloads,
  JobDetail,
  JobSummary,
  ProviderConfig,
  RowsSnapshot,
  SheetPreview,
} from '../../shared/api.ts';
import { RowbotError } from '../../shared/errors.ts';
import type { ParsedCommandInput } from '../../shared/schemas.ts';
import { checkTemplate, describeTemplateProblem, renderTemplate } from '../../shared/template.ts';
import { HttpClient } from './http/client.ts';
import { DemoProvider } from './providers/demo.ts';
import { OpenAiCompatibleProvider } from './providers/openai.ts';
import type { Provider } from './providers/provider.ts';
import { JobRunner } from './scheduler/job-runner.ts';
import type { RetryPolicy } from './scheduler/retry.ts';
import { RowWriter } from './scheduler/row-writer.ts';
import { resultsToCsv, writeFileAtomic } from './sheets/export-csv.ts';
import { decodeText, parseCsv } from './sheets/import-csv.ts';
import { openDatabase, type Db } from './store/database.ts';
import { Repository } from './store/repository.ts';

export interface EngineOptions {
  /** Path of the SQLite file; created when missing. */
  dbFile: string;
  /** Looks up the API key for a provider; shells decide where keys live. */
  resolveApiKey?: (provider: ProviderConfig) => string | undefined;
  /** Simulated latency range of the offline Demo provider, in ms. */
  demoLatencyMs?: readonly [number, number];
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Largest file accepted for import, in bytes. */
  maxFileBytes?: number;
  /** How often batched row changes are written and reported. */
  flushIntervalMs?: number;
}

export type CreateJobInput = ParsedCommandInput<'createJob'>;
type Listener = (message: EventMessage) => void;

const PREVIEW_ROWS = 20;
const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

/** The facade every shell (Electron main, `rowbot serve`, `rowbot run`) drives. */
export class Engine {
  readonly #db: Db;
  readonly #repo: Repository;
  readonly #options: EngineOptions;
  readonly #http: HttpClient;
  readonly #writer: RowWriter;
  readonly #listeners = new Set<Listener>();
  readonly #runners = new Map<string, { runner: JobRunner; done: Promise<void> }>();
  #seq = 0;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#db = openDatabase(options.dbFile);
    this.#repo = new Repository(this.#db);
    this.#repo.recoverInterrupted();
    this.#http = new HttpClient({ connections: 8 });
    this.#writer = new RowWriter(
      this.#repo,
      (jobId, upserts) => {
        this.#seq += 1;
        this.#emit('rows', { jobId, seq: this.#seq, upserts });
        this.#emitJob(jobId);
      },
      { intervalMs: options.flushIntervalMs ?? 100 },
    );
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
      systemPrompt: input.systemPrompt,
      provider: input.provider,
      concurrency: input.concurrency,
      prompts,
    });
    return this.#job(id);
  }

  /** Starts (or resumes) a job in the background; returns at once. */
  startJob(jobId: string): JobSummary {
    const job = this.#job(jobId);
    if (this.#runners.has(jobId)) return job;
    const runner = new JobRunner({
      jobId,
      systemPrompt: job.systemPrompt,
      concurrency: job.concurrency,
      repo: this.#repo,
      provider: this.#provider(job.provider, job.concurrency),
      writer: this.#writer,
      retry: this.#options.retry,
    });
    this.#repo.setJobStatus(jobId, 'running');
    const done = runner.run().then(
      () => this.#finish(jobId, runner),
      () => this.#finish(jobId, runner),
    );
    this.#runners.set(jobId, { runner, done });
    return this.#emitJob(jobId);
  }

  /** Starts no new rows; requests in flight are aborted and their rows go back to the queue. */
  pauseJob(jobId: string): JobSummary {
    const job = this.#job(jobId);
    this.#runners.get(jobId)?.runner.stop();
    return job;
  }

  /** Resolves when the job's current run ends (at once when it is not running). */
  async waitForJob(jobId: string): Promise<JobSummary> {
    await this.#runners.get(jobId)?.done;
    return this.#job(jobId);
  }

  getJob(jobId: string): JobDetail {
    return this.#job(jobId);
  }

  listJobs(): JobSummary[] {
    return this.#repo.listJobs();
  }

  getRows(jobId: string): RowsSnapshot {
    const job = this.#job(jobId);
    this.#writer.flush();
    const sheetId = this.#repo.sheetIdOf(job.id) ?? '';
    return { jobId, seq: this.#seq, rows: this.#repo.rowViews(job.id, sheetId) };
  }

  /** Every row in input order with its result, ready to save as CSV. */
  exportCsv(jobId: string): string {
    const job = this.#job(jobId);
    return resultsToCsv(job.columns, this.getRows(jobId).rows);
  }

  async exportCsvTo(jobId: string, path: string): Promise<void> {
    await writeFileAtomic(path, this.exportCsv(jobId));
  }

  /** Stops every run (rows in flight go back to the queue), then closes pools and the database. */
  async close(): Promise<void> {
    const running = [...this.#runners.values()];
    for (const { runner } of running) runner.stop();
    await Promise.all(running.map(({ done }) => done));
    this.#writer.flush();
    await this.#http.close();
    this.#db.close();
  }

  #finish(jobId: string, runner: JobRunner): void {
    this.#runners.delete(jobId);
    this.#writer.flush();
    const counts = this.#repo.counts(jobId);
    const finished = !runner.stopped && counts.queued === 0 && counts.running === 0;
    this.#repo.setJobStatus(jobId, finished ? 'completed' : 'paused');
    this.#emitJob(jobId);
  }

  #provider(config: ProviderConfig, concurrency: number): Provider {
    switch (config.kind) {
      case 'demo':
        return new DemoProvider({ latencyMs: this.#options.demoLatencyMs });
      case 'openai':
        this.#http.ensureConnections(concurrency);
        return new OpenAiCompatibleProvider({
          http: this.#http,
          baseUrl: config.baseUrl,
          model: config.model,
          apiKey: this.#options.resolveApiKey?.(config),
          timeoutMs: this.#options.requestTimeoutMs ?? 60_000,
        });
    }
  }

  #job(jobId: string): JobDetail {
    const job = this.#repo.getJob(jobId);
    if (!job) throw new RowbotError('NOT_FOUND', 'That job does not exist any more. Go back to the job list.');
    return job;
  }

  #emitJob(jobId: string): JobSummary {
    const { columns: _c, template: _t, systemPrompt: _s, ...summary } = this.#job(jobId);
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
