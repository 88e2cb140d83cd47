/**
 * The one API contract between the UI and the backend. Every command and event is
 * declared here once; Electron IPC and the `rowbot serve` HTTP transport both carry it.
 */
import type { ErrorPayload } from './errors.ts';

export const ROW_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export const JOB_STATUSES = ['ready', 'running', 'paused', 'completed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const MAX_CONCURRENCY = 64;
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
}

export type ProviderConfig = DemoProviderConfig | OpenAiProviderConfig;

export interface SheetPreview {
  sheetId: string;
  fileName: string;
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
  total: number;
}

export interface JobSummary {
  id: string;
  name: string;
  fileName: string;
  status: JobStatus;
  createdAt: string;
  counts: JobCounts;
  provider: ProviderConfig;
  concurrency: number;
}

export interface JobDetail extends JobSummary {
  columns: string[];
  template: string;
  systemPrompt: string;
}

/** The parts of a row that change while a job runs. */
export interface RowResult {
  index: number;
  status: RowStatus;
  output: string | null;
  error: string | null;
  attempts: number;
  latencyMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface RowView extends RowResult {
  values: string[];
}

export interface RowsSnapshot {
  jobId: string;
  /** Batches with a `seq` at or below this one are already included. */
  seq: number;
  rows: RowView[];
}

export type ExportOutcome =
  { kind: 'saved'; path: string } | { kind: 'download'; url: string; fileName: string } | { kind: 'cancelled' };

export type ImportOutcome = { kind: 'imported'; preview: SheetPreview } | { kind: 'cancelled' };

/** Every command of the contract. The preload's allow-list and the handlers come from this list. */
export const COMMAND_NAMES = [
  'listJobs',
  'importUpload',
  'importDialog',
  'createJob',
  'startJob',
  'getJob',
  'getRows',
  'exportJob',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CreateJobInput {
  sheetId: string;
  name?: string;
  template: string;
  systemPrompt?: string;
  provider: ProviderConfig;
  concurrency: number;
}

/** What each command takes. The runtime schemas in schemas.ts are checked against these. */
export interface CommandInputs {
  listJobs: Record<string, never>;
  importUpload: { fileName: string; dataBase64: string };
  importDialog: Record<string, never>;
  createJob: CreateJobInput;
  startJob: { jobId: string };
  getJob: { jobId: string };
  getRows: { jobId: string };
  exportJob: { jobId: string; format: 'csv' };
}

export type CommandInput<K extends CommandName> = CommandInputs[K];

export interface CommandOutputs {
  listJobs: JobSummary[];
  importUpload: ImportOutcome;
  importDialog: ImportOutcome;
  createJob: JobDetail;
  startJob: JobSummary;
  getJob: JobDetail;
  getRows: RowsSnapshot;
  exportJob: ExportOutcome;
}

export interface EventPayloads {
  /** Row changes, merged by row and flushed at most ~10 times a second. */
  rows: { jobId: string; seq: number; upserts: RowResult[] };
  /** A job's status or counts changed. */
  job: JobSummary;
}
export type EventName = keyof EventPayloads;
export const EVENT_NAMES: EventName[] = ['rows', 'job'];

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
