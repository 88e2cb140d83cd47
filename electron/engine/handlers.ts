import {
  COMMAND_NAMES,
  type CommandName,
  type CommandOutputs,
  type ExportOutcome,
  type ImportOutcome,
} from '../../shared/api.ts';
import { commandInputs, type ParsedCommandInput } from '../../shared/schemas.ts';
import type { ImportOptions } from '../../shared/sheets.ts';
import { RowbotError, toErrorPayload, type Result } from '../../shared/errors.ts';
import type { Engine } from './engine.ts';

/** What differs between shells: how files are picked and where exports go. */
export interface ShellHooks {
  importDialog(options: ImportOptions): Promise<ImportOutcome>;
  exportJob(input: ParsedCommandInput<'exportJob'>): Promise<ExportOutcome>;
  /** Called with every unexpected error, for the shell's log. Never given user data. */
  logError?(command: CommandName, error: unknown): void;
}

type Handlers = {
  [K in CommandName]: (input: ParsedCommandInput<K>) => Promise<CommandOutputs[K]> | CommandOutputs[K];
};

export function createHandlers(engine: Engine, hooks: ShellHooks): Handlers {
  return {
    listJobs: () => engine.listJobs(),
    getKeys: () => engine.getKeys(),
    setKey: ({ provider, key, origins }) => engine.setKey(provider, key, origins),
    clearKey: ({ provider }) => engine.clearKey(provider),
    getPrices: () => engine.getPrices(),
    setPrice: (price) => engine.setPrice(price),
    resetPrice: ({ model }) => engine.resetPrice(model),
    estimateJob: (input) => engine.estimateJob(input),
    testConnection: ({ provider }) => engine.testConnection(provider),
    importUpload: async ({ fileName, dataBase64, options }) => ({
      kind: 'imported',
      preview: await engine.importBytes(fileName, Buffer.from(dataBase64, 'base64'), options),
    }),
    importDialog: ({ options }) => hooks.importDialog(options ?? {}),
    reimport: ({ sourceId, options }) => engine.reimport(sourceId, options),
    createJob: (input) => engine.createJob(input),
    startJob: ({ jobId }) => engine.startJob(jobId),
    sampleJob: ({ jobId, rows }) => engine.sampleJob(jobId, rows),
    projectJob: ({ jobId }) => engine.projectJob(jobId),
    pauseJob: ({ jobId }) => engine.pauseJob(jobId),
    cancelJob: ({ jobId }) => engine.cancelJob(jobId),
    retryRows: ({ jobId, rows }) => engine.retryRows(jobId, rows),
    retryCutOff: ({ jobId, maxOutputTokens }) => engine.retryCutOff(jobId, maxOutputTokens),
    updateJobSettings: ({ jobId, settings }) => engine.updateJobSettings(jobId, settings),
    editJob: (input) => engine.editJob(input),
    sendRestAsBatch: ({ jobId }) => engine.sendRestAsBatch(jobId),
    renameJob: ({ jobId, name }) => engine.renameJob(jobId, name),
    duplicateJob: ({ jobId }) => engine.duplicateJob(jobId),
    deleteJob: ({ jobId }) => engine.deleteJob(jobId),
    getRow: ({ jobId, index, col }) => engine.getRow(jobId, index, col),
    getTimeline: ({ jobId }) => engine.getTimeline(jobId),
    getJob: ({ jobId }) => engine.getJob(jobId),
    getRows: ({ jobId }) => engine.getRows(jobId),
    exportJob: (input) => hooks.exportJob(input),
    addColumn: (input) => engine.addColumn(input),
    updateColumn: (input) => engine.updateColumn(input),
    moveColumn: (input) => engine.moveColumn(input),
    removeColumn: (input) => engine.removeColumn(input),
    duplicateColumn: (input) => engine.duplicateColumn(input),
    runCells: (input) => engine.runCells(input),
    editCell: (input) => engine.editCell(input),
    previewColumnPrompt: (input) => engine.previewColumnPrompt(input),
  };
}

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

/**
 * Validates a call from outside (IPC or HTTP) and runs it. Never throws: every failure
 * becomes a coded error with a message that quotes what was wrong.
 */
export async function dispatch(
  handlers: Handlers,
  name: unknown,
  rawInput: unknown,
  hooks?: ShellHooks,
): Promise<Result<unknown>> {
  if (!isCommandName(name)) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN_COMMAND',
        message: `There is no command called ${JSON.stringify(String(name)).slice(0, 80)}.`,
      },
    };
  }
  const parsed = commandInputs[name].safeParse(rawInput === undefined ? {} : rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'input';
    return {
      ok: false,
      error: { code: 'BAD_REQUEST', message: `Bad ${name} request: ${where} ${issue?.message ?? 'is invalid'}.` },
    };
  }
  try {
    const handler = handlers[name] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    if (!(error instanceof RowbotError)) hooks?.logError?.(name, error);
    return { ok: false, error: toErrorPayload(error) };
  }
}
