import { FIRST_COLUMN_NAME, MAX_AI_COLUMNS } from '../../shared/api.ts';
import { columnName } from '../../shared/schemas.ts';
import { columnNameProblem, columnTemplateProblem } from '../../shared/columns.ts';
import { UsageError } from './exit.ts';

// `rowbot run`'s AI columns: `--template T` is one column named `output`; each `--column NAME=TEMPLATE`
// is one more, in the order given, whose template may use the file's columns and the AI columns
// before it by name; `--column-model NAME=MODEL` gives a column its own model (same provider).

/** An AI column as the command line gives it. */
export interface ColumnPlan {
  name: string;
  template: string;
  /** Its own model (--column-model), or undefined for the job's (--model). */
  model?: string;
}

export interface ColumnFlags {
  /** --template, or the text of --template-file. */
  template?: string;
  /** Each --column, as typed. */
  column?: readonly string[];
  /** Each --column-model, as typed. */
  columnModel?: readonly string[];
}

/** A flag's value as a message shows it: on one line, in quotes, cut when long. */
function quoted(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return `"${line.length > 60 ? `${line.slice(0, 59)}…` : line}"`;
}

/** `NAME=VALUE` split at its first `=` (a template may hold more), the name checked as the app checks it. */
function nameAndValue(flag: string, text: string, example: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at === -1) {
    throw new UsageError(
      `${flag} ${quoted(text)} has no "=": write it as NAME=${example}, e.g. ${flag} "${flagExample(flag)}".`,
    );
  }
  const rawName = text.slice(0, at);
  if (rawName.trim() === '') {
    throw new UsageError(
      `${flag} ${quoted(text)} has no name before the "=": write it as NAME=${example}, e.g. ${flag} "${flagExample(flag)}".`,
    );
  }
  const checked = columnName.safeParse(rawName);
  if (!checked.success) {
    throw new UsageError(
      `${flag}: the column name ${quoted(rawName)} ${checked.error.issues[0]?.message ?? 'is not allowed'}.`,
    );
  }
  return { name: checked.data, value: text.slice(at + 1) };
}

function flagExample(flag: string): string {
  return flag === '--column' ? 'summary=Summarize: {{text}}' : 'summary=gpt-4o-mini';
}

const folded = (name: string): string => name.toLocaleLowerCase();

/**
 * The AI columns the flags ask for, in order, or null when they give no prompt at all. Refused, in
 * words that say what to do: a flag without `=` or a name, two columns of one name, a model for a
 * column that is not there, and (with the file's `sheetColumns`) a template that uses a column it
 * cannot: unknown, itself, or one to its right. `jsonFields` are the fields of the job's JSON answers
 * (--json-schema): a template may use one field of an earlier column's answer, {{summary.score}}.
 */
export function columnsFromFlags(
  flags: ColumnFlags,
  sheetColumns?: readonly string[],
  jsonFields: readonly string[] = [],
): ColumnPlan[] | null {
  const plans: ColumnPlan[] = [];
  if (flags.template !== undefined) plans.push({ name: FIRST_COLUMN_NAME, template: flags.template });
  for (const text of flags.column ?? []) {
    const { name, value } = nameAndValue('--column', text, 'TEMPLATE');
    const same = plans.find((plan) => folded(plan.name) === folded(name));
    if (same !== undefined) {
      const why =
        same.name === FIRST_COLUMN_NAME && flags.template !== undefined && plans[0] === same
          ? `--template is the column "${FIRST_COLUMN_NAME}"`
          : `--column ${quoted(same.name)} comes before it`;
      throw new UsageError(
        `Two AI columns are named "${name}" (${why}): give each --column its own name${same.name === name ? '' : ' (names that differ only in capitals count as the same)'}.`,
      );
    }
    plans.push({ name, template: value });
  }
  if (plans.length === 0) {
    if ((flags.columnModel ?? []).length > 0) {
      throw new UsageError('--column-model gives a column its own model: add the columns with --column NAME=TEMPLATE.');
    }
    return null;
  }
  if (plans.length > MAX_AI_COLUMNS) {
    throw new UsageError(`A job has at most ${MAX_AI_COLUMNS} AI columns, and these flags give ${plans.length}.`);
  }
  for (const text of flags.columnModel ?? []) {
    const { name, value } = nameAndValue('--column-model', text, 'MODEL');
    const plan = plans.find((p) => p.name === name) ?? plans.find((p) => folded(p.name) === folded(name));
    if (plan === undefined) {
      throw new UsageError(
        `--column-model ${quoted(text)} names no column: the AI columns are ${plans.map((p) => p.name).join(', ')}. Use one of these names, or add the column with --column ${name}=TEMPLATE.`,
      );
    }
    if (plan.model !== undefined) {
      throw new UsageError(`--column-model gives the column "${plan.name}" two models: give it one.`);
    }
    if (value.trim() === '') throw new UsageError(`--column-model ${quoted(text)} has no model after the "=".`);
    plan.model = value.trim();
  }
  if (sheetColumns !== undefined) checkColumnTemplates(plans, sheetColumns, flags.template !== undefined, jsonFields);
  return plans;
}

/**
 * Each template may use the file's columns, the AI columns to its left and the fields of their
 * JSON answers, as the engine checks them (shared/columns.ts): the same words, said of a flag.
 */
function checkColumnTemplates(
  plans: readonly ColumnPlan[],
  sheetColumns: readonly string[],
  fromTemplate: boolean,
  jsonFields: readonly string[],
): void {
  const named = plans.map((plan, id) => ({ id, name: plan.name, fields: jsonFields }));
  plans.forEach((plan, position) => {
    const given = position === 0 && fromTemplate ? '--template' : `--column ${plan.name}`;
    // A column named as one of the file's would make {{name}} mean two things.
    const nameProblem = position === 0 && fromTemplate ? null : columnNameProblem(plan.name, sheetColumns, []);
    if (nameProblem) throw new UsageError(`${given}: ${nameProblem}`);
    const problem = columnTemplateProblem(
      plan.template,
      plan.name,
      sheetColumns,
      named.slice(0, position),
      named.slice(position + 1),
    );
    // One column's problem is said as it always was; with several, which column's it is.
    if (problem) throw new UsageError(plans.length === 1 ? problem : `${given}: ${problem}`);
  });
}
