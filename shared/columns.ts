/**
 * AI columns: which columns a template uses, what a column may be called, and the few-shot block
 * of corrections. Pure functions, so the UI's checks and the engine's agree exactly.
 */
import type { AiColumn, ColumnOptions, JsonOutput, RowResult, RowStatus } from './api.ts';
import { jsonFieldsOf } from './json-output.ts';
import { checkTemplate, describeTemplateProblem, parseTemplate } from './template.ts';

export interface NamedColumn {
  id: number;
  name: string;
  /** The fields of its JSON answers, each usable on its own as {{name.field}}. */
  fields?: readonly string[];
}

/**
 * A column's JSON answer: its own option when it sets one (null: plain text, whatever the job
 * asks), else the job's. As the runner sends it: the column's options over the job's settings.
 */
export function columnJsonOutput(options: ColumnOptions, jobJsonOutput: JsonOutput | null): JsonOutput | null {
  return options.jsonOutput === undefined ? jobJsonOutput : options.jsonOutput;
}

/** A job's AI columns as templates name them, with the fields of their JSON answers (columnJsonOutput). */
export function namedColumns(job: {
  aiColumns: readonly Pick<AiColumn, 'id' | 'name' | 'options'>[];
  settings: { jsonOutput: JsonOutput | null };
}): NamedColumn[] {
  return job.aiColumns.map((column) => ({
    id: column.id,
    name: column.name,
    fields: (columnJsonOutput(column.options, job.settings.jsonOutput)?.fields ?? []).map((field) => field.name),
  }));
}

/** One field of a JSON answer as a prompt shows it: text as it is, anything else as JSON, nothing when absent. */
export function jsonFieldText(output: string | null, field: string): string {
  const value = jsonFieldsOf(output)[field];
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a template placeholder can stand for: a sheet column, an AI column's answer, or one field of it. */
export interface TemplateSlot {
  name: string;
  /** The AI column's id; null for a sheet column. */
  col: number | null;
  field: string | null;
}

/**
 * The names a column's template can use, in order: the sheet's columns, then the AI columns to its
 * left, each followed by its JSON fields (`{{label.language}}`). A sheet column wins over an AI
 * column of the same name (names are kept apart by columnNameProblem).
 */
export function templateSlots(sheetColumns: readonly string[], earlier: readonly NamedColumn[]): TemplateSlot[] {
  return [
    ...sheetColumns.map((name) => ({ name, col: null, field: null })),
    ...earlier.flatMap((column) => [
      { name: column.name, col: column.id, field: null },
      ...(column.fields ?? []).map((field) => ({ name: `${column.name}.${field}`, col: column.id, field })),
    ]),
  ];
}

export function templateNames(sheetColumns: readonly string[], earlier: readonly NamedColumn[]): string[] {
  return templateSlots(sheetColumns, earlier).map((slot) => slot.name);
}

/** The AI columns (ids, in order) whose answers (or their fields) the template uses. */
export function columnUses(
  template: string,
  sheetColumns: readonly string[],
  aiColumns: readonly NamedColumn[],
): number[] {
  const slots = templateSlots(sheetColumns, aiColumns);
  const { bindings } = checkTemplate(
    template,
    slots.map((slot) => slot.name),
  );
  const used = new Set<number>();
  for (const index of bindings.values()) {
    const col = slots[index]?.col;
    if (col !== null && col !== undefined) used.add(col);
  }
  return aiColumns.filter((column) => used.has(column.id)).map((column) => column.id);
}

/**
 * What is wrong with a column's template, in plain words, or null. It may use the sheet's columns
 * and the AI columns before it; one that names a later column is told to move.
 */
export function columnTemplateProblem(
  template: string,
  name: string,
  sheetColumns: readonly string[],
  earlier: readonly NamedColumn[],
  later: readonly NamedColumn[],
): string | null {
  const names = templateNames(sheetColumns, earlier);
  const check = checkTemplate(template, names);
  const fold = (text: string): string => text.toLocaleLowerCase();
  const own = check.unknown.find((problem) => fold(problem.name) === fold(name));
  if (own)
    return `The prompt of “${name}” uses {{${own.name}}}, its own answer: a column can only use the columns before it.`;
  const laterOf = (placeholder: string): NamedColumn | undefined =>
    later.find(
      (column) => fold(column.name) === fold(placeholder) || fold(placeholder).startsWith(`${fold(column.name)}.`),
    );
  const ahead = check.unknown.find((problem) => laterOf(problem.name));
  const column = ahead && laterOf(ahead.name);
  if (ahead && column)
    return `{{${ahead.name}}} is a later AI column: “${name}” can only use the columns before it. Move “${name}” after “${column.name}”, or use an earlier column.`;
  return describeTemplateProblem(check, names);
}

/** Why an AI column cannot be called `name`, or null: names are placeholders, so they must be unique. */
export function columnNameProblem(
  name: string,
  sheetColumns: readonly string[],
  otherAiColumns: readonly string[],
): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the column a name: its answers are shown and exported under it.';
  if (/[{}\r\n\t]/.test(trimmed)) return `A column name cannot contain { or } or line breaks: “${trimmed}”.`;
  if (trimmed.length > 64) return 'A column name has at most 64 characters.';
  const fold = trimmed.toLocaleLowerCase();
  if (sheetColumns.some((column) => column.toLocaleLowerCase() === fold))
    return `“${trimmed}” is already a column of the file: choose another name, so that {{${trimmed}}} means one thing.`;
  if (otherAiColumns.some((column) => column.toLocaleLowerCase() === fold))
    return `There is already an AI column called “${trimmed}”: choose another name.`;
  return null;
}

/** `name` when no column has it yet, else "label 2", "label 3", … */
export function freshColumnName(name: string, taken: readonly string[]): string {
  const folded = new Set(taken.map((column) => column.toLocaleLowerCase()));
  if (!folded.has(name.toLocaleLowerCase())) return name;
  const base = name.replace(/ \d+$/, '');
  for (let n = 2; ; n += 1) {
    const candidate = `${base} ${n}`;
    if (!folded.has(candidate.toLocaleLowerCase())) return candidate;
  }
}

/** A template with every placeholder naming `from` renamed to `to` (a column was renamed). */
export function renamePlaceholder(template: string, from: string, to: string): string {
  const { placeholders } = parseTemplate(template);
  if (!placeholders.some((name) => name === from)) return template;
  return template.replace(/(?<!\\)\{\{([^}]*)\}\}/g, (whole, inner: string) =>
    inner.trim() === from ? `{{${to}}}` : whole,
  );
}

export interface Correction {
  prompt: string;
  output: string;
}

/**
 * The few-shot block put before a prompt when a column uses the user's corrections as examples:
 * each corrected cell's prompt and the answer the user wrote.
 */
export function examplesBlock(corrections: readonly Correction[]): string {
  if (corrections.length === 0) return '';
  const shown = corrections.map(
    (example, i) => `Example ${i + 1}\nInput:\n${example.prompt.trim()}\nCorrect answer:\n${example.output.trim()}`,
  );
  return `Here are examples of inputs with the correct answer. Answer the same way.\n\n${shown.join('\n\n')}\n\nNow the real input:\n`;
}

/**
 * A row's status over its cells, wherever a row is shown or filtered (the table, its filters, the
 * exports' `done` and `failed` rows): failed when any cell failed (a row to look at again), else
 * running while any runs, queued while any waits, skipped when all were skipped, else done. A row
 * of one cell has that cell's status.
 */
export function rowStatusOf(cells: readonly Pick<RowResult, 'status'>[]): RowStatus {
  const has = (status: RowStatus): boolean => cells.some((cell) => cell.status === status);
  if (cells.length === 0) return 'queued';
  if (has('failed')) return 'failed';
  if (has('running')) return 'running';
  if (has('queued')) return 'queued';
  if (cells.every((cell) => cell.status === 'skipped')) return 'skipped';
  return 'done';
}
