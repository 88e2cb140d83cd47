// Every export format, written by Rowbot and read back by a reader that did not write it:
// CSV by papaparse (Rowbot writes CSV by hand), the .xlsx of results by ExcelJS (Rowbot writes
// it part by part with fflate), JSON lines by JSON.parse (Rowbot writes them by hand). Every
// cell must come back as it was, but for the conventions each format states:
// - CSV: a cell that starts like a formula (= + - @ tab CR) gets a leading ' (OWASP).
// - XLSX: a cell longer than Excel's 32,767 characters is cut and ends with a "[cut: …]" marker.
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResults } from '../../electron/engine/sheets/export.ts';
import type { RowView } from '../../shared/api.ts';
import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';
import { oneCellRow, onlyCell } from '../fixtures/row-views.ts';

const EXCEL_LIMIT = 32_767;

/** Pieces a cell is made of: the characters that break writers, and text of every script. */
const PIECES = [
  '\n',
  '\r',
  '\r\n',
  '"',
  '""',
  ',',
  ';',
  '\t',
  "'",
  '=',
  '+',
  '-',
  '@',
  ' ',
  '  ',
  'e\u0301', // e and a combining acute accent
  'n\u0303\u0323', // two combining marks
  'שלום', // Hebrew (RTL)
  'مرحبا', // Arabic (RTL)
  '\u200F', // right-to-left mark
  '\u202E', // right-to-left override
  '😀',
  '👩‍👩‍👧', // joined by zero-width joiners
  '𠮷', // CJK outside the BMP
  '𝄞',
  '東京',
  '=SUM(A1:A2)',
  '007',
  '1,5',
  '_x0041_', // looks like Excel's own escape
  '<b>&amp;</b>',
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

/** Any text a cell may hold, empty included: the pieces above in any order. */
const cellText = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));

/** Leading = + - @ tab and CR, for the formula rule. */
const formulaLike = fc
  .tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r'), cellText)
  .map(([first, rest]) => first + rest);

const anyCell = fc.oneof({ weight: 6, arbitrary: cellText }, { weight: 1, arbitrary: formulaLike });

/** Longer than Excel's limit, with astral characters where a cut could split one. */
const longCell = fc
  .tuple(fc.integer({ min: EXCEL_LIMIT - 400, max: 40_000 }), fc.constantFrom('x', '😀', 'é\n', '"\r\n'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

const RESULT = new Set(EXPECTED_RESULT_COLUMNS);
/** Column names: not empty (an import names a blank one), not a result column, no two alike. */
const columnNames = fc
  .uniqueArray(
    cellText.filter((name) => name.trim() !== '' && !RESULT.has(name) && !name.startsWith('output.')),
    { minLength: 1, maxLength: 4, selector: (name) => name },
  )
  .filter((names) => new Set(names.map((name) => name.trim())).size === names.length);

interface Case {
  columns: string[];
  rows: RowView[];
}

function table(cell: fc.Arbitrary<string>): fc.Arbitrary<Case> {
  return columnNames.chain((columns) =>
    fc
      .array(
        fc.record({
          values: fc.array(cell, { minLength: columns.length, maxLength: columns.length }),
          output: fc.option(cell, { nil: null }),
          error: fc.option(cell, { nil: null }),
        }),
        { minLength: 1, maxLength: 6 },
      )
      .map((drafts) => ({
        columns,
        rows: drafts.map((draft, index): RowView =>
          oneCellRow({
            index,
            values: draft.values,
            output: draft.output,
            status: draft.output === null ? 'failed' : 'done',
            error: draft.error,
            attempts: index + 1,
            latencyMs: 100 + index,
            promptTokens: 10 * index,
            completionTokens: 7,
            cost: null,
            cached: false,
            finish: draft.output === null ? null : 'stop',
          }),
        ),
      })),
  );
}

/** What the table holds, as text, in the order of the export's columns. */
function expectedTable({ columns, rows }: Case): string[][] {
  const header = [...columns, ...EXPECTED_RESULT_COLUMNS];
  const body = rows.map((row) => {
    const cell = onlyCell(row);
    return [
      ...row.values,
      cell.output ?? '',
      cell.status,
      cell.error ?? '',
      String(cell.attempts),
      String(cell.latencyMs),
      String(cell.promptTokens),
      String(cell.completionTokens),
      '',
      cell.finish ?? '',
    ];
  });
  return [header, ...body];
}

/** The rule the CSV export documents, written out again here. */
const owasp = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

let dir: string;
let file = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowbot-roundtrip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const nextPath = (ext: string): string => join(dir, `export-${(file += 1)}.${ext}`);

async function csvRoundTrip(sample: Case, delimiter: ',' | ';' | '\t'): Promise<void> {
  const path = nextPath('csv');
  await exportResults(path, sample.columns, sample.rows, { format: 'csv', delimiter });
  const text = await readFile(path, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  // The reader is told the separator (a one-column guess is not what is tested) and nothing else.
  const parsed = Papa.parse<string[]>(text.slice(1), { delimiter });
  expect(parsed.errors).toEqual([]);
  const records =
    parsed.data.at(-1)?.length === 1 && parsed.data.at(-1)?.[0] === '' ? parsed.data.slice(0, -1) : parsed.data;
  expect(records).toEqual(expectedTable(sample).map((record) => record.map(owasp)));
}

async function jsonlRoundTrip(sample: Case): Promise<void> {
  const path = nextPath('jsonl');
  await exportResults(path, sample.columns, sample.rows, { format: 'jsonl' });
  const lines = (await readFile(path, 'utf8')).split('\n');
  expect(lines.pop()).toBe('');
  const [header, ...body] = expectedTable(sample);
  expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(
    sample.rows.map((row, r) => {
      const expected = Object.fromEntries(header!.map((name, c) => [name, body[r]![c]]));
      const cell = onlyCell(row);
      return {
        ...expected,
        output: cell.output,
        error: cell.error,
        attempts: cell.attempts,
        latency_ms: cell.latencyMs,
        prompt_tokens: cell.promptTokens,
        completion_tokens: cell.completionTokens,
        cost: null,
        finish: cell.finish,
      };
    }),
  );
}

/**
 * ExcelJS leaves SpreadsheetML's own escapes as they are (ECMA-376 Part 1, 22.9.2.19 ST_Xstring:
 * _xHHHH_ is the character HHHH, so a literal "_x0041_" is written "_x005F_x0041_"), which Excel
 * and LibreOffice undo: undone here as the standard says.
 */
const unescapeXstring = (text: string): string =>
  text.replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** A cell as ExcelJS reads it, as text: strings, numbers and rich text. */
function excelText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return unescapeXstring(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'richText' in value) return value.richText.map((run) => run.text).join('');
  throw new Error(`unexpected cell ${JSON.stringify(value)}`);
}

/** What Excel gets for a text: itself, or cut to the limit and marked. */
function expectExcelCell(actual: string, expected: string): void {
  if (expected.length <= EXCEL_LIMIT) {
    expect(actual).toBe(expected);
    return;
  }
  expect(actual.length).toBeLessThanOrEqual(EXCEL_LIMIT);
  const marker = actual.lastIndexOf(' … [cut: ');
  expect(marker).toBeGreaterThan(EXCEL_LIMIT - 400);
  expect(actual.slice(marker)).toContain(`${expected.length.toLocaleString('en-US')} characters`);
  expect(expected.startsWith(actual.slice(0, marker))).toBe(true);
  expect(marker >= EXCEL_LIMIT - 300 || expected.length <= EXCEL_LIMIT).toBe(true);
}

async function xlsxRoundTrip(sample: Case): Promise<void> {
  const path = nextPath('xlsx');
  const report = await exportResults(path, sample.columns, sample.rows, { format: 'xlsx' });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  const expected = expectedTable(sample);
  let long = 0;
  expected.forEach((record, r) => {
    const row = sheet.getRow(r + 1);
    record.forEach((text, c) => {
      if (text.length > EXCEL_LIMIT) long += 1;
      const cell = row.getCell(c + 1);
      expectExcelCell(excelText(cell.value), text);
      if (r > 0 && c >= sample.columns.length + 3 && c <= sample.columns.length + 6) {
        expect(typeof cell.value).toBe('number'); // attempts, latency and tokens are numbers
      }
      if (/^[=+\-@\t\r]/.test(text)) expect(cell.numFmt).toBe('@');
    });
  });
  expect(report.notes.length).toBe(long > 0 ? 1 : 0);
  if (long > 0)
    expect(report.notes[0]).toMatch(new RegExp(`^${long === 1 ? '1 cell was' : `${long} cells were`} longer`));
}

describe('every export reads back the same in an independent reader (property)', () => {
  it.each([
    [',', 'comma'],
    [';', 'semicolon'],
    ['\t', 'tab'],
  ] as const)(
    'CSV with a %j (%s): papaparse reads every cell back, formula-like ones with a leading quote',
    async (delimiter, _name) => {
      await fc.assert(
        fc.asyncProperty(table(anyCell), (sample) => csvRoundTrip(sample, delimiter)),
        { numRuns: 300 },
      );
    },
  );

  it('JSON lines: JSON.parse reads every cell back unchanged', async () => {
    await fc.assert(fc.asyncProperty(table(anyCell), jsonlRoundTrip), { numRuns: 300 });
  });

  it('XLSX: ExcelJS reads every cell back unchanged, formula-like ones under the Text format', async () => {
    await fc.assert(fc.asyncProperty(table(anyCell), xlsxRoundTrip), { numRuns: 150 });
  }, 60_000);

  it("cells longer than Excel's limit: CSV and JSON lines keep them whole, XLSX cuts and marks them and says so", async () => {
    const long = table(fc.oneof(anyCell, longCell));
    await fc.assert(
      fc.asyncProperty(long, async (sample) => {
        await csvRoundTrip(sample, ',');
        await jsonlRoundTrip(sample);
        await xlsxRoundTrip(sample);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
