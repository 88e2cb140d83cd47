import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RowbotError } from '../../shared/errors.ts';
import { importForTest } from '../fixtures/import-table.ts';

/**
 * Papa Parse's own test cases (tests/test-cases.js, CORE_PARSER_TESTS and PARSE_TESTS), the
 * ones run with the default configuration, vendored in test/fixtures/papaparse with their
 * source commit and licence. Each case is imported as a user would import the file with the
 * header off ("First row is the header" unticked, `--no-header`): every row must come back
 * as Papa Parse's expected data says, except where Rowbot's convention differs. Each such
 * difference is named below with its reason and the exact cases it applies to.
 */
interface Case {
  suite: 'CORE_PARSER_TESTS' | 'PARSE_TESTS';
  description: string;
  input: string;
  expected: { data: string[][]; errors: string[] };
}

const vendored = JSON.parse(
  readFileSync(new URL('../fixtures/papaparse/default-config-cases.json', import.meta.url), 'utf8'),
) as { source: string; tests: Case[] };
const cases = vendored.tests.map((c) => ({
  ...c,
  name: `${c.suite === 'PARSE_TESTS' ? 'Papa.parse' : 'Parser'}: ${c.description}`,
}));

type Convention =
  'blankRows' | 'padded' | 'emptyLastColumn' | 'emptyFile' | 'unclosedQuote' | 'noDelimiterWarning' | 'strayQuote';

/** Where Rowbot knowingly differs from Papa Parse's expectation, and why. */
const DIFFERENCES: Record<Convention, { reason: string; cases: string[] }> = {
  blankRows: {
    reason:
      'Papa Parse returns a blank line (or one of spaces) as a row of one empty field; Rowbot skips fully empty rows and says how many in a note, since an empty row would only be an empty prompt.',
    cases: [
      'Parser: One column input with empty fields',
      'Papa.parse: Mixed slash n and slash r should choose first as precident',
      'Papa.parse: Blank lines at end',
      'Papa.parse: Blank line in middle with whitespace',
      'Papa.parse: Other fields are empty',
    ],
  },
  padded: {
    reason:
      'Papa Parse keeps rows ragged; a Rowbot table is rectangular, so a shorter row is padded with empty cells to the width of the widest.',
    cases: [
      'Parser: Quoted field has invalid trailing quote after delimiter with a valid closer',
      'Papa.parse: Mixed slash n and slash r should choose first as precident',
    ],
  },
  emptyLastColumn: {
    reason:
      'Without a header, cells after the last filled one are padding (spreadsheets save rows so): a last column with no filled cell in any row is not a column. With a header naming it, it stays.',
    cases: ['Parser: Empty quoted field at EOF is empty'],
  },
  emptyFile: {
    reason:
      'Papa Parse returns no rows (or rows of empty fields) for a file with nothing in it; Rowbot refuses it as empty (FILE_EMPTY) and says what a file needs.',
    cases: [
      'Parser: Empty input string',
      'Parser: Input is just the delimiter (2 empty fields)',
      'Parser: Input is just empty fields',
      'Papa.parse: Empty input string',
      'Papa.parse: Input is just the delimiter (2 empty fields)',
    ],
  },
  unclosedQuote: {
    reason:
      'Papa Parse reports MissingQuotes and returns the rest of the file as one field; Rowbot refuses the file (CSV_INVALID) and names the row where the quote opens, since importing it would silently fold many rows into one cell.',
    cases: [
      'Parser: Quoted field has no closing quote',
      'Parser: Quoted field has invalid trailing quote after delimiter',
      'Parser: Quoted field has invalid trailing quote before delimiter',
      'Parser: Quoted field has invalid trailing quote after new line',
    ],
  },
  noDelimiterWarning: {
    reason:
      'Papa Parse warns UndetectableDelimiter when the text has a single column; for Rowbot a one-column file is an ordinary list, read as column A without a warning.',
    cases: ['Papa.parse: Input is just a string (a single field)'],
  },
  strayQuote: {
    reason:
      'Papa Parse reports InvalidQuotes for a quote inside a quoted field that does not close it, and reads the field as it stands; Rowbot reads the same data and reports nothing.',
    cases: ['Parser: Quoted field has invalid trailing quote after delimiter with a valid closer'],
  },
};

const isBlank = (row: string[]): boolean => row.every((cell) => cell.trim() === '');

/** What Rowbot must produce for a case, and which conventions it took to get there. */
function rowbotExpectation(c: Case): { rows: string[][] | 'FILE_EMPTY' | 'CSV_INVALID'; used: Convention[] } {
  const used: Convention[] = [];
  if (c.expected.errors.includes('MissingQuotes')) return { rows: 'CSV_INVALID', used: ['unclosedQuote'] };
  if (c.expected.errors.includes('InvalidQuotes')) used.push('strayQuote');
  if (c.expected.errors.includes('UndetectableDelimiter') && c.input !== '') used.push('noDelimiterWarning');
  const filled = c.expected.data.filter((row) => !isBlank(row));
  if (filled.length === 0) return { rows: 'FILE_EMPTY', used: ['emptyFile'] };
  if (filled.length !== c.expected.data.length) used.push('blankRows');
  let width = Math.max(...filled.map((row) => row.length));
  if (filled.some((row) => row.length !== width)) used.push('padded');
  if (filled.every((row) => (row[width - 1] ?? '').trim() === '')) {
    used.push('emptyLastColumn');
    while (filled.every((row) => (row[width - 1] ?? '').trim() === '')) width -= 1;
  }
  const rows = filled.map((row) => [
    ...row.slice(0, width),
    ...Array<string>(Math.max(0, width - row.length)).fill(''),
  ]);
  return { rows, used };
}

describe(`Papa Parse's default-configuration test cases (${vendored.source})`, () => {
  it('has the whole vendored suite: 40 core parser cases and 33 Papa.parse cases', () => {
    expect(cases.filter((c) => c.suite === 'CORE_PARSER_TESTS')).toHaveLength(40);
    expect(cases.filter((c) => c.suite === 'PARSE_TESTS')).toHaveLength(33);
  });

  it('names every difference of convention exactly where it applies', () => {
    for (const [convention, { cases: named }] of Object.entries(DIFFERENCES)) {
      const applies = cases.filter((c) => rowbotExpectation(c).used.includes(convention as Convention));
      expect(applies.map((c) => c.name).sort(), convention).toEqual([...named].sort());
    }
  });

  it.each(cases)('$name', async (c) => {
    const { rows } = rowbotExpectation(c);
    const file = `${c.description}.csv`;
    if (typeof rows === 'string') {
      const error = await importForTest(file, c.input, { hasHeader: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RowbotError);
      expect((error as RowbotError).code).toBe(rows);
      return;
    }
    const table = await importForTest(file, c.input, { hasHeader: false });
    expect(table.rows).toEqual(rows);
    expect(table.titleRows).toEqual([]);
    // With the header detected, the same rows are there: as the header or as data, none left
    // out. A file of one row is taken as a header without data, and refused as such.
    if (rows.length === 1) {
      await expect(importForTest(file, c.input)).rejects.toThrow('has a header row but no data rows');
      return;
    }
    const detected = await importForTest(file, c.input);
    expect(detected.titleRows).toEqual([]);
    expect(detected.rows.length + (detected.settings.hasHeader ? 1 : 0)).toBe(rows.length);
    const width = rows[0]?.length ?? 0;
    if (detected.settings.hasHeader) expect(detected.rows.map((row) => row.slice(0, width))).toEqual(rows.slice(1));
  });
});
