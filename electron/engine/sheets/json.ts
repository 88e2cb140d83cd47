import { RowbotError } from '../../../shared/errors.ts';
import type { TableRow } from './table.ts';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Objects become rows under the union of their keys (in first-seen order); arrays are
 * rows as they are (the first may be a header). Nested values are kept as JSON text.
 */
class RecordCollector {
  readonly #keys = new Map<string, number>();
  readonly #records: { value: unknown; sourceRow: number }[] = [];

  add(value: unknown, sourceRow: number, fileName: string): void {
    if (typeof value !== 'object' || value === null) {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}": item ${sourceRow} is ${value === null ? 'null' : `a ${typeof value}`}, not an object or a list. Each item must be one row, like {"name": "Lamp", "price": 10}.`,
      );
    }
    if (!Array.isArray(value))
      for (const key of Object.keys(value)) if (!this.#keys.has(key)) this.#keys.set(key, this.#keys.size);
    this.#records.push({ value, sourceRow });
  }

  rows(): JsonRows {
    const keys = [...this.#keys.keys()];
    const objects = this.#records.some(({ value }) => !Array.isArray(value));
    const rows: TableRow[] = objects ? [{ values: keys, sourceRow: 0 }] : [];
    for (const { value, sourceRow } of this.#records) {
      const values = Array.isArray(value)
        ? value.map(cell)
        : keys.map((key) => cell((value as Record<string, unknown>)[key]));
      rows.push({ values, sourceRow });
    }
    return { rows, keyed: objects };
  }
}

export interface JsonRows {
  rows: TableRow[];
  /** The items were objects: the first row is the header made of their keys. */
  keyed: boolean;
}

/**
 * JSON nested thousands of levels deep (a list in a list in a list…) overflows the stack of the
 * parser or of JSON.stringify, which keeps a nested value as text: say so, not "unexpected error".
 */
function withinDepth<T>(fileName: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}" holds JSON nested too deeply to read (lists or objects inside each other thousands of levels down). Each row should be one flat object, like {"name": "Lamp", "price": 10}.`,
      );
    }
    throw error;
  }
}

export function parseJsonArray(text: string, fileName: string): JsonRows {
  return withinDepth(fileName, () => parseArray(text, fileName));
}

export function parseJsonLines(text: string, fileName: string): JsonRows {
  return withinDepth(fileName, () => parseLines(text, fileName));
}

function parseArray(text: string, fileName: string): JsonRows {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    const where = /position (\d+)/.exec((error as Error).message)?.[1];
    const line = where === undefined ? null : text.slice(0, Number(where)).split('\n').length;
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is not valid JSON${line ? ` (the problem is on line ${line})` : ''}. Check the file, or save the sheet as CSV instead.`,
    );
  }
  if (!Array.isArray(data)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" holds one JSON value, not a list of rows. Rowbot needs [ {…}, {…} ] — one object per row.`,
    );
  }
  const collector = new RecordCollector();
  data.forEach((item, i) => collector.add(item, i + 1, fileName));
  return collector.rows();
}

function parseLines(text: string, fileName: string): JsonRows {
  const collector = new RecordCollector();
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}": line ${i + 1} is not valid JSON. Each line of a .jsonl file must be one JSON object.`,
      );
    }
    collector.add(value, i + 1, fileName);
  });
  return collector.rows();
}
