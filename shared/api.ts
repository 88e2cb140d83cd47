/**
 * The one API contract between the UI and the backend. Every command and event is
 * declared here once; Electron IPC and the `rowbot serve` HTTP transport both carry it.
 */
import type { ErrorPayload } from './errors.ts';
import type { KeyId } from './providers.ts';
import type { ExportOptions, ImportOptions, ImportSettings } from './sheets.ts';

/** `skipped`: every placeholder of the row was empty, so nothing was sent (a job setting). */
export const ROW_STATUSES = ['queued', 'running', 'done', 'failed', 'skipped'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export const JOB_STATUSES = ['ready', 'running', 'paused', 'canceled', 'completed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const MAX_CONCURRENCY = 1000;
/** Uploads cross the boundary base64-encoded; this caps one upload at ~150 MB of file. */
export const MAX_UPLOAD_BASE64_CHARS = 200 * 1024 * 1024;

export interface DemoProviderConfig {
  kind: 'demo';
  model: string;
}

export interface OpenAiProviderConfig {
  kind: 'openai';
  /** e.g. https://api.openai.com/v1; requests go to {baseUrl}/chat/completions. */
  baseUrl: string;
  model: string;
  /** Which saved key to send (default: the OpenAI key); null sends none (local servers). */
  keyId?: KeyId | null;
  /** Azure OpenAI: the api-version query, and the key sent as `api-key` instead of a Bearer token. */
  azureApiVersion?: string;
  /** Extra request headers, for gateways that need them. */
  headers?: Record<string, string>;
}

export interface AnthropicProviderConfig {
  kind: 'anthropic';
  /** e.g. https://api.anthropic.com/v1; requests go to {baseUrl}/messages. */
  baseUrl: string;
  model: string;
}

export type ProviderConfig = DemoProviderConfig | OpenAiProviderConfig | AnthropicProviderConfig;
export type ProviderKind = ProviderConfig['kind'];

/** How a job runs. Every field can change while it runs and applies at once. */
export interface RunSettings {
  /** Requests at once; in automatic mode, where the search starts. */
  concurrency: number;
  /** Find the highest concurrency that draws no 429s (additive increase, multiplicative decrease). */
  autoConcurrency: boolean;
  /** Client-side pacing; null means no limit of our own. */
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  /** Tries per row for errors that may pass (network, timeouts, 5xx); 429s are paced, not counted. */
  maxAttempts: number;
  timeoutSeconds: number;
  /** Minutes of nothing but 429s (no answer at all) after which the job pauses and says so. */
  rateLimitPatienceMinutes: number;
  /** Sent as the request's output limit; also what pacing reserves per request. */
  maxOutputTokens: number | null;
  /** Most this job may spend, in US dollars; it pauses before going over. Null: no cap. */
  maxCost: number | null;
  /** Reuse the stored answer of an identical earlier request instead of sending it again. */
  useCache: boolean;
  /** Sampling: null leaves the provider's default. */
  temperature: number | null;
  topP: number | null;
  /** Text at which the model stops writing (up to four). */
  stop: string[];
  /** Ask for a JSON object; with fields, each becomes its own column in the table and exports. */
  jsonOutput: JsonOutput | null;
  /**
   * Send the rows to the provider's Batch API instead of one request each: about half the price,
   * answers within 24 hours (OpenAI and its compatible Azure and Groq, Anthropic; see batchKindOf).
   */
  batch: boolean;
}

export const JSON_FIELD_TYPES = ['string', 'number', 'boolean'] as const;
export type JsonFieldType = (typeof JSON_FIELD_TYPES)[number];

/** The answer options an AI column may set over the job's settings (the first column usually sets none). */
export type ColumnOptions = Partial<
  Pick<RunSettings, 'jsonOutput' | 'maxOutputTokens' | 'temperature' | 'topP' | 'stop'>
>;

/** What a job's first AI column is called unless the user names it (and what every older job's one column is). */
export const FIRST_COLUMN_NAME = 'output';
/** AI columns one job may have. */
export const MAX_AI_COLUMNS = 20;
/** Cells corrected by hand offered to the model as examples, at most (the most recent first). */
export const MAX_EXAMPLES = 5;

/** One AI column of a job: its own prompt, service, model and answer options. */
export interface AiColumn {
  /** Stable within the job (its cells are stored under it); not reused after a removal. */
  id: number;
  name: string;
  /** May use the sheet's columns and the AI columns to its left, by name: {{summary}}. */
  template: string;
  systemPrompt: string;
  provider: ProviderConfig;
  options: ColumnOptions;
  /** Offer this column's cells corrected by hand to the model as examples (a few-shot block before the prompt). */
  useCorrections: boolean;
  /** The AI columns its template uses (ids), all to its left. */
  uses: number[];
  /** The column it was duplicated from to compare models (answers shown side by side); null otherwise. */
  comparesWith: number | null;
}

/** An AI column's cells by status, with what they used; in the job summary. */
export interface ColumnSummary {
  id: number;
  name: string;
  model: string;
  counts: JobCounts;
  /** Done cells whose prompt, model or inputs changed since they were answered. */
  stale: number;
  /** Cells whose answer the user corrected by hand (counted in done). */
  edited: number;
  cutOff: number;
  usage: JobUsage;
}

/** A new AI column (addColumn, createJob's moreColumns). */
export interface NewColumn {
  name: string;
  template: string;
  systemPrompt?: string;
  /** Default: the job's first column's. */
  provider?: ProviderConfig;
  options?: ColumnOptions;
  useCorrections?: boolean;
}

export interface JsonOutput {
  /** Empty: any JSON object (JSON mode). Otherwise the schema the answer must follow. */
  fields: { name: string; type: JsonFieldType }[];
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  concurrency: 4,
  autoConcurrency: false,
  requestsPerMinute: null,
  tokensPerMinute: null,
  maxAttempts: 5,
  timeoutSeconds: 60,
  rateLimitPatienceMinutes: 10,
  maxOutputTokens: null,
  maxCost: null,
  useCache: true,
  temperature: null,
  topP: null,
  stop: [],
  jsonOutput: null,
  batch: false,
};

/** What the engine is doing right now, for the job header and the chart. */
export interface LiveStats {
  /** The concurrency in use (in automatic mode, the value it settled on). */
  concurrency: number;
  inFlight: number;
  /** 429 answers seen in this run. */
  rateLimited: number;
  /** Requests sent again after an error that may pass. */
  retries: number;
  rowsPerMinute: number;
  tokensPerMinute: number;
  /** While the provider asked us to wait (Retry-After), until when. */
  waitingUntil: string | null;
  /**
   * Seconds until the rows left are done at the settings in use now (concurrency over the recent
   * latency, the per-minute limits, a wait the provider asked for); null before the first answer.
   */
  secondsLeft: number | null;
}

/** One of a job's batches at the provider, as the job view shows it. */
export interface BatchView {
  id: string;
  /**
   * Where it is, in words: 'sending' (the file going up), 'checking' (the provider validates it),
   * 'in_progress', 'finishing', 'canceling', 'collecting' (results coming in), 'done', 'expired',
   * 'canceled', 'failed' (refused whole), 'not sent' (never created: its rows went back to the queue).
   */
  phase:
    | 'sending'
    | 'checking'
    | 'in_progress'
    | 'finishing'
    | 'canceling'
    | 'collecting'
    | 'done'
    | 'expired'
    | 'canceled'
    | 'failed'
    | 'not sent';
  /** The provider's own word for it (validating, in_progress, ended, …), when it has said. */
  remoteStatus: string | null;
  requests: number;
  /** As the provider counts them while it works (Anthropic: only once it has ended). */
  succeeded: number;
  errored: number;
  submittedAt: string | null;
  endedAt: string | null;
  /** Why it failed or was not sent, in plain words. */
  error: string | null;
}

/** The phases of a batch that is over: nothing more will come from the provider for it. */
export const BATCH_ENDED: ReadonlySet<BatchView['phase']> = new Set([
  'done',
  'expired',
  'canceled',
  'failed',
  'not sent',
]);

/** One second of a job's requests, from its attempt log (what the chart shows). */
export interface TimelineSecond {
  /** The second, in seconds since the epoch. */
  at: number;
  /** Answers kept. */
  answered: number;
  /** Requests that failed, whether their row was sent again (a 500, a reset, a timeout) or not. */
  failed: number;
  /** 429 answers. */
  rateLimited: number;
  /** Requests in flight during that second. */
  inFlight: number;
}

export interface JobUsage {
  /** Every request billed: answers not kept (retried, failed) included; cached answers' own. */
  promptTokens: number;
  completionTokens: number;
  /**
   * In US dollars, from the model's price table; null when the price is unknown. Every cost is a
   * whole number of nanodollars (1e-9 $), added up exactly: round it to show it.
   */
  cost: number | null;
}

/** Whether a provider has a key; the key itself never crosses to the UI. */
export interface KeyStatus {
  provider: KeyId;
  set: boolean;
  lastFour: string | null;
  /** saved: encrypted in the OS keychain; session: typed in this run only; environment: an env variable. */
  source: 'saved' | 'session' | 'environment' | null;
  envVar: string;
  /**
   * Every address (origin, or `https://*.domain`) the key may be sent to: its service's own, those
   * saved with it, and those allowed by ROWBOT_ALLOW_KEY_TO or --allow-key-to.
   */
  origins: string[];
  /** The addresses saved with the key ("Also send this key to"); empty for a key from the environment. */
  savedOrigins: string[];
}

/** The answer to "Test connection", in plain words. */
export interface ConnectionTest {
  ok: boolean;
  message: string;
  /** Model names the provider offers, when it lists them. */
  models: string[];
}

/** What a run will cost and take, as a range, before anything is sent. */
export interface JobEstimate {
  rows: number;
  /** Rows whose placeholders are all empty, not sent. */
  skipped: number;
  promptTokens: number;
  /** Counted with an estimate (about four characters per token), not the model's tokenizer. */
  tokensEstimated: boolean;
  outputTokens: [number, number];
  /** Null when the model's price is unknown. */
  cost: [number, number] | null;
  /** The same at the batch price (about half), when the provider offers batches; null otherwise. */
  batchCost: [number, number] | null;
  seconds: [number, number];
  /** The price the cost was worked out with; null when none is known for the model. */
  price: PriceListEntry | null;
  /** When the shipped prices were checked against the providers' price pages. */
  pricesCheckedOn: string;
}

/** A model's price in US dollars per million tokens. `model` also covers its dated releases: `gpt-4o` covers `gpt-4o-2024-08-06`. */
export interface ModelPrice {
  model: string;
  input: number;
  /** Prompt tokens the provider served from its prompt cache; null: charged as input. */
  cachedInput: number | null;
  output: number;
}

/** `shipped`: Rowbot's list price; `edited`: the user changed a shipped one; `added`: the user's own. */
export interface PriceListEntry extends ModelPrice {
  source: 'shipped' | 'edited' | 'added';
}

export interface PriceList {
  /** The date the shipped prices were checked. */
  checkedOn: string;
  prices: PriceListEntry[];
}

export interface SheetPreview {
  sheetId: string;
  /** The imported file, kept so the import can run again with other settings. */
  sourceId: string;
  fileName: string;
  settings: ImportSettings;
  columns: string[];
  rowCount: number;
  /** The first rows, as cell strings, for the preview table. */
  sampleRows: string[][];
  /** Things the user should know that did not stop the import (renamed headers, padded rows). */
  notes: string[];
}

export interface JobCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  skipped: number;
  total: number;
}

export interface JobSummary {
  id: string;
  name: string;
  fileName: string;
  /** The prompt template's first words on one line (at most 120 characters, … when cut). */
  promptStart: string;
  status: JobStatus;
  createdAt: string;
  counts: JobCounts;
  /** Done rows whose answer was cut off at the output limit (`finish` is `length`); counted in done too. */
  cutOff: number;
  usage: JobUsage;
  provider: ProviderConfig;
  settings: RunSettings;
  /** Why the job is paused, in plain words with the next step; null when it is not. */
  pauseReason: string | null;
  /** Present while the job runs. */
  live: LiveStats | null;
  /** The job's batches at the provider, oldest first (empty for a job run live). */
  batches: BatchView[];
  /**
   * Its AI columns in order, each with its cells' counts and cost. `counts`, `cutOff` and `usage`
   * above are their sums: cells, not rows, once a job has more than one column.
   */
  columnStats: ColumnSummary[];
  /**
   * Increases with every summary the backend produces: events and answers travel on
   * different channels, so the UI keeps whichever it has with the highest `rev`.
   */
  rev: number;
}

export interface JobDetail extends JobSummary {
  /** How the file was read; an Excel import with a header can be written back into its workbook. */
  importSettings: ImportSettings;
  /** The sheet's columns. */
  columns: string[];
  /** The job's AI columns in order (their counts are in columnStats). */
  aiColumns: AiColumn[];
  /** The first AI column's (as `provider` is). */
  template: string;
  systemPrompt: string;
}

/** The parts of a cell (a row's answer in one AI column) that change while a job runs. */
export interface RowResult {
  index: number;
  /** The AI column's id (AiColumn.id). */
  col: number;
  status: RowStatus;
  output: string | null;
  error: string | null;
  attempts: number;
  latencyMs: number | null;
  /** Sums over every request of the row, answers not kept included; the cost in dollars. */
  promptTokens: number | null;
  completionTokens: number | null;
  cost: number | null;
  /** The answer came from the cache: an identical earlier request; nothing was sent or paid. */
  cached: boolean;
  /**
   * Why the model stopped writing the answer kept: `stop` (it finished), `length` (cut off at the
   * output limit), `content_filter`, or the provider's own word; null when unknown or no answer.
   */
  finish: string | null;
  /** Answered before its column's prompt, model or an input it uses changed. */
  stale: boolean;
  /** The answer was corrected by hand. */
  edited: boolean;
}

/** A sheet row with its cells, one per AI column in the job's column order. */
export interface RowView {
  index: number;
  values: string[];
  cells: RowResult[];
}

/** What happened to one request of a row. */
export interface AttemptView {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  /** done; retry (an error that may pass); rate_limited (429); failed; stopped (the job paused); aborted. */
  outcome: 'done' | 'retry' | 'rate_limited' | 'failed' | 'stopped' | 'aborted';
  httpStatus: number | null;
  latencyMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** What this request was billed, in dollars, when the provider reported usage (also for answers not kept). */
  cost: number | null;
  error: string | null;
}

/** Everything about one cell, for the row drawer. */
export interface RowDetail extends RowResult {
  values: string[];
  /** The AI column's name. */
  columnName: string;
  /** The exact prompt sent (empty while it waits for the cells it uses). */
  prompt: string;
  systemPrompt: string;
  attemptLog: AttemptView[];
}

export interface RowsSnapshot {
  jobId: string;
  /** Batches with a `seq` at or below this one are already included. */
  seq: number;
  rows: RowView[];
}

/** `notes`: what the user should know about the file written (cells cut to Excel's limit). */
export type ExportOutcome =
  | { kind: 'saved'; path: string; notes?: string[] }
  | { kind: 'download'; url: string; fileName: string; notes?: string[] }
  | { kind: 'cancelled' };

export type ImportOutcome = { kind: 'imported'; preview: SheetPreview } | { kind: 'cancelled' };

/** Every command of the contract. The preload's allow-list and the handlers come from this list. */
export const COMMAND_NAMES = [
  'listJobs',
  'getKeys',
  'setKey',
  'clearKey',
  'getPrices',
  'setPrice',
  'resetPrice',
  'estimateJob',
  'testConnection',
  'importUpload',
  'importDialog',
  'reimport',
  'createJob',
  'startJob',
  'sampleJob',
  'projectJob',
  'pauseJob',
  'cancelJob',
  'retryRows',
  'retryCutOff',
  'updateJobSettings',
  'editJob',
  'sendRestAsBatch',
  'renameJob',
  'duplicateJob',
  'deleteJob',
  'getJob',
  'getRows',
  'getRow',
  'getTimeline',
  'exportJob',
  'addColumn',
  'updateColumn',
  'moveColumn',
  'removeColumn',
  'duplicateColumn',
  'runCells',
  'editCell',
  'previewColumnPrompt',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CreateJobInput {
  sheetId: string;
  name?: string;
  template: string;
  systemPrompt?: string;
  provider: ProviderConfig;
  settings?: Partial<RunSettings>;
  /** Rows whose placeholders are all empty are not sent (default), or sent as they are. */
  skipEmptyRows?: boolean;
  /** The first AI column's name (default FIRST_COLUMN_NAME). */
  columnName?: string;
  /** More AI columns after the first, in order; their templates may use the columns before them. */
  moreColumns?: NewColumn[];
}

/** A job's prompt, service and model, or settings changed while it is not running (editJob). */
export interface JobEditInput {
  jobId: string;
  template?: string;
  systemPrompt?: string;
  provider?: ProviderConfig;
  settings?: Partial<RunSettings>;
  /** `rest`: rows without an answer take the change; `all`: every row runs again. */
  rerun: 'rest' | 'all';
}

/** What each command takes. The runtime schemas in schemas.ts are checked against these. */
export interface CommandInputs {
  listJobs: Record<string, never>;
  getKeys: Record<string, never>;
  /**
   * Saves a key with the addresses it may go to besides its service's own (required for `custom`);
   * they replace those saved before. Where a key may go changes only with the key typed again.
   */
  setKey: { provider: KeyStatus['provider']; key: string; origins?: string[] };
  clearKey: { provider: KeyStatus['provider'] };
  getPrices: Record<string, never>;
  /** Adds a model's price, or overrides the shipped one; applies at once, running jobs included. */
  setPrice: ModelPrice;
  /** Drops the user's price for the model: a shipped one comes back, an added one is gone. */
  resetPrice: { model: string };
  estimateJob: Omit<CreateJobInput, 'name'>;
  /** Lists the provider's models where its API offers that, otherwise sends a one-token request. */
  testConnection: { provider: ProviderConfig };
  importUpload: { fileName: string; dataBase64: string; options?: ImportOptions };
  importDialog: { options?: ImportOptions };
  /** The same file again with other settings (encoding, delimiter, header, sheet). */
  reimport: { sourceId: string; options: ImportOptions };
  createJob: CreateJobInput;
  /** Starts a ready job, or resumes a paused or canceled one. */
  startJob: { jobId: string };
  /** Runs the next few rows (10 by default), then pauses with a projection of the rest. */
  sampleJob: { jobId: string; rows?: number };
  /** Cost and time of the queued rows, projected from the rows already answered. */
  projectJob: { jobId: string };
  /** No new rows start; rows in flight finish. */
  pauseJob: { jobId: string };
  /** Rows in flight are aborted and go back to the queue. */
  cancelJob: { jobId: string };
  /** Failed rows go back to the queue (all of them, or the listed row indexes); done rows are never touched. */
  retryRows: { jobId: string; rows: number[] | 'failed' };
  /**
   * Raises the job's output limit (`maxOutputTokens`, above the one in use) and sends the rows cut
   * off at it back to the queue; what their cut-off answers were billed stays in the cost.
   */
  retryCutOff: { jobId: string; maxOutputTokens: number };
  updateJobSettings: { jobId: string; settings: Partial<RunSettings> };
  /** Changes a job that is not running; answered rows keep their answers unless `rerun` is `all`. */
  editJob: JobEditInput;
  /** The queued rows of a job run live (or tried on a few rows) go to the provider's Batch API instead. */
  sendRestAsBatch: { jobId: string };
  renameJob: { jobId: string; name: string };
  /** A new job from the same file, template and settings, not started. */
  duplicateJob: { jobId: string };
  /** A running job is canceled first. */
  deleteJob: { jobId: string };
  getJob: { jobId: string };
  getRows: { jobId: string };
  /** One cell: the row's answer in AI column `col` (default: the first column). */
  getRow: { jobId: string; index: number; col?: number };
  /** The last ten minutes of the job's requests, second by second, from its attempt log. */
  getTimeline: { jobId: string };
  exportJob: { jobId: string } & ExportOptions;
  /** A new AI column (after the column `after`, default last); its cells wait for Start. Not while running. */
  addColumn: { jobId: string; column: NewColumn; after?: number };
  /**
   * Renames a column (templates that use it follow), or changes its prompt, model or options: its
   * answered cells, and those of the columns that use it, become stale. Not while running.
   */
  updateColumn: {
    jobId: string;
    col: number;
    name?: string;
    template?: string;
    systemPrompt?: string;
    provider?: ProviderConfig;
    options?: ColumnOptions;
    useCorrections?: boolean;
  };
  /** Moves a column to `position` (0-based), as long as every column stays right of those it uses. */
  moveColumn: { jobId: string; col: number; position: number };
  /** Removes a column no other column uses, with its cells and their attempts (their cost leaves the job's usage). */
  removeColumn: { jobId: string; col: number };
  /** A copy of the column right after it, with another model to compare (answers side by side). */
  duplicateColumn: { jobId: string; col: number; name?: string; provider?: ProviderConfig };
  /**
   * Cells back to the queue and the job running: `stale` ones, `failed` ones, or `all` (answers
   * cleared; cells corrected by hand kept) — of one column or all, of the listed rows or all.
   */
  runCells: { jobId: string; which: 'stale' | 'failed' | 'all'; col?: number; rows?: number[] };
  /** Corrects a cell's answer by hand: kept through re-runs, shown as edited; cells using it become stale. */
  editCell: { jobId: string; index: number; col: number; output: string };
  /** The exact prompt a column would send for a row now, corrections block included. */
  previewColumnPrompt: { jobId: string; col: number; index?: number };
}

export type CommandInput<K extends CommandName> = CommandInputs[K];

export interface CommandOutputs {
  listJobs: JobSummary[];
  getKeys: KeyStatus[];
  setKey: KeyStatus[];
  clearKey: KeyStatus[];
  getPrices: PriceList;
  setPrice: PriceList;
  resetPrice: PriceList;
  estimateJob: JobEstimate;
  testConnection: ConnectionTest;
  importUpload: ImportOutcome;
  importDialog: ImportOutcome;
  reimport: SheetPreview;
  createJob: JobDetail;
  startJob: JobSummary;
  sampleJob: JobSummary;
  projectJob: JobEstimate;
  pauseJob: JobSummary;
  cancelJob: JobSummary;
  retryRows: { requeued: number; job: JobSummary };
  retryCutOff: { requeued: number; job: JobSummary };
  updateJobSettings: JobSummary;
  editJob: JobDetail;
  sendRestAsBatch: JobSummary;
  renameJob: JobSummary;
  duplicateJob: JobDetail;
  deleteJob: { deleted: true };
  getJob: JobDetail;
  getRows: RowsSnapshot;
  getRow: RowDetail;
  getTimeline: TimelineSecond[];
  exportJob: ExportOutcome;
  addColumn: JobDetail;
  updateColumn: JobDetail;
  moveColumn: JobDetail;
  removeColumn: JobDetail;
  duplicateColumn: JobDetail;
  runCells: { requeued: number; job: JobSummary };
  editCell: { cell: RowResult; job: JobSummary };
  previewColumnPrompt: { prompt: string; systemPrompt: string; examples: number };
}

/** What the desktop app's menu asks the window to do. */
export type MenuAction = 'newJob' | 'import' | 'export' | 'settings' | 'theme:system' | 'theme:light' | 'theme:dark';

export interface EventPayloads {
  /** The native menu (desktop app only). */
  menu: { action: MenuAction };
  /** A job was deleted. */
  jobDeleted: { jobId: string };
  /** Cell changes, merged by cell and flushed at most ~10 times a second. */
  rows: { jobId: string; seq: number; upserts: RowResult[] };
  /** A job's status or counts changed. */
  job: JobSummary;
}
export type EventName = keyof EventPayloads;
export const EVENT_NAMES: EventName[] = ['rows', 'job', 'jobDeleted', 'menu'];

export type Commands = {
  [K in CommandName]: (input: CommandInput<K>) => Promise<CommandOutputs[K]>;
};

export interface Api extends Commands {
  /** Where the UI runs: the desktop shell (native dialogs) or a browser over `rowbot serve`. */
  readonly platform: 'electron' | 'web';
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/** The shape every transport uses for one event message. */
export type EventMessage = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];

/** Thrown in the UI when a command fails; carries the stable code. */
export class ApiError extends Error {
  readonly code: string;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'ApiError';
    this.code = payload.code;
  }
}

export const IPC_PREFIX = 'rowbot:';
export const IPC_EVENT_CHANNEL = 'rowbot:event';
