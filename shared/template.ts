/**
 * Prompt templates: `{{column name}}` placeholders, `\{{` for a literal `{{`.
 * Pure functions so the renderer's live preview and the engine agree exactly.
 */

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string };

export interface ParsedTemplate {
  parts: TemplatePart[];
  placeholders: string[];
}

export function parseTemplate(template: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const placeholders: string[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
      continue;
    }
    if (template.startsWith('{{', i)) {
      const end = template.indexOf('}}', i + 2);
      if (end === -1) {
        text += template.slice(i);
        break;
      }
      const name = template.slice(i + 2, end).trim();
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'placeholder', name });
      if (!placeholders.includes(name)) placeholders.push(name);
      i = end + 2;
      continue;
    }
    text += template[i];
    i += 1;
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, placeholders };
}

export interface PlaceholderProblem {
  name: string;
  suggestions: string[];
}

export interface TemplateCheck {
  /** Placeholder name -> column index, for every placeholder that matched. */
  bindings: Map<string, number>;
  unknown: PlaceholderProblem[];
  /** Placeholders that matched only when case was ignored. */
  caseWarnings: { name: string; column: string }[];
  empty: boolean;
  unclosed: boolean;
}

export function checkTemplate(template: string, columns: readonly string[]): TemplateCheck {
  const { placeholders } = parseTemplate(template);
  const bindings = new Map<string, number>();
  const unknown: PlaceholderProblem[] = [];
  const caseWarnings: { name: string; column: string }[] = [];
  for (const name of placeholders) {
    const exact = columns.indexOf(name);
    if (exact !== -1) {
      bindings.set(name, exact);
      continue;
    }
    const folded = columns.findIndex((c) => c.toLocaleLowerCase() === name.toLocaleLowerCase());
    if (folded !== -1) {
      bindings.set(name, folded);
      caseWarnings.push({ name, column: columns[folded] ?? name });
      continue;
    }
    unknown.push({ name, suggestions: closestNames(name, columns) });
  }
  const withoutEscapes = template.replaceAll('\\{{', '');
  const lastOpen = withoutEscapes.lastIndexOf('{{');
  const unclosed = lastOpen !== -1 && withoutEscapes.indexOf('}}', lastOpen) === -1;
  return { bindings, unknown, caseWarnings, empty: template.trim() === '', unclosed };
}

/** A sentence a non-developer can act on, or null when the template is fine. */
export function describeTemplateProblem(check: TemplateCheck, columns: readonly string[]): string | null {
  if (check.empty)
    return 'The prompt template is empty. Write the instruction to send for each row, with {{column}} where a value goes.';
  if (check.unclosed)
    return 'A placeholder is opened with {{ but never closed with }}. Close it, or write \\{{ for a literal {{.';
  if (check.unknown.length === 0) return null;
  const lines = check.unknown.map(({ name, suggestions }) => {
    const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `{{${s}}}`).join(' or ')}?` : '';
    return `{{${name}}} is not a column of this file.${hint}`;
  });
  return `${lines.join(' ')} The columns are: ${columns.join(', ')}.`;
}

export function renderTemplate(template: string, columns: readonly string[], values: readonly string[]): string {
  return compileTemplate(template, columns)(values);
}

/** The template parsed and bound to the columns once, for rendering many rows. */
export function compileTemplate(template: string, columns: readonly string[]): (values: readonly string[]) => string {
  const { parts } = parseTemplate(template);
  const check = checkTemplate(template, columns);
  // Text, or the index of the value that goes there.
  const pieces = parts.map((part): string | number => {
    if (part.kind === 'text') return part.text;
    return check.bindings.get(part.name) ?? `{{${part.name}}}`;
  });
  return (values) => {
    let text = '';
    for (const piece of pieces) text += typeof piece === 'string' ? piece : (values[piece] ?? '');
    return text;
  };
}

/** Columns whose names are close to `name` (edit distance, case-insensitive), best first. */
export function closestNames(name: string, columns: readonly string[], max = 2): string[] {
  const target = name.toLocaleLowerCase();
  return columns
    .map((column) => ({ column, distance: editDistance(target, column.toLocaleLowerCase()) }))
    .filter(({ column, distance }) => distance <= Math.max(2, Math.floor(Math.max(column.length, name.length) / 3)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, max)
    .map(({ column }) => column);
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}
