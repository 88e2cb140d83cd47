import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  DEFAULT_RUN_SETTINGS,
  MAX_CONCURRENCY,
  type AiColumn,
  type CommandInput,
  type CommandOutputs,
  type EventMessage,
  type EventName,
  type EventPayloads,
  type ConnectionTest,
  type JobDetail,
  type JobEstimate,
  type KeyStatus,
  type BatchView,
  type JobCounts,
  type JobEditInput,
  type JobSummary,
  type LiveStats,
  type TimelineSecond,
  type ModelPrice,
  type PriceList,
  type ProviderConfig,
  type RowDetail,
  type RowsSnapshot,
  type RunSettings,
  type SheetPreview,
} from '../../shared/api.ts';
import { RowbotError } from '../../shared/errors.ts';
import { batchKindOf, originOf, reasoningModelProblem } from '../../shared/providers.ts';
import { defaultExportDelimiter, type ExportOptions, type ImportOptions } from '../../shared/sheets.ts';
import {
  columnJsonOutput,
  columnNameProblem,
  columnTemplateProblem,
  columnUses,
  templateNames,
  type NamedColumn,
} from '../../shared/columns.ts';
import { checkTemplate, compileTemplate, describeTemplateProblem } from '../../shared/template.ts';
import {
  addColumn,
  duplicateColumn,
  editCell,
  firstColumn,
  moveColumn,
  previewColumnPrompt,
  promptMaker,
  removeColumn,
  runCells,
  sheetPrompts,
  updateColumn,
  type ColumnHost,
} from './columns.ts';
import { exportIntoWorkbook, exportResults, type ExportReport } from './sheets/export.ts';
import { exportColumnsOf, rowIsExported } from './sheets/export-table.ts';
import { importTable } from './sheets/import.ts';
import { HttpClient } from './http/client.ts';
import {
  MemoryKeyStore,
  allowedOrigins,
  envKeyAllowances,
  keyDestinationProblem,
  keySlotOf,
  type KeyAllowance,
  type KeyStore,
} from './keys.ts';
import { BATCH_DISCOUNT, batchPrice, costNanos, costOf, priceKey, priceList, priceOf, toNanos } from './pricing.ts';
import { AnthropicProvider } from './providers/anthropic.ts';
import { DemoProvider } from './providers/demo.ts';
import { testConnection } from './providers/connection.ts';
import { OpenAiCompatibleProvider } from './providers/openai.ts';
import type { Provider, ProviderError } from './providers/provider.ts';
import { BATCH_POLLING, BatchRun, batchViews, type BatchPolling, type BatchRunOutcome } from './batch/batch-run.ts';
import { BatchStore } from './batch/batch-store.ts';
import {
  anthropicBatchWire,
  BATCH_LIMITS,
  openAiBatchWire,
  type BatchKind,
  type BatchLimits,
  type BatchWire,
} from './batch/wire.ts';
import {
  DEFAULT_OUTPUT_RESERVE,
  JobRunner,
  type ColumnRuntime,
  type RunOutcome,
  type StopReason,
} from './scheduler/job-runner.ts';
import { RowEventBatcher, RowWriter } from './scheduler/row-writer.ts';
import { openProblem } from './store/database-file.ts';
import { openDatabase, reclaimFreeSpace, storagePauseReason, storageProblem, type Db } from './store/database.ts';
import { RowSnapshot } from './store/row-cursor.ts';
import { heldMessage, LEASE_RENEW_MS, Leases } from './store/leases.ts';
import {
  Repository,
  shownProvider,
  summaryOf,
  withSecretsKept,
  type ColumnConfig,
  type JobRecord,
} from './store/repository.ts';
import { promptTokens, tokenCounterFor } from './tokens.ts';

export interface EngineOptions {
  /** Path of the SQLite file; created when missing. */
  dbFile: string;
  /** What this process is, for another that finds a job running here: "rowbot serve", "rowbot run". */
  processName?: string;
  /** Where API keys live (the OS keychain in the app; memory and the environment elsewhere). */
  keys?: KeyStore;
  /** Looks up the API key for a provider; overrides `keys` (the CLI's --api-key-env). */
  resolveApiKey?: (provider: ProviderConfig) => string | undefined;
  /**
   * Addresses a key slot's key may go to besides its service's own (the CLI's --allow-key-to and
   * --base-url); added to those in ROWBOT_ALLOW_KEY_TO. Never set through the API.
   */
  allowKeyTo?: readonly KeyAllowance[];
  /** Simulated latency range of the offline Demo provider, in ms. */
  demoLatencyMs?: readonly [number, number];
  /** Largest file accepted for import, in bytes. */
  maxFileBytes?: number;
  /** Most data rows accepted in one import (default 1,000,000). */
  maxRows?: number;
  /** How often batched row changes are reported. */
  eventIntervalMs?: number;
  /** Backoff between tries of a row (exponential, full jitter); tests make it short. */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  /** For tests: makes backoff jitter repeatable. */
  random?: () => number;
  /** How often a batch at a provider is checked (tests make it short). */
  batchPolling?: BatchPolling;
  /** The providers' batch limits (requests, bytes); tests make them small to see a job split. */
  batchLimits?: Partial<Record<BatchKind, BatchLimits>>;
  /**
   * Go on collecting every job's batches left open by an earlier process (the app and `rowbot
   * serve`); `rowbot run` collects only the job it runs.
   */
  resumeBatches?: boolean;
}

export type CreateJobInput = CommandInput<'createJob'>;
type Listener = (message: EventMessage) => void;

interface RunningJob {
  runner: JobRunner;
  /** Sends the job's live figures once a second while it runs, for the header and the chart. */
  ticker: NodeJS.Timeout;
  /** Set when Rowbot closes: the job pauses instead of being canceled. */
  closing: boolean;
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;
const DEFAULT_MAX_ROWS = 1_000_000;
/** An import no job uses is dropped when its process closes, or by any process a day later. */
const ABANDONED_IMPORT_MS = 24 * 60 * 60 * 1000;

interface Source {
  fileName: string;
  path: string;
  /** Uploaded bytes Rowbot saved itself: removed on close. */
  temp: boolean;
  /** Sheets imported from it, so a re-import can drop the ones nobody used. */
  sheetIds: string[];
}
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
  /** Jobs whose rows are at a provider's Batch API, being sent or collected by this process. */
  readonly #batchRuns = new Map<string, BatchRun>();
  readonly #batchStore: BatchStore;
  readonly #idleWaiters = new Map<string, (() => void)[]>();
  readonly #liveTimers = new Map<string, NodeJS.Timeout>();
  readonly #sources = new Map<string, Source>();
  /** Jobs paused because the database refused their answers (the disk is full), with why. */
  readonly #heldByStorage = new Map<string, string>();
  /** One process runs a job at a time: the jobs' leases, and their heartbeat while this engine is open. */
  readonly #leases: Leases;
  readonly #heartbeat: NodeJS.Timeout;
  #storageError: unknown = null;
  readonly #keys: KeyStore;
  readonly #keyAllowances: readonly KeyAllowance[];
  readonly #uploadDir = join(tmpdir(), `rowbot-uploads-${process.pid}-${randomUUID().slice(0, 8)}`);
  /** The shipped prices with the user's over them; rebuilt when the user edits one. */
  #prices: PriceList;
  #seq = 0;
  #rev = 0;
  #closed = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#keys = options.keys ?? new MemoryKeyStore();
    this.#keyAllowances = [
      ...envKeyAllowances(process.env, (message) => console.error(`rowbot: ${message}`)),
      ...(options.allowKeyTo ?? []),
    ];
    this.#db = openDatabase(options.dbFile);
    this.#repo = new Repository(this.#db);
    this.#leases = new Leases(this.#db, {
      id: randomUUID(),
      pid: process.pid,
      host: hostname(),
      program: options.processName ?? 'the Rowbot app',
    });
    // Jobs another live process runs are its own; only the others were interrupted.
    this.#leases.clearDead();
    this.#repo.recoverInterrupted(INTERRUPTED);
    // Imports no job uses, left by a process that stopped before it could drop them, go after a day.
    if (this.#repo.deleteSheetsUnusedSince(new Date(Date.now() - ABANDONED_IMPORT_MS).toISOString()) > 0) {
      reclaimFreeSpace(this.#db);
    }
    this.#heartbeat = setInterval(() => this.#renewLeases(), LEASE_RENEW_MS);
    this.#heartbeat.unref();
    this.#prices = priceList(this.#repo.userPrices());
    this.#batchStore = new BatchStore(this.#db);
    if (options.resumeBatches) queueMicrotask(() => this.#resumeBatches());
    this.#events = new RowEventBatcher((jobId, upserts) => {
      this.#seq += 1;
      this.#emit('rows', { jobId, seq: this.#seq, upserts });
      this.#emitJob(jobId);
    }, options.eventIntervalMs ?? 100);
    this.#writer = new RowWriter(
      this.#repo,
      (updates) => this.#events.add(updates),
      (error) => this.#storageFailed(error),
    );
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Imports a file on disk; the preview says what was detected. */
  async importFile(path: string, options: ImportOptions = {}): Promise<SheetPreview> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `Rowbot cannot open "${path}". Check that the file exists and that you may read it.`,
      );
    }
    this.#checkSize(basename(path), size);
    const sourceId = randomUUID();
    this.#sources.set(sourceId, { fileName: basename(path), path, temp: false, sheetIds: [] });
    return this.#import(sourceId, options);
  }

  /** Imports uploaded bytes (the browser); they are kept in a temporary file for re-imports. */
  async importBytes(fileName: string, bytes: Uint8Array, options: ImportOptions = {}): Promise<SheetPreview> {
    this.#checkSize(fileName, bytes.length);
    // Only this user may read them: uploaded spreadsheets may be confidential.
    await mkdir(this.#uploadDir, { recursive: true, mode: 0o700 });
    const sourceId = randomUUID();
    const path = join(this.#uploadDir, sourceId);
    await writeFile(path, bytes, { mode: 0o600 });
    this.#sources.set(sourceId, { fileName, path, temp: true, sheetIds: [] });
    return this.#import(sourceId, options);
  }

  /** The same file again with other settings; earlier imports of it that no job uses are dropped. */
  async reimport(sourceId: string, options: ImportOptions): Promise<SheetPreview> {
    const source = this.#sources.get(sourceId);
    if (!source) throw new RowbotError('NOT_FOUND', 'That file is no longer open in Rowbot. Import it again.');
    return this.#import(sourceId, options);
  }

  async #import(sourceId: string, options: ImportOptions): Promise<SheetPreview> {
    const source = this.#sources.get(sourceId) as Source;
    const sheetId = randomUUID();
    this.#repo.beginSheet(sheetId, source.fileName);
    let next = 0;
    try {
      const table = await importTable(
        { fileName: source.fileName, path: source.path },
        { ...options, maxRows: this.#options.maxRows ?? DEFAULT_MAX_ROWS },
        (rows) => {
          this.#repo.appendSheetRows(sheetId, next, rows);
          next += rows.length;
        },
        () => {
          this.#repo.clearSheetRows(sheetId);
          next = 0;
        },
      );
      this.#repo.completeSheet(sheetId, {
        columns: table.columns,
        rowCount: table.rowCount,
        notes: table.notes,
        settings: table.settings,
        sourceBlob: table.settings.format === 'xlsx' ? await readFile(source.path) : null,
      });
      for (const old of source.sheetIds) this.#repo.deleteUnusedSheet(old);
      source.sheetIds = [sheetId];
      return {
        sheetId,
        sourceId,
        fileName: source.fileName,
        settings: table.settings,
        columns: table.columns,
        rowCount: table.rowCount,
        sampleRows: table.sampleRows,
        notes: table.notes,
      };
    } catch (error) {
      this.#repo.deleteUnusedSheet(sheetId);
      if (error instanceof RowbotError) throw error;
      // The file was fine; the database could not take it (the disk is full): say that, not "cannot read".
      if (storageProblem(error) !== 'other') throw openProblem(error, this.#options.dbFile);
      console.error('rowbot: import failed:', error);
      throw new RowbotError(
        'FILE_UNREADABLE',
        `Rowbot could not read "${source.fileName}". Check that it is a CSV, TSV, Excel (.xlsx), JSON or JSON lines file, or save it again from your spreadsheet app.`,
      );
    }
  }

  #checkSize(fileName: string, size: number): void {
    const max = this.#options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (size > max) throw tooLarge(fileName, size, max);
  }

  /**
   * The key a provider sends: the one its preset names (none for local servers), else its kind's.
   * Refused when the provider's address is not the key's own, nor one saved with the key, nor one
   * allowed for it in the environment or on the command line.
   */
  #keyFor(config: ProviderConfig): string | undefined {
    const keyId = keySlotOf(config);
    if (config.kind === 'demo' || keyId === null) return undefined;
    const given = this.#options.resolveApiKey?.(config);
    const key = given ?? this.#keys.get(keyId);
    if (!key) return undefined;
    // Addresses saved with a key hold for that key only, never for one the command line gave.
    const problem = keyDestinationProblem(keyId, config.baseUrl, this.#keyAllowances, {
      saved: given === undefined ? this.#keys.origins(keyId) : [],
      from: this.#options.resolveApiKey ? 'command line' : 'store',
    });
    if (problem) throw new RowbotError('FORBIDDEN', problem);
    return key;
  }

  testConnection(config: ProviderConfig): Promise<ConnectionTest> {
    return testConnection(config, this.#http, this.#keyFor(config), this.#provider(config, DEFAULT_RUN_SETTINGS));
  }

  /** Each key slot: set or not, and every address its key may go to (ROWBOT_ALLOW_KEY_TO's too). */
  getKeys(): KeyStatus[] {
    return this.#keys.status().map((status) => {
      const allowed = allowedOrigins(status.provider, this.#keyAllowances);
      return { ...status, origins: [...new Set([...status.origins, ...allowed])] };
    });
  }

  /**
   * Saves a key with the addresses it may go to besides its service's own; they replace the ones
   * saved before (none when left out). Only a caller who types the key can change where it goes.
   */
  setKey(provider: KeyStatus['provider'], key: string, origins: readonly string[] = []): KeyStatus[] {
    const kept = origins.map((origin) => originOf(origin)).filter((origin) => origin !== null);
    this.#keys.set(provider, key.trim(), [...new Set(kept)]);
    return this.getKeys();
  }

  clearKey(provider: KeyStatus['provider']): KeyStatus[] {
    this.#keys.clear(provider);
    return this.getKeys();
  }

  getPrices(): PriceList {
    return this.#prices;
  }

  /** Applies at once: estimates, and the cost of every answer from now on, running jobs included. */
  setPrice(price: ModelPrice): PriceList {
    this.#repo.setPrice({ ...price, model: priceKey(price.model) });
    return this.#pricesChanged();
  }

  resetPrice(model: string): PriceList {
    this.#repo.removePrice(priceKey(model));
    return this.#pricesChanged();
  }

  #pricesChanged(): PriceList {
    this.#prices = priceList(this.#repo.userPrices());
    this.#repriceStoredAnswers();
    return this.#prices;
  }

  /**
   * Answers stored while their model had no price are priced with today's price, so no job's
   * total leaves them out; they follow later edits, and go back to unknown if the price is removed.
   */
  #repriceStoredAnswers(): void {
    this.#writer.flush();
    for (const job of this.#repo.listJobs()) {
      // Requests are billed whether their answers were kept or not: any tokens at all may need a price.
      if (job.usage.promptTokens + job.usage.completionTokens === 0) continue;
      const { aiColumns } = this.#record(job.id);
      const change = aiColumns.reduce(
        (sum, column) => sum + this.#repo.repriceLater(job.id, column.id, this.#priceOf(column.provider)),
        0,
      );
      if (change === 0) continue;
      this.#running.get(job.id)?.runner.addSpent(change);
      this.#emitJob(job.id);
    }
  }

  #priceOf(provider: ProviderConfig): ReturnType<typeof priceOf> {
    return priceOf(provider, this.#prices);
  }

  /**
   * What a run would cost and take, as a range, from the real prompts of every row: prompt
   * tokens counted, output tokens between a short answer and the output limit.
   */
  estimateJob(input: Omit<CreateJobInput, 'name'>): JobEstimate {
    const settings = { ...DEFAULT_RUN_SETTINGS, ...input.settings };
    const { sheet, columns } = this.#newColumns(input);
    const longestOf = (column: ColumnConfig): number =>
      column.options.maxOutputTokens ?? settings.maxOutputTokens ?? (column.provider.kind === 'anthropic' ? 1024 : 400);
    let rows = 0;
    let skipped = 0;
    let tokens = 0;
    const outputTokens: [number, number] = [0, 0];
    let cost: [number, number] | null = [0, 0];
    let batchCost: [number, number] | null = [0, 0];
    let exact = true;
    const named = namedConfigs(columns, settings.jsonOutput);
    columns.forEach((column, i) => {
      const counter = tokenCounterFor(column.provider);
      exact &&= counter.exact;
      // Each row's prompt counted as rendered from the sheet; for a column using others, each answer
      // it uses is added as a short one (low) or one as long as that column's limit (high).
      const used = columnUses(column.template, sheet.columns, named.slice(0, i)).map((id) => columns[id]);
      const answersLow = used.reduce((sum, u) => sum + (u ? Math.min(30, longestOf(u)) : 0), 0);
      const answersHigh = used.reduce((sum, u) => sum + (u ? longestOf(u) : 0), 0);
      const render = compileTemplate(column.template, templateNames(sheet.columns, named.slice(0, i)));
      const skipEmpty = (input.skipEmptyRows ?? true) && i === 0;
      const bound = skipEmpty ? [...checkTemplate(column.template, sheet.columns).bindings.values()] : [];
      let sent = 0;
      let prompt = 0;
      for (const values of this.#repo.iterateSheetRows(sheet.id)) {
        if (bound.length > 0 && bound.every((b) => (values[b] ?? '').trim() === '')) {
          skipped += 1;
          continue;
        }
        sent += 1;
        prompt += promptTokens(counter, column.systemPrompt, render(values));
      }
      const promptLow = prompt + sent * answersLow;
      const promptHigh = prompt + sent * answersHigh;
      rows += sent;
      tokens += promptLow;
      const low = sent * Math.min(30, longestOf(column));
      const high = sent * longestOf(column);
      outputTokens[0] += low;
      outputTokens[1] += high;
      // Added to a range that stays unknown (null) once a column's price is.
      const add = (total: [number, number] | null, price: ReturnType<typeof priceOf>): [number, number] | null => {
        const lowCost = costOf(price, promptLow, low);
        const highCost = costOf(price, promptHigh, high);
        return total === null || lowCost === null || highCost === null
          ? null
          : [total[0] + lowCost, total[1] + highCost];
      };
      const price = this.#priceOf(column.provider);
      cost = add(cost, price);
      // The Batch API's price, where the provider has one: half, for the same tokens.
      batchCost = add(batchCost, batchKindOf(column.provider) ? batchPrice(price) : null);
    });
    const latency: [number, number] = input.provider.kind === 'demo' ? [0.25, 0.9] : [1, 6];
    const waves = Math.ceil(
      rows / (settings.autoConcurrency ? Math.max(settings.concurrency, 8) : settings.concurrency),
    );
    const byRequests = settings.requestsPerMinute ? (rows / settings.requestsPerMinute) * 60 : 0;
    const seconds = (i: 0 | 1): number => {
      const byTokens = settings.tokensPerMinute ? ((tokens + outputTokens[i]) / settings.tokensPerMinute) * 60 : 0;
      return Math.max(waves * latency[i], byRequests, byTokens);
    };
    return {
      rows,
      skipped,
      promptTokens: tokens,
      tokensEstimated: !exact || columns.length > 1,
      outputTokens,
      cost,
      batchCost: columns.length === 1 ? batchCost : null,
      seconds: [seconds(0), seconds(1)],
      price: this.#priceOf(input.provider),
      pricesCheckedOn: this.#prices.checkedOn,
    };
  }

  /**
   * A new job's AI columns, checked: the first from the template, then `moreColumns`, each of which
   * may use the sheet's columns and the AI columns before it.
   */
  #newColumns(input: Omit<CreateJobInput, 'name'>): {
    sheet: NonNullable<ReturnType<Repository['getSheet']>>;
    columns: ColumnConfig[];
  } {
    const sheet = this.#repo.getSheet(input.sheetId);
    if (!sheet) throw new RowbotError('NOT_FOUND', 'That imported file is no longer available. Import it again.');
    const settings = { ...DEFAULT_RUN_SETTINGS, ...input.settings };
    const columns: ColumnConfig[] = [
      firstColumn(input),
      ...(input.moreColumns ?? []).map((more) => ({
        name: more.name.trim(),
        template: more.template,
        systemPrompt: more.systemPrompt ?? '',
        provider: more.provider ?? input.provider,
        options: more.options ?? {},
        useCorrections: more.useCorrections ?? false,
        comparesWith: null,
      })),
    ];
    const named = namedConfigs(columns, settings.jsonOutput);
    columns.forEach((column, i) => {
      const nameProblem = columnNameProblem(
        column.name,
        sheet.columns,
        named.filter((_, j) => j !== i).map((c) => c.name),
      );
      if (nameProblem) throw new RowbotError('BAD_REQUEST', nameProblem);
      const problem =
        columns.length === 1
          ? describeTemplateProblem(checkTemplate(column.template, sheet.columns), sheet.columns)
          : columnTemplateProblem(column.template, column.name, sheet.columns, named.slice(0, i), named.slice(i + 1));
      if (problem) throw new RowbotError('TEMPLATE_INVALID', problem);
      const sampling = reasoningModelProblem(column.provider, { ...settings, ...column.options });
      if (sampling) throw new RowbotError('BAD_REQUEST', sampling);
    });
    return { sheet, columns };
  }

  createJob(input: CreateJobInput): JobDetail {
    const { sheet, columns } = this.#newColumns(input);
    for (const column of columns) this.#keyFor(column.provider);
    const [first, ...more] = columns as [ColumnConfig, ...ColumnConfig[]];
    const id = randomUUID();
    this.#repo.transaction(() => {
      this.#repo.insertJob({
        id,
        sheetId: sheet.id,
        name: input.name?.trim() || defaultJobName(sheet.fileName, input.provider.model, new Date()),
        settings: { ...DEFAULT_RUN_SETTINGS, ...input.settings },
        column: first,
        prompts: sheetPrompts(this.#repo, sheet.id, sheet.columns, first.template, input.skipEmptyRows),
      });
      more.forEach((column, i) => {
        const earlier = namedConfigs(columns, input.settings?.jsonOutput ?? null).slice(0, i + 1);
        const waiting = columnUses(column.template, sheet.columns, earlier).length > 0;
        this.#repo.insertColumn(
          id,
          column,
          i + 1,
          waiting
            ? { waiting: true }
            : { prompts: sheetPrompts(this.#repo, sheet.id, sheet.columns, column.template, input.skipEmptyRows) },
        );
      });
    });
    return this.getJob(id);
  }

  /** Starts a ready job or resumes a paused or canceled one, in the background; returns at once. */
  startJob(jobId: string): JobSummary {
    return this.#run(jobId);
  }

  /**
   * A sample run: the next `rows` queued rows only, then the job pauses with a projection of
   * the cost and time of the rest, measured from these rows' real answers.
   */
  sampleJob(jobId: string, rows = 10): JobSummary {
    if (this.#running.has(jobId)) throw new RowbotError('JOB_STATE', 'This job is already running: pause it first.');
    return this.#run(jobId, rows);
  }

  /** What the queued cells will cost and take, projected from the cells of each column already answered. */
  projectJob(jobId: string): JobEstimate {
    const job = this.#record(jobId);
    this.#writer.flush();
    let cells = 0;
    let tokens = 0;
    let output = 0;
    let rest: number | null = 0;
    let seconds = 0;
    let exact = true;
    const { concurrency, requestsPerMinute } = job.settings;
    for (const column of job.aiColumns) {
      const counter = tokenCounterFor(column.provider);
      exact &&= counter.exact;
      const queued = this.#repo.queuedPrompts(jobId, column.id);
      const count = (prompt: string): number => promptTokens(counter, column.systemPrompt, prompt);
      // Calibrate our count on what the provider reported for the cells it answered.
      const answeredPrompts = this.#repo.answeredPrompts(jobId, column.id);
      const ours = answeredPrompts.reduce((sum, row) => sum + count(row.prompt), 0);
      const theirs = answeredPrompts.reduce((sum, row) => sum + row.promptTokens, 0);
      const ratio = ours > 0 && theirs > 0 ? theirs / ours : 1;
      const answered = this.#repo.answeredStats(jobId, column.id);
      // A cell that makes its prompt when it runs has none yet: it is taken as long as the answered ones.
      const average = answered.rows > 0 && theirs > 0 ? theirs / Math.max(1, answeredPrompts.length) : 0;
      const columnTokens = Math.round(
        queued.reduce((sum, prompt) => sum + (prompt === '' ? average : count(prompt) * ratio), 0),
      );
      const columnOutput = Math.round(answered.completionTokens * queued.length);
      const columnCost = costOf(this.#priceOf(column.provider), columnTokens, columnOutput);
      rest = rest === null || columnCost === null ? null : rest + columnCost;
      cells += queued.length;
      tokens += columnTokens;
      output += columnOutput;
      seconds = Math.max(seconds, Math.ceil(queued.length / concurrency) * (answered.latencyMs / 1000));
    }
    seconds = Math.max(seconds, requestsPerMinute ? (cells / requestsPerMinute) * 60 : 0);
    const spent = job.usage.cost ?? 0;
    return {
      rows: cells,
      skipped: job.counts.skipped,
      promptTokens: tokens,
      tokensEstimated: !exact,
      outputTokens: [output, output],
      cost: rest === null ? null : [spent + rest * 0.9, spent + rest * 1.1],
      batchCost:
        rest === null || !batchKindOf(job.provider) || job.aiColumns.length > 1
          ? null
          : [spent + rest * BATCH_DISCOUNT * 0.9, spent + rest * BATCH_DISCOUNT * 1.1],
      seconds: [seconds * 0.9, seconds * 1.1],
      price: this.#priceOf(job.provider),
      pricesCheckedOn: this.#prices.checkedOn,
    };
  }

  #run(jobId: string, sampleSize?: number): JobSummary {
    const job = this.#record(jobId);
    if (job.settings.batch && sampleSize === undefined) return this.#runBatch(job);
    const running = this.#running.get(jobId);
    if (running && !running.runner.paused) return this.#emitJob(jobId);
    // Answers the database refused before are stored first: a row must not be sent twice.
    if (!this.#writer.flush()) {
      throw new RowbotError(
        'JOB_STATE',
        storagePauseReason(this.#storageError, this.#options.dbFile).replace(/^Paused: /, 'Cannot resume yet: '),
      );
    }
    if (running) {
      this.#takeAndMarkRunning(jobId);
      running.runner.resume();
      return this.#emitJob(jobId);
    }
    const columns = job.aiColumns.map((column): ColumnRuntime => {
      const counter = tokenCounterFor(column.provider);
      return {
        id: column.id,
        uses: column.uses,
        usedBy: job.aiColumns.filter((other) => other.uses.includes(column.id)).map((other) => other.id),
        systemPrompt: column.systemPrompt,
        provider: this.#provider(column.provider, job.settings),
        options: column.options,
        countTokens: (systemPrompt, prompt) => promptTokens(counter, systemPrompt, prompt),
        costOf: (prompt, completion, cached) => costOf(this.#priceOf(column.provider), prompt, completion, cached),
        worstCost: (prompt, output) => costOf(this.#priceOf(column.provider), prompt, output),
        cache: this.#cacheFor(column.provider),
        makePrompt: promptMaker(this.#repo, job, column),
      };
    });
    this.#takeAndMarkRunning(jobId);
    const runner = new JobRunner({
      jobId,
      settings: job.settings,
      columns,
      repo: this.#repo,
      writer: this.#writer,
      onStopLine: (reason, detail) => this.#stopLine(jobId, job, reason, detail),
      spentBefore: job.usage.cost ?? 0,
      onLiveChange: () => this.#scheduleLive(jobId),
      onStorageError: (error) => this.#storageFailed(error),
      random: this.#options.random,
      backoff: this.#options.backoff,
      sampleSize,
    });
    const ticker = setInterval(() => {
      if (!this.#closed && !runner.paused) this.#emitJob(jobId);
    }, 1000);
    ticker.unref();
    const entry: RunningJob = { runner, ticker, closing: false };
    this.#running.set(jobId, entry);
    void runner.done.then((outcome) => this.#finish(jobId, entry, outcome));
    runner.start();
    return this.#emitJob(jobId);
  }

  /**
   * Sends the job's queued rows to the provider's Batch API and collects the batches' results,
   * picking up any batch an earlier process left open. The job reads running until every batch is
   * collected; closing Rowbot meanwhile leaves the batches to the provider, to be collected later.
   */
  #runBatch(job: JobRecord): JobSummary {
    const jobId = job.id;
    if (this.#batchRuns.has(jobId)) return this.#emitJob(jobId);
    refuseBatchOfColumns(job);
    const kind = batchKindOf(job.provider);
    if (!kind)
      throw new RowbotError(
        'BAD_REQUEST',
        `${job.provider.kind === 'demo' ? 'The demo' : 'This service'} has no Batch API that Rowbot can use (OpenAI, Azure OpenAI, Groq and Anthropic do). Run the job now instead: turn off “Cheaper (batch)”.`,
      );
    const provider = this.#provider(job.provider, job.settings);
    const body = provider.body?.bind(provider);
    if (!body) throw new RowbotError('BAD_REQUEST', 'This service cannot take batches.');
    const wire = this.#wire(job.provider, kind);
    this.#takeAndMarkRunning(jobId);
    const counter = tokenCounterFor(job.provider);
    const price = batchPrice(this.#priceOf(job.provider));
    const output = job.settings.maxOutputTokens ?? DEFAULT_OUTPUT_RESERVE * 4;
    const params = {
      temperature: job.settings.temperature,
      topP: job.settings.topP,
      stop: job.settings.stop,
      jsonOutput: job.settings.jsonOutput,
    };
    const run = new BatchRun({
      jobId,
      wire,
      store: this.#batchStore,
      limits: { ...BATCH_LIMITS[kind], ...this.#options.batchLimits?.[kind] },
      polling: this.#options.batchPolling ?? BATCH_POLLING,
      body: (prompt) =>
        body({
          prompt,
          systemPrompt: job.systemPrompt,
          maxOutputTokens: job.settings.maxOutputTokens,
          params,
        }),
      costNanos: (prompt, completion, cached) => costNanos(price, prompt, completion, cached),
      worstNanos: (prompt) => costNanos(price, promptTokens(counter, job.systemPrompt, prompt), output) ?? 0,
      budgetLeftNanos: () => {
        const { settings, usage } = this.#record(jobId);
        if (settings.maxCost === null) return null;
        const held = this.#batchStore.forJob(jobId).reduce((sum, batch) => sum + batch.reservedNanos, 0);
        return toNanos(settings.maxCost) - toNanos(usage.cost ?? 0) - held;
      },
      onRows: (rows) => {
        this.#seq += 1;
        this.#emit('rows', { jobId, seq: this.#seq, upserts: rows });
      },
      onChange: () => this.#scheduleLive(jobId),
    });
    this.#batchRuns.set(jobId, run);
    void run.done.then((outcome) => {
      this.#batchRuns.delete(jobId);
      if (this.#closed) return;
      this.#finishBatch(jobId, outcome);
    });
    run.start();
    return this.#emitJob(jobId);
  }

  /**
   * "Send the rest as a batch": a job running live (or paused, or tried on a few rows) stops sending
   * (its requests in flight finish), and its queued rows go to the provider's Batch API instead.
   */
  async sendRestAsBatch(jobId: string): Promise<JobSummary> {
    const job = this.#record(jobId);
    refuseBatchOfColumns(job);
    if (!batchKindOf(job.provider))
      throw new RowbotError(
        'BAD_REQUEST',
        'This service has no Batch API that Rowbot can use (OpenAI, Azure OpenAI, Groq and Anthropic do).',
      );
    if (this.#batchRuns.has(jobId)) return this.#emitJob(jobId);
    const running = this.#running.get(jobId);
    if (running) {
      running.runner.pause();
      await running.runner.settled();
      // Nothing is in flight any more: ending the live run sends nothing back to the queue twice.
      running.runner.cancel();
      await running.runner.done;
    } else {
      this.#refuseIfHeldElsewhere(jobId);
    }
    this.#repo.setJobSettings(jobId, { ...this.#record(jobId).settings, batch: true });
    return this.#runBatch(this.#record(jobId));
  }

  /**
   * A deleted job's batches still at the provider are canceled there (they would be billed for
   * answers nobody collects); when the provider cannot be reached, the job is not deleted.
   */
  async #cancelBatchesOf(job: JobRecord): Promise<void> {
    const run = this.#batchRuns.get(job.id);
    const open = this.#batchStore.forJob(job.id).filter((batch) => batch.state === 'waiting' && batch.remoteId);
    if (run) {
      await run.cancel();
      run.stop();
      await run.done;
      return;
    }
    const kind = batchKindOf(job.provider);
    if (open.length === 0 || !kind) return;
    const wire = this.#wire(job.provider, kind)(new AbortController().signal);
    try {
      for (const batch of open) await wire.cancel(batch.remoteId ?? '');
    } catch (error) {
      throw new RowbotError(
        'JOB_STATE',
        `This job has a batch at the provider that Rowbot could not cancel (${error instanceof Error ? error.message : String(error)}). Try again when the provider can be reached, so that it stops billing for it.`,
      );
    }
  }

  /** Goes on collecting the batches an earlier process left at the providers (the app and `rowbot serve`). */
  #resumeBatches(): void {
    for (const jobId of new Set(this.#batchStore.open().map((batch) => batch.jobId))) {
      if (this.#closed || this.#batchRuns.has(jobId) || this.#leases.heldElsewhere(jobId)) continue;
      try {
        this.#runBatch(this.#record(jobId));
      } catch (error) {
        this.#repo.setJobStatus(jobId, 'paused', error instanceof Error ? error.message : String(error));
        this.#emitJob(jobId);
      }
    }
  }

  /** A job's batches are all collected (or the run stopped, or a batch could not be sent): where that leaves the job. */
  #finishBatch(jobId: string, outcome: BatchRunOutcome): void {
    try {
      const job = this.#record(jobId);
      if (outcome === 'stopped') {
        // Paused or canceled by the user: the status says so already.
      } else if (outcome !== 'collected') {
        this.#repo.setJobStatus(jobId, 'paused', `Paused: ${outcome.failed.replace(/^Not sent: /, 'not sent: ')}`);
      } else if (job.status === 'canceled') {
        // Canceled: what the provider finished before is in.
      } else if (job.counts.queued > 0) {
        this.#repo.setJobStatus(jobId, 'paused', 'Some rows went back to the queue. Press Resume to send them.');
      } else {
        this.#repo.setJobStatus(jobId, 'completed');
      }
      this.#releaseLease(jobId);
    } catch {
      // The job was deleted meanwhile.
    }
    this.#notifyIdle(jobId);
    this.#emitJob(jobId);
  }

  /** The Batch API client of a job's provider, with the key as for live requests. */
  #wire(config: ProviderConfig, kind: BatchKind): (signal: AbortSignal) => BatchWire {
    const apiKey = this.#keyFor(config);
    return (signal) => {
      if (kind === 'anthropic')
        return anthropicBatchWire({
          http: this.#http,
          baseUrl: config.kind === 'demo' ? '' : config.baseUrl,
          apiKey,
          signal,
        });
      if (config.kind !== 'openai') throw new Error('not an OpenAI-compatible provider');
      return openAiBatchWire({
        http: this.#http,
        baseUrl: config.baseUrl,
        apiKey,
        headers: config.headers,
        azureApiVersion: config.azureApiVersion,
        signal,
      });
    };
  }

  /** The job is this process's (its lease) and says it runs; when the database refuses that, the lease goes back. */
  #takeAndMarkRunning(jobId: string): void {
    this.claimJob(jobId);
    try {
      this.#repo.setJobStatus(jobId, 'running');
    } catch (error) {
      this.#releaseLease(jobId);
      throw openProblem(error, this.#options.dbFile);
    }
    this.#heldByStorage.delete(jobId);
  }

  /**
   * Takes the job for this process (it is renewed while the job runs here): one process runs a job
   * at a time. Refuses, saying which, while another Rowbot window or command runs it.
   */
  claimJob(jobId: string): void {
    this.#record(jobId);
    const holder = this.#leases.take(jobId);
    if (holder) throw new RowbotError('JOB_STATE', heldMessage(holder, hostname()));
  }

  /** A job another process runs is paused, canceled or deleted there, not from here. */
  #refuseIfHeldElsewhere(jobId: string): void {
    const holder = this.#leases.heldElsewhere(jobId);
    if (holder) throw new RowbotError('JOB_STATE', heldMessage(holder, hostname()));
  }

  /** No new rows start; rows in flight finish. */
  pauseJob(jobId: string, reason = PAUSED_BY_USER): JobSummary {
    const job = this.#record(jobId);
    const batches = this.#batchRuns.get(jobId);
    if (batches) {
      batches.stop();
      this.#repo.setJobStatus(
        jobId,
        'paused',
        'Paused: Rowbot stopped checking for results. The batches go on at the provider; press Resume to collect them.',
      );
      return this.#emitJob(jobId);
    }
    const running = this.#running.get(jobId);
    if (!running) this.#refuseIfHeldElsewhere(jobId);
    if (!running || job.status !== 'running') return this.#emitJob(jobId);
    running.runner.pause();
    this.#repo.setJobStatus(jobId, 'paused', reason);
    this.#whenSettled(jobId, running);
    return this.#emitJob(jobId);
  }

  /**
   * A paused job's requests still in flight are abandoned (their rows go back to the queue) rather
   * than waited for: Ctrl+C in the CLI. The job stays paused.
   */
  abandonInFlight(jobId: string): void {
    const running = this.#running.get(jobId);
    if (running?.runner.paused) running.runner.cancel();
  }

  /** Aborts requests in flight; their rows go back to the queue. The job can be resumed later. */
  cancelJob(jobId: string): JobSummary {
    this.#record(jobId);
    const batches = this.#batchRuns.get(jobId);
    if (batches) {
      this.#repo.setJobStatus(jobId, 'canceled', 'Canceled at the provider. What it had finished is collected.');
      void batches.cancel().catch((error: unknown) => {
        this.#repo.setJobStatus(
          jobId,
          'canceled',
          `Rowbot could not cancel the batch at the provider: ${error instanceof Error ? error.message : String(error)}`,
        );
        this.#emitJob(jobId);
      });
      return this.#emitJob(jobId);
    }
    const running = this.#running.get(jobId);
    if (!running) this.#refuseIfHeldElsewhere(jobId);
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
    return { requeued, job: this.#runRequeued(job, requeued) };
  }

  /**
   * Rows cut off at the output limit run again with a higher one: the job's limit is raised first,
   * then they go back to the queue. What their cut-off answers were billed stays in the job's cost.
   */
  retryCutOff(jobId: string, maxOutputTokens: number): { requeued: number; job: JobSummary } {
    const job = this.#record(jobId);
    const limit = job.settings.maxOutputTokens;
    if (limit !== null && maxOutputTokens <= limit) {
      throw new RowbotError(
        'BAD_REQUEST',
        `These rows were cut off at the output limit of ${limit.toLocaleString('en-US')} tokens: choose a higher limit than that, not ${maxOutputTokens.toLocaleString('en-US')}.`,
      );
    }
    this.#writer.flush();
    this.updateJobSettings(jobId, { maxOutputTokens });
    const requeued = this.#repo.requeueCutOff(jobId);
    return { requeued, job: this.#runRequeued(this.#record(jobId), requeued) };
  }

  /**
   * Rows went back to the queue: a running job takes them, a finished one starts again (a paused
   * one too when `start`: the user asked for these cells to run).
   */
  #runRequeued(job: JobRecord, requeued: number, start = false): JobSummary {
    if (requeued > 0) {
      const running = this.#running.get(job.id);
      if (running && !running.runner.paused) running.runner.poke();
      else if (running) {
        running.runner.poke();
        if (start) this.startJob(job.id);
      } else if (job.status === 'completed' || job.status === 'ready' || start) this.startJob(job.id);
    }
    return this.#emitJob(job.id);
  }

  /** Applies at once to a running job. */
  updateJobSettings(jobId: string, patch: Partial<RunSettings>): JobSummary {
    const job = this.#record(jobId);
    const settings = { ...job.settings, ...patch };
    const sampling = reasoningModelProblem(job.provider, settings);
    if (sampling) throw new RowbotError('BAD_REQUEST', sampling);
    this.#repo.setJobSettings(jobId, settings);
    this.#http.ensureConnections(settings.autoConcurrency ? MAX_CONCURRENCY : settings.concurrency);
    this.#running.get(jobId)?.runner.updateSettings(settings);
    return this.#emitJob(jobId);
  }

  /**
   * Changes a job that is not running: its prompt, system prompt, service and model, or settings.
   * `rest` runs the new prompt on the rows without an answer; `all` on every row again (answers
   * cleared, what they were billed still counted). The job then waits for Start.
   */
  editJob(input: JobEditInput): JobDetail {
    const job = this.#record(input.jobId);
    this.#refuseWhileRunning(job, 'change it');
    const [column] = job.aiColumns as [AiColumn, ...AiColumn[]];
    const provider = input.provider ? withSecretsKept(input.provider, column.provider) : column.provider;
    const settings = { ...job.settings, ...input.settings };
    const template = input.template ?? column.template;
    const systemPrompt = input.systemPrompt ?? column.systemPrompt;
    const sampling = reasoningModelProblem(provider, { ...settings, ...column.options });
    if (sampling) throw new RowbotError('BAD_REQUEST', sampling);
    this.#keyFor(provider);
    const problem = columnTemplateProblem(template, column.name, job.columns, [], job.aiColumns.slice(1));
    if (problem) throw new RowbotError('TEMPLATE_INVALID', problem);
    // Rows answered in the column being changed (job.counts counts the cells of every column).
    const answered =
      input.rerun === 'rest' ? (job.columnStats.find((stat) => stat.id === column.id)?.counts.done ?? 0) : 0;
    this.#writer.flush();
    this.#repo.transaction(() => {
      this.#repo.editColumn({
        jobId: job.id,
        col: column.id,
        config: { ...column, template, systemPrompt, provider },
        prompts: sheetPrompts(this.#repo, job.sheetId, job.columns, template),
        rerun: input.rerun === 'all' ? 'all' : 'none',
        staleColumns: [],
      });
      // Every later column runs again too (`all`), or takes the change on its cells not yet answered.
      for (const later of job.aiColumns.slice(1)) {
        this.#repo.editColumn({
          jobId: job.id,
          col: later.id,
          config: later,
          prompts: later.uses.length > 0 ? null : sheetPrompts(this.#repo, job.sheetId, job.columns, later.template),
          rerun: input.rerun === 'all' ? 'all' : 'none',
          staleColumns: [],
        });
      }
      this.#repo.setJobState(
        job.id,
        settings,
        answered > 0 ? 'paused' : 'ready',
        answered > 0
          ? `Changed: ${answered.toLocaleString('en-US')} ${answered === 1 ? 'answered row keeps its answer' : 'answered rows keep their answers'}; the others run with the new settings when you start.`
          : null,
      );
    });
    this.#emitJob(job.id);
    return this.getJob(job.id);
  }

  addColumn(input: CommandInput<'addColumn'>): JobDetail {
    return addColumn(this.#columnHost, input);
  }

  updateColumn(input: CommandInput<'updateColumn'>): JobDetail {
    return updateColumn(this.#columnHost, input);
  }

  moveColumn(input: CommandInput<'moveColumn'>): JobDetail {
    return moveColumn(this.#columnHost, input);
  }

  removeColumn(input: CommandInput<'removeColumn'>): JobDetail {
    return removeColumn(this.#columnHost, input);
  }

  duplicateColumn(input: CommandInput<'duplicateColumn'>): JobDetail {
    return duplicateColumn(this.#columnHost, input);
  }

  /** Stale, failed or all cells (of a column, of some rows) back to the queue, and the job running them. */
  runCells(input: CommandInput<'runCells'>): CommandOutputs['runCells'] {
    return runCells(this.#columnHost, input);
  }

  editCell(input: CommandInput<'editCell'>): CommandOutputs['editCell'] {
    return editCell(this.#columnHost, input);
  }

  previewColumnPrompt(input: CommandInput<'previewColumnPrompt'>): CommandOutputs['previewColumnPrompt'] {
    return previewColumnPrompt(this.#columnHost, input);
  }

  /** What the column commands need of the engine. */
  get #columnHost(): ColumnHost {
    return {
      repo: this.#repo,
      record: (jobId) => this.#record(jobId),
      refuseWhileRunning: (job, doing) => this.#refuseWhileRunning(job, doing),
      checkProvider: (provider, settings) => {
        const sampling = reasoningModelProblem(provider, settings);
        if (sampling) throw new RowbotError('BAD_REQUEST', sampling);
        this.#keyFor(provider);
      },
      keepSecrets: withSecretsKept,
      flush: () => this.#writer.flush(),
      getJob: (jobId) => this.getJob(jobId),
      emitJob: (jobId) => this.#emitJob(jobId),
      emitCells: (jobId, cells) => {
        this.#seq += 1;
        this.#emit('rows', { jobId, seq: this.#seq, upserts: cells });
      },
      runRequeued: (jobId, requeued) => this.#runRequeued(this.#record(jobId), requeued, true),
    };
  }

  #refuseWhileRunning(job: JobRecord, doing: string): void {
    if (this.#running.has(job.id) || job.status === 'running')
      throw new RowbotError('JOB_STATE', `This job is running: pause it before you ${doing}.`);
    this.#refuseIfHeldElsewhere(job.id);
  }

  /** Resolves when the job is not running any more: completed, canceled, or paused with nothing in flight. */
  /** Resolves once a batch job's queued rows are all at the provider (or could not be sent). */
  async batchesSent(jobId: string): Promise<JobSummary> {
    const run = this.#batchRuns.get(jobId);
    if (run) await Promise.race([run.sent, run.done]);
    this.#flushEvents();
    return this.#summary(jobId);
  }

  async waitForJob(jobId: string): Promise<JobSummary> {
    const batches = this.#batchRuns.get(jobId);
    if (batches) {
      await batches.done;
      this.#flushEvents();
      return this.#summary(jobId);
    }
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

  renameJob(jobId: string, name: string): JobSummary {
    this.#record(jobId);
    this.#repo.renameJob(jobId, name.trim());
    return this.#emitJob(jobId);
  }

  /** A new job from the same file, template, provider and settings; not started. */
  duplicateJob(jobId: string): JobDetail {
    const job = this.#record(jobId);
    const [first, ...more] = job.aiColumns as [AiColumn, ...AiColumn[]];
    const copy = this.createJob({
      sheetId: job.sheetId,
      name: `${job.name} (copy)`,
      template: first.template,
      systemPrompt: first.systemPrompt,
      provider: first.provider,
      settings: job.settings,
      columnName: first.name,
      moreColumns: more.map((column) => ({
        name: column.name,
        template: column.template,
        systemPrompt: column.systemPrompt,
        provider: column.provider,
        options: column.options,
        useCorrections: column.useCorrections,
      })),
    });
    this.#emitJob(copy.id);
    return copy;
  }

  /** Deletes the job with its rows and attempts; a running job is canceled first. */
  async deleteJob(jobId: string): Promise<{ deleted: true }> {
    const job = this.#record(jobId);
    this.#refuseIfHeldElsewhere(jobId);
    const running = this.#running.get(jobId);
    if (running) {
      running.runner.cancel();
      await running.runner.done;
    }
    await this.#cancelBatchesOf(job);
    this.#writer.flush();
    this.#repo.deleteJob(jobId, job.sheetId);
    this.#emit('jobDeleted', { jobId });
    return { deleted: true };
  }

  /** The chart's last ten minutes, rebuilt from the attempt log (after a reload, or for a job that is not running). */
  getTimeline(jobId: string): TimelineSecond[] {
    this.#record(jobId);
    this.#writer.flush();
    return this.#repo.timeline(jobId, 600);
  }

  /** One cell: the row's answer in AI column `col` (the first column when not given). */
  getRow(jobId: string, index: number, col?: number): RowDetail {
    const job = this.#record(jobId);
    this.#writer.flush();
    const column = col === undefined ? job.aiColumns[0] : job.aiColumns.find((c) => c.id === col);
    if (!column) throw new RowbotError('NOT_FOUND', 'That AI column is no longer in this job. Reload the job.');
    const row = this.#repo.rowDetail(jobId, index, column.id);
    if (!row) throw new RowbotError('NOT_FOUND', `Row ${index + 1} does not exist in this job.`);
    return { ...row, columnName: column.name, systemPrompt: column.systemPrompt };
  }

  getJob(jobId: string): JobDetail {
    const { sheetId: _sheetId, ...detail } = this.#record(jobId);
    return {
      ...detail,
      provider: shownProvider(detail.provider),
      aiColumns: detail.aiColumns.map((column) => ({ ...column, provider: shownProvider(column.provider) })),
      live: this.#liveOf(jobId, detail.counts),
      batches: this.#batchViews(jobId),
      rev: this.#nextRev(),
    };
  }

  listJobs(): JobSummary[] {
    return this.#repo.listJobs().map((job) => ({
      ...this.#withHold(job),
      live: this.#liveOf(job.id, job.counts),
      batches: this.#batchViews(job.id),
      rev: this.#nextRev(),
    }));
  }

  getRows(jobId: string): RowsSnapshot {
    const job = this.#record(jobId);
    this.#flushEvents();
    return {
      jobId,
      seq: this.#seq,
      rows: this.#repo.rowViews(
        job.id,
        job.sheetId,
        job.aiColumns.map((column) => column.id),
      ),
    };
  }

  /**
   * Writes the results in input order: every row, or only done or failed ones. The format
   * comes from the options, or else from the path's extension (.csv, .xlsx, .jsonl).
   */
  async exportTo(jobId: string, path: string, options: Partial<ExportOptions> = {}): Promise<ExportReport> {
    const job = this.#record(jobId);
    if (options.writeBack) {
      // The user's workbook is rebuilt in memory with ExcelJS: these rows are held too.
      const rows = this.getRows(jobId).rows.filter((row) => rowIsExported(row, options.rows));
      const sheet = this.#repo.getSheet(job.sheetId);
      const blob = this.#repo.sheetSourceBlob(job.sheetId);
      if (!sheet || !blob || sheet.settings.sheet === null || sheet.settings.headerRow === null) {
        throw new RowbotError(
          'BAD_REQUEST',
          'Writing the results back into the workbook needs a job imported from an Excel file with a header row. Export as a new file instead.',
        );
      }
      return exportIntoWorkbook(
        path,
        blob,
        sheet.settings.sheet,
        sheet.settings.headerRow,
        this.#repo.sheetSourceRows(job.sheetId),
        rows,
        exportColumnsOf(job.aiColumns, job.settings.jsonOutput),
      );
    }
    // Streamed: the rows are read a page at a time from a snapshot of the database taken now,
    // with every answer saved so far, and written out as they are read.
    this.#flushEvents();
    const snapshot = new RowSnapshot(this.#options.dbFile);
    try {
      return await exportResults(
        path,
        job.columns,
        snapshot.pages(job.id, job.sheetId, !options.rows || options.rows === 'all' ? null : options.rows),
        { ...options, delimiter: options.delimiter ?? defaultExportDelimiter(job.importSettings.delimiter) },
        exportColumnsOf(job.aiColumns, job.settings.jsonOutput),
        () => {
          const sheet = this.#repo.getSheet(job.sheetId);
          const bytes = this.#repo.sheetSourceBlob(job.sheetId);
          if (!sheet || !bytes || sheet.settings.format !== 'xlsx' || sheet.settings.sheet === null) return null;
          return { bytes, sheet: sheet.settings.sheet, sourceRows: this.#repo.sheetSourceRows(job.sheetId) };
        },
      );
    } finally {
      snapshot.close();
    }
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
    // Batches go on at the provider: stop checking, and leave them to be collected later.
    const batchRuns = [...this.#batchRuns.values()];
    for (const run of batchRuns) run.stop();
    await Promise.all(batchRuns.map((run) => run.done));
    clearInterval(this.#heartbeat);
    this.#releaseLease(null);
    for (const timer of this.#liveTimers.values()) clearTimeout(timer);
    this.#flushEvents();
    this.#dropUnusedImports();
    await this.#http.close();
    this.#db.close();
    await rm(this.#uploadDir, { recursive: true, force: true });
  }

  #finish(jobId: string, entry: RunningJob, outcome: RunOutcome): void {
    clearInterval(entry.ticker);
    this.#running.delete(jobId);
    this.#writer.flush();
    const held = this.#heldByStorage.get(jobId);
    this.#heldByStorage.delete(jobId);
    try {
      if (entry.closing) this.#repo.setJobStatus(jobId, 'paused', held ?? CLOSED);
      else if (outcome === 'completed') this.#repo.setJobStatus(jobId, 'completed');
      else if (outcome === 'sampled') {
        const left = this.#repo.counts(jobId).queued;
        this.#repo.setJobStatus(jobId, left > 0 ? 'paused' : 'completed', left > 0 ? this.#sampleNote(jobId) : null);
      }
    } catch {
      // The database refuses writes (the disk is full): the job is found interrupted at the next start.
    }
    this.#releaseLease(jobId);
    if (!this.#closed) {
      this.#flushEvents();
      this.#emitJob(jobId);
    }
    this.#notifyIdle(jobId);
  }

  /**
   * Once a paused job has nothing in flight here, another process may run it: its lease goes (not
   * while answers of it wait in memory for room on the disk: they would be bought again there).
   */
  #whenSettled(jobId: string, entry: RunningJob): void {
    void entry.runner.settled().then(() => {
      if (entry.runner.paused && this.#running.get(jobId) === entry && this.#writer.unsaved === 0) {
        this.#releaseLease(jobId);
      }
      this.#notifyIdle(jobId);
    });
  }

  /**
   * The imports of this session no job uses (an estimate, a create that failed, a file only looked
   * at) go when Rowbot closes: a big sheet's copy would otherwise stay in the database for nothing.
   */
  #dropUnusedImports(): void {
    try {
      for (const source of this.#sources.values()) {
        for (const sheetId of source.sheetIds) this.#repo.deleteUnusedSheet(sheetId);
      }
      reclaimFreeSpace(this.#db);
    } catch {
      // A full disk or a locked database: they go at a later start, after a day.
    }
  }

  /** One job's lease, or (null) every lease of this engine. */
  #releaseLease(jobId: string | null): void {
    if (this.#closed && jobId !== null) return;
    try {
      if (jobId === null) this.#leases.releaseAll();
      else this.#leases.release(jobId);
    } catch {
      // Locked or refused: the lease goes stale on its own.
    }
  }

  /** The heartbeat of the jobs running here. A job another process took over meanwhile stops here. */
  #renewLeases(): void {
    if (this.#closed) return;
    let held: Set<string>;
    try {
      held = this.#leases.renew();
    } catch {
      return; // Locked for a moment: the next beat comes well before the lease goes stale.
    }
    for (const [jobId, entry] of this.#running) {
      if (held.has(jobId) || entry.runner.paused) continue;
      // This process was stopped longer than a lease lasts (a debugger, SIGSTOP) and another runs the job now.
      entry.runner.pause();
      this.#whenSettled(jobId, entry);
      this.#emitJob(jobId);
    }
  }

  /**
   * The database refused answers (the disk is full): every running job pauses and says so. Requests
   * in flight finish; the writer keeps what it could not store and writes it before a job resumes.
   */
  #storageFailed(error: unknown): void {
    this.#storageError = error;
    const reason = storagePauseReason(error, this.#options.dbFile);
    for (const [jobId, entry] of this.#running) {
      if (this.#heldByStorage.has(jobId)) continue;
      this.#heldByStorage.set(jobId, reason);
      entry.runner.pause();
      try {
        this.#repo.setJobStatus(jobId, 'paused', reason);
      } catch {
        // Shown from memory instead (see #record).
      }
      this.#whenSettled(jobId, entry);
      if (!this.#closed) this.#emitJob(jobId);
    }
  }

  #stopLine(
    jobId: string,
    job: JobRecord,
    reason: StopReason,
    { error, spent }: { error?: ProviderError; spent?: number },
  ): void {
    const said = error?.message.replace(/^The provider answered /, '') ?? '';
    const where = job.provider.kind === 'demo' ? '' : ` (${job.provider.model})`;
    const dollars = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`;
    const { settings } = this.#record(jobId);
    const cap = settings.maxCost ?? 0;
    const text: Record<StopReason, string> = {
      auth: `Paused: the provider rejected the API key (${said}). Check the key, then press Resume.`,
      model: `Paused: the provider does not know this model${where} or the address is wrong (${said}). Check the model name and the API address, then press Resume.`,
      quota: error?.dailyLimit
        ? `Paused: the provider’s limit for the day is used up (${said}). Press Resume when it resets (usually within a day), or raise the limit in your provider account.`
        : `Paused: the provider says your quota or credit is used up (${said}). Add credit or raise the limit in your provider account, then press Resume.`,
      budget: `Paused: the next rows could take this job over its budget of ${dollars(cap)} (${dollars(spent ?? 0)} spent). Raise or remove the budget, then press Resume.`,
      rate_limited: `Paused: the provider has refused every request with “too many requests” for ${formatMinutes(settings.rateLimitPatienceMinutes)} (${said}). Check the limits of your plan, lower Requests/min or Concurrency, then press Resume.`,
      'budget-unpriced': `Paused: Rowbot knows no price for this model${where}, so it cannot keep to the budget. Add its price in Settings → Prices, or remove the budget, then press Resume.`,
    };
    try {
      this.#repo.setJobStatus(jobId, 'paused', text[reason]);
    } catch (error) {
      // Called from inside a run: a throw would leave its row scheduled for ever. The disk comes first.
      this.#storageFailed(error);
      return;
    }
    const running = this.#running.get(jobId);
    if (running) this.#whenSettled(jobId, running);
    this.#emitJob(jobId);
  }

  #sampleNote(jobId: string): string {
    const projection = this.projectJob(jobId);
    const { aiColumns } = this.#record(jobId);
    const answered = this.#repo.answeredStats(jobId, aiColumns[0]?.id ?? 0);
    // A job of several columns counts cells (a row's answer in one column), not rows.
    const unit = aiColumns.length > 1 ? 'cells' : 'rows';
    const cost = projection.cost
      ? `about $${((projection.cost[0] + projection.cost[1]) / 2).toFixed(projection.cost[1] < 1 ? 4 : 2)} in all`
      : 'an unknown cost (no price for this model)';
    const minutes = (projection.seconds[0] + projection.seconds[1]) / 2 / 60;
    const time = minutes < 1 ? `under a minute` : `about ${Math.round(minutes)} min`;
    return `Sample run done: answers averaged ${Math.round(answered.completionTokens)} tokens and ${answered.latencyMs < 1000 ? `${Math.round(answered.latencyMs)} ms` : `${(answered.latencyMs / 1000).toFixed(1)} s`}. The other ${projection.rows.toLocaleString('en-US')} ${unit} should take ${time}, for ${cost}. Press Resume to run them.`;
  }

  #notifyIdle(jobId: string): void {
    const waiters = this.#idleWaiters.get(jobId) ?? [];
    this.#idleWaiters.delete(jobId);
    for (const resolve of waiters) resolve();
  }

  #provider(config: ProviderConfig, settings: RunSettings): Provider {
    this.#http.ensureConnections(settings.autoConcurrency ? MAX_CONCURRENCY : settings.concurrency);
    const apiKey = this.#keyFor(config);
    switch (config.kind) {
      case 'demo':
        return new DemoProvider({ latencyMs: this.#options.demoLatencyMs });
      case 'openai':
        return new OpenAiCompatibleProvider({
          http: this.#http,
          baseUrl: config.baseUrl,
          model: config.model,
          apiKey,
          keyId: config.keyId,
          azureApiVersion: config.azureApiVersion,
          headers: config.headers,
        });
      case 'anthropic':
        return new AnthropicProvider({ http: this.#http, baseUrl: config.baseUrl, model: config.model, apiKey });
    }
  }

  #record(jobId: string): JobRecord {
    const job = this.#repo.getJob(jobId);
    if (!job) throw new RowbotError('NOT_FOUND', 'That job does not exist any more. Go back to the job list.');
    return this.#withHold(job);
  }

  /** A job paused for a full disk may still read 'running' on disk: that write may have been refused too. */
  #withHold<T extends { id: string; status: JobRecord['status']; pauseReason: string | null }>(job: T): T {
    const held = this.#heldByStorage.get(job.id);
    return held && job.status === 'running' ? { ...job, status: 'paused', pauseReason: held } : job;
  }

  #summary(jobId: string): JobSummary {
    const summary = summaryOf(this.#record(jobId));
    return {
      ...summary,
      live: this.#liveOf(jobId, summary.counts),
      batches: this.#batchViews(jobId),
      rev: this.#nextRev(),
    };
  }

  #batchViews(jobId: string): BatchView[] {
    return this.#batchRuns.get(jobId)?.views() ?? batchViews(this.#batchStore.forJob(jobId));
  }

  #liveOf(jobId: string, counts: JobCounts): LiveStats | null {
    return this.#running.get(jobId)?.runner.live(counts.queued + counts.running) ?? null;
  }

  /** Answers keyed by everything that shapes them: provider, address, model, output limit, system prompt and prompt. */
  #cacheFor(provider: ProviderConfig): ColumnRuntime['cache'] {
    const key = (systemPrompt: string, prompt: string, settings: RunSettings): string =>
      createHash('sha256')
        .update(
          JSON.stringify([
            provider,
            settings.maxOutputTokens,
            settings.temperature,
            settings.topP,
            settings.stop,
            settings.jsonOutput,
            systemPrompt,
            prompt,
          ]),
        )
        .digest('hex');
    return {
      keyOf: key,
      get: (cacheKey) => this.#repo.cachedAnswer(cacheKey),
    };
  }

  #nextRev(): number {
    this.#rev += 1;
    return this.#rev;
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A new job's name: the file, the model and when, in local time ("products · gpt-4o-mini · 1 Dec
 * 14:05"), so that jobs made from one file are told apart in the list without renaming them.
 */
export function defaultJobName(fileName: string, model: string, at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const when = `${at.getDate()} ${MONTHS[at.getMonth()]} ${two(at.getHours())}:${two(at.getMinutes())}`;
  return [fileName.replace(/\.[^.]+$/, ''), model.trim(), when].filter(Boolean).join(' · ');
}

function tooLarge(fileName: string, size: number, max: number): RowbotError {
  const mb = (n: number): string => `${Math.ceil(n / (1024 * 1024)).toLocaleString('en-US')} MB`;
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" is ${mb(size)}; Rowbot imports files up to ${mb(max)}. Split it into smaller files and import them one by one.`,
  );
}

/** "10 minutes", "1 minute", "30 seconds". */
function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.round(minutes * 60)} seconds`;
  const whole = Math.round(minutes);
  return `${whole} minute${whole === 1 ? '' : 's'}`;
}

/** Batches run one AI column: a later column's prompts need the answers of the earlier ones first. */
function refuseBatchOfColumns(job: JobRecord): void {
  if (job.aiColumns.length > 1)
    throw new RowbotError(
      'BAD_REQUEST',
      `This job has ${job.aiColumns.length} AI columns; Rowbot sends only one-column jobs as a batch, because a later column needs the earlier answers first. Run it now instead: turn off “Cheaper (batch)”.`,
    );
}

/** A new job's columns as templates name them (ids by position), with the fields of their JSON answers. */
function namedConfigs(columns: readonly ColumnConfig[], jobJson: RunSettings['jsonOutput']): NamedColumn[] {
  return columns.map((column, id) => ({
    id,
    name: column.name,
    fields: (columnJsonOutput(column.options, jobJson)?.fields ?? []).map((field) => field.name),
  }));
}
