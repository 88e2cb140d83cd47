/**
 * A job's AI columns: adding, changing, moving, removing and copying them, running their cells
 * again, correcting a cell by hand, and the prompts of cells that are made when they run. The
 * engine's facade hands these a host with what they need of it.
 */
import {
  FIRST_COLUMN_NAME,
  MAX_AI_COLUMNS,
  MAX_EXAMPLES,
  type AiColumn,
  type CommandInput,
  type CommandOutputs,
  type JobDetail,
  type JobSummary,
  type NewColumn,
  type ProviderConfig,
  type RowResult,
  type RunSettings,
} from '../../shared/api.ts';
import {
  columnNameProblem,
  columnTemplateProblem,
  columnUses,
  examplesBlock,
  freshColumnName,
  renamePlaceholder,
  jsonFieldText,
  namedColumns,
  templateSlots,
  type NamedColumn,
} from '../../shared/columns.ts';
import { RowbotError } from '../../shared/errors.ts';
import { checkTemplate, compileTemplate } from '../../shared/template.ts';
import type { ColumnConfig, ColumnPrompts, JobRecord, NewCells, Repository } from './store/repository.ts';

export interface ColumnHost {
  repo: Repository;
  record(jobId: string): JobRecord;
  /** Throws when the job runs, here or in another process: columns change only while it waits. */
  refuseWhileRunning(job: JobRecord, doing: string): void;
  /** Throws when the provider cannot be used with these settings (no key, a sampling option the model refuses). */
  checkProvider(provider: ProviderConfig, settings: RunSettings): void;
  /** Provider configs from the UI carry masked header values: the stored ones are put back. */
  keepSecrets(incoming: ProviderConfig, stored: ProviderConfig): ProviderConfig;
  flush(): void;
  getJob(jobId: string): JobDetail;
  emitJob(jobId: string): JobSummary;
  emitCells(jobId: string, cells: RowResult[]): void;
  /** Cells went back to the queue: the job runs them (started, or a running one looks again). */
  runRequeued(jobId: string, requeued: number): JobSummary;
}

/** The sheet's prompts for a column that uses only the sheet: one per row, rendered as they are read. */
export function sheetPrompts(
  repo: Repository,
  sheetId: string,
  sheetColumns: readonly string[],
  template: string,
  skipEmptyRows = true,
): ColumnPrompts {
  const check = checkTemplate(template, sheetColumns);
  const bound = [...check.bindings.values()];
  const skipEmpty = skipEmptyRows && bound.length > 0;
  const render = compileTemplate(template, sheetColumns);
  return {
    *[Symbol.iterator]() {
      for (const values of repo.iterateSheetRows(sheetId)) {
        yield {
          prompt: render(values),
          skipped: skipEmpty && bound.every((i) => (values[i] ?? '').trim() === ''),
        };
      }
    },
  };
}

/**
 * Makes a cell's prompt from its row: the sheet's values and the answers of the AI columns before
 * it, with the user's corrections as examples first when the column uses them. For a column whose
 * cells cannot be rendered when the job is created (it uses other cells), or that uses corrections.
 */
export function promptMaker(
  repo: Repository,
  job: Pick<JobRecord, 'id' | 'sheetId' | 'columns' | 'aiColumns' | 'settings'>,
  column: AiColumn,
): ((index: number) => { prompt: string; skipped: boolean }) | undefined {
  if (column.uses.length === 0 && !column.useCorrections) return undefined;
  const render = rowRenderer(repo, job, column);
  const examples = column.useCorrections ? examplesBlock(corrections(repo, job, column, render)) : '';
  return (index) => {
    const { prompt, skipped } = render(index);
    return { prompt: examples + prompt, skipped };
  };
}

/** The column's prompt for a row, without examples; `skipped` when every value it fills in is empty. */
function rowRenderer(
  repo: Repository,
  job: Pick<JobRecord, 'id' | 'sheetId' | 'columns' | 'aiColumns' | 'settings'>,
  column: AiColumn,
): (index: number) => { prompt: string; skipped: boolean } {
  const earlier = namedColumns(job).slice(
    0,
    job.aiColumns.findIndex((c) => c.id === column.id),
  );
  const slots = templateSlots(job.columns, earlier);
  const names = slots.map((slot) => slot.name);
  const render = compileTemplate(column.template, names);
  const bound = [...checkTemplate(column.template, names).bindings.values()];
  const ai = slots.slice(job.columns.length);
  return (index) => {
    const outputs = earlier.length > 0 ? repo.rowOutputs(job.id, index) : new Map<number, string | null>();
    const values = [
      ...padded(repo.sheetRow(job.sheetId, index), job.columns.length),
      ...ai.map(({ col, field }) => {
        const output = outputs.get(col ?? -1) ?? '';
        return field === null ? output : jsonFieldText(output, field);
      }),
    ];
    return {
      prompt: render(values),
      skipped: bound.length > 0 && bound.every((i) => (values[i] ?? '').trim() === ''),
    };
  };
}

function padded(values: string[], length: number): string[] {
  return values.length >= length ? values : [...values, ...Array<string>(length - values.length).fill('')];
}

function corrections(
  repo: Repository,
  job: Pick<JobRecord, 'id'>,
  column: AiColumn,
  render: (index: number) => { prompt: string },
): { prompt: string; output: string }[] {
  return repo
    .corrections(job.id, column.id, MAX_EXAMPLES)
    .map((cell) => ({ prompt: render(cell.index).prompt, output: cell.output }));
}

/** The columns that use `col`, directly or through others, in order. */
export function dependentsOf(columns: readonly AiColumn[], col: number): number[] {
  const found = new Set<number>([col]);
  for (const column of columns) if (column.uses.some((used) => found.has(used))) found.add(column.id);
  found.delete(col);
  return columns.filter((column) => found.has(column.id)).map((column) => column.id);
}

function columnOf(job: JobRecord, col: number): AiColumn {
  const column = job.aiColumns.find((c) => c.id === col);
  if (!column) throw new RowbotError('NOT_FOUND', 'That AI column is no longer in this job. Reload the job.');
  return column;
}

function configOf(column: AiColumn): ColumnConfig {
  const { id: _id, uses: _uses, ...config } = column;
  return config;
}

/** Checks a column's name and template where it would stand (`index` in the job's columns, the others as they are). */
function checkColumn(
  job: JobRecord,
  columns: readonly NamedColumn[],
  index: number,
  name: string,
  template: string,
): void {
  const others = columns.filter((_, i) => i !== index).map((c) => c.name);
  const nameProblem = columnNameProblem(name, job.columns, others);
  if (nameProblem) throw new RowbotError('BAD_REQUEST', nameProblem);
  const problem = columnTemplateProblem(template, name, job.columns, columns.slice(0, index), columns.slice(index + 1));
  if (problem) throw new RowbotError('TEMPLATE_INVALID', problem);
}

/** The cells of a new column: prompts from the sheet, or cells that make their prompt when they run. */
function newCells(
  host: ColumnHost,
  job: JobRecord,
  template: string,
  earlier: readonly NamedColumn[],
  useCorrections: boolean,
): NewCells {
  const uses = columnUses(template, job.columns, earlier);
  if (uses.length > 0 || useCorrections) return { waiting: true };
  return { prompts: sheetPrompts(host.repo, job.sheetId, job.columns, template) };
}

/** A job that had finished waits again, saying why, once a column gives it cells to run. */
function waitAgain(host: ColumnHost, job: JobRecord, why: string): void {
  if (job.status === 'completed' || job.status === 'canceled') host.repo.setJobStatus(job.id, 'paused', why);
}

export function addColumn(host: ColumnHost, input: CommandInput<'addColumn'>): JobDetail {
  const job = host.record(input.jobId);
  host.refuseWhileRunning(job, 'add a column');
  if (job.aiColumns.length >= MAX_AI_COLUMNS)
    throw new RowbotError('BAD_REQUEST', `A job can have at most ${MAX_AI_COLUMNS} AI columns. Remove one first.`);
  const position =
    input.after === undefined ? job.aiColumns.length : job.aiColumns.findIndex((c) => c.id === input.after) + 1;
  if (position === 0) columnOf(job, input.after ?? -1);
  const column = completeColumn(host, job, input.column);
  const named = namedColumns(job);
  const placed = [...named.slice(0, position), { id: -1, name: column.name }, ...named.slice(position)];
  checkColumn(job, placed, position, column.name, column.template);
  host.flush();
  const earlier = named.slice(0, position);
  host.repo.transaction(() => {
    host.repo.insertColumn(
      job.id,
      column,
      position,
      newCells(host, job, column.template, earlier, column.useCorrections),
    );
    waitAgain(host, job, `New column “${column.name}”: press Resume to answer its cells.`);
  });
  host.emitJob(job.id);
  return host.getJob(job.id);
}

/** A new column's stored form: the first column's service and model unless it names its own. */
function completeColumn(
  host: ColumnHost,
  job: JobRecord,
  input: NewColumn,
  comparesWith: number | null = null,
): ColumnConfig {
  const provider = input.provider ? host.keepSecrets(input.provider, job.provider) : job.provider;
  const options = input.options ?? {};
  host.checkProvider(provider, { ...job.settings, ...options });
  return {
    name: input.name.trim(),
    template: input.template,
    systemPrompt: input.systemPrompt ?? '',
    provider,
    options,
    useCorrections: input.useCorrections ?? false,
    comparesWith,
  };
}

export function updateColumn(host: ColumnHost, input: CommandInput<'updateColumn'>): JobDetail {
  const job = host.record(input.jobId);
  host.refuseWhileRunning(job, 'change a column');
  const column = columnOf(job, input.col);
  const index = job.aiColumns.indexOf(column);
  const name = input.name?.trim() ?? column.name;
  const config: ColumnConfig = {
    ...configOf(column),
    name,
    template: input.template ?? column.template,
    systemPrompt: input.systemPrompt ?? column.systemPrompt,
    provider: input.provider ? host.keepSecrets(input.provider, column.provider) : column.provider,
    options: input.options ?? column.options,
    useCorrections: input.useCorrections ?? column.useCorrections,
  };
  const renamed = namedColumns(job).map((c, i) => (i === index ? { ...c, name } : c));
  checkColumn(job, renamed, index, name, config.template);
  host.checkProvider(config.provider, { ...job.settings, ...config.options });
  const changed =
    config.template !== column.template ||
    config.systemPrompt !== column.systemPrompt ||
    JSON.stringify(config.provider) !== JSON.stringify(column.provider) ||
    JSON.stringify(config.options) !== JSON.stringify(column.options);
  host.flush();
  host.repo.transaction(() => {
    if (name !== column.name) {
      // The columns using it follow the new name.
      for (const other of job.aiColumns.slice(index + 1)) {
        const template = renamePlaceholder(other.template, column.name, name);
        if (template !== other.template)
          host.repo.updateColumnConfig(job.id, other.id, { ...configOf(other), template });
      }
    }
    if (!changed) {
      host.repo.updateColumnConfig(job.id, column.id, config);
      return;
    }
    const earlier = renamed.slice(0, index);
    const waiting = columnUses(config.template, job.columns, earlier).length > 0;
    host.repo.editColumn({
      jobId: job.id,
      col: column.id,
      config,
      prompts: waiting ? null : sheetPrompts(host.repo, job.sheetId, job.columns, config.template),
      rerun: 'stale',
      staleColumns: dependentsOf(job.aiColumns, column.id),
    });
    const stale = host.repo.countsAndUsage(job.id, job.aiColumns).columnStats.reduce((sum, c) => sum + c.stale, 0);
    waitAgain(
      host,
      job,
      stale > 0
        ? `Changed “${name}”: ${stale.toLocaleString('en-US')} answered ${stale === 1 ? 'cell is' : 'cells are'} stale. Press “Run stale cells” to answer them again.`
        : `Changed “${name}”: press Resume to run its cells.`,
    );
  });
  host.emitJob(job.id);
  return host.getJob(job.id);
}

export function moveColumn(host: ColumnHost, input: CommandInput<'moveColumn'>): JobDetail {
  const job = host.record(input.jobId);
  host.refuseWhileRunning(job, 'move a column');
  const column = columnOf(job, input.col);
  const order = job.aiColumns.filter((c) => c !== column);
  order.splice(Math.min(input.position, order.length), 0, column);
  const named = new Map(namedColumns(job).map((c) => [c.id, c]));
  const names = order.map((c) => named.get(c.id) ?? c);
  order.forEach((c, i) => {
    const problem = columnTemplateProblem(c.template, c.name, job.columns, names.slice(0, i), names.slice(i + 1));
    if (problem) {
      const used = job.aiColumns.find((u) => c.uses.includes(u.id) && order.indexOf(u) > i);
      throw new RowbotError(
        'BAD_REQUEST',
        used
          ? `“${c.name}” uses “${used.name}”, so it must stay to the right of it. Change its prompt first to move it there.`
          : problem,
      );
    }
  });
  host.repo.setColumnOrder(
    job.id,
    order.map((c) => c.id),
  );
  host.emitJob(job.id);
  return host.getJob(job.id);
}

export function removeColumn(host: ColumnHost, input: CommandInput<'removeColumn'>): JobDetail {
  const job = host.record(input.jobId);
  host.refuseWhileRunning(job, 'remove a column');
  const column = columnOf(job, input.col);
  if (job.aiColumns.length === 1)
    throw new RowbotError(
      'BAD_REQUEST',
      'This is the job’s only AI column. Delete the job instead, or add another column first.',
    );
  const user = job.aiColumns.find((c) => c.uses.includes(column.id));
  if (user)
    throw new RowbotError(
      'BAD_REQUEST',
      `“${user.name}” uses “${column.name}” in its prompt. Change or remove “${user.name}” first.`,
    );
  host.flush();
  host.repo.deleteColumn(job.id, column.id);
  host.emitJob(job.id);
  return host.getJob(job.id);
}

export function duplicateColumn(host: ColumnHost, input: CommandInput<'duplicateColumn'>): JobDetail {
  const job = host.record(input.jobId);
  host.refuseWhileRunning(job, 'copy a column');
  if (job.aiColumns.length >= MAX_AI_COLUMNS)
    throw new RowbotError('BAD_REQUEST', `A job can have at most ${MAX_AI_COLUMNS} AI columns. Remove one first.`);
  const column = columnOf(job, input.col);
  const index = job.aiColumns.indexOf(column);
  const taken = [...job.columns, ...job.aiColumns.map((c) => c.name)];
  const name =
    input.name?.trim() ||
    freshColumnName(input.provider ? `${column.name} ${input.provider.model}` : column.name, taken);
  const config = completeColumn(
    host,
    job,
    {
      name,
      template: column.template,
      systemPrompt: column.systemPrompt,
      provider: input.provider ?? column.provider,
      options: column.options,
      useCorrections: column.useCorrections,
    },
    column.id,
  );
  const named = namedColumns(job);
  const placed = [...named.slice(0, index + 1), { id: -1, name }, ...named.slice(index + 1)];
  checkColumn(job, placed, index + 1, name, config.template);
  host.flush();
  host.repo.transaction(() => {
    host.repo.insertColumn(
      job.id,
      config,
      index + 1,
      newCells(host, job, config.template, named.slice(0, index + 1), config.useCorrections),
    );
    waitAgain(host, job, `New column “${name}”: press Resume to answer its cells.`);
  });
  host.emitJob(job.id);
  return host.getJob(job.id);
}

export function runCells(host: ColumnHost, input: CommandInput<'runCells'>): CommandOutputs['runCells'] {
  const job = host.record(input.jobId);
  const targets = input.col === undefined ? job.aiColumns : [columnOf(job, input.col)];
  host.flush();
  const requeued = host.repo.transaction(() =>
    targets.reduce(
      (sum, column) =>
        sum +
        host.repo.rerunCells(
          job.id,
          column.id,
          input.which,
          input.rows ?? null,
          column.uses.length > 0,
          dependentsOf(job.aiColumns, column.id),
        ),
      0,
    ),
  );
  return { requeued, job: host.runRequeued(job.id, requeued) };
}

export function editCell(host: ColumnHost, input: CommandInput<'editCell'>): CommandOutputs['editCell'] {
  const job = host.record(input.jobId);
  const column = columnOf(job, input.col);
  host.flush();
  if (!host.repo.editCell(job.id, input.index, column.id, input.output, dependentsOf(job.aiColumns, column.id)))
    throw new RowbotError(
      'JOB_STATE',
      `Row ${input.index + 1} of “${column.name}” is being answered right now, or does not exist. Try again when it is done.`,
    );
  const changed = host.repo.cellsOfRow(job.id, input.index);
  host.emitCells(job.id, changed);
  const cell = changed.find((c) => c.col === column.id);
  if (!cell) throw new RowbotError('NOT_FOUND', `Row ${input.index + 1} does not exist in this job.`);
  return { cell, job: host.emitJob(job.id) };
}

export function previewColumnPrompt(
  host: ColumnHost,
  input: CommandInput<'previewColumnPrompt'>,
): CommandOutputs['previewColumnPrompt'] {
  const job = host.record(input.jobId);
  const column = columnOf(job, input.col);
  host.flush();
  const render = rowRenderer(host.repo, job, column);
  const examples = column.useCorrections ? corrections(host.repo, job, column, render) : [];
  return {
    prompt: examplesBlock(examples) + render(input.index ?? 0).prompt,
    systemPrompt: column.systemPrompt,
    examples: examples.length,
  };
}

/** The first column of a new job, and the columns after it (createJob's `moreColumns`). */
export function firstColumn(input: {
  template: string;
  systemPrompt?: string;
  provider: ProviderConfig;
  columnName?: string;
}): ColumnConfig {
  return {
    name: input.columnName?.trim() || FIRST_COLUMN_NAME,
    template: input.template,
    systemPrompt: input.systemPrompt ?? '',
    provider: input.provider,
    options: {},
    useCorrections: false,
    comparesWith: null,
  };
}
