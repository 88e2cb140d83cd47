import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importForTest } from '../fixtures/import-table.ts';

// Issue 12: no row is ever lost on import. With the header off every filled row comes back as
// it was written; with the header detected every filled row is the header, a data row, or a
// title row the import reports (and the preview shows with a control to keep it).

const cell = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('', '', ' ', 'Alice', 'b@x.org', '1', '2022', '12.5', 'name', 'Sales report'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((text) => text.replace(/\r/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('a,b', 'say "hi"', 'two\nlines', '2024-01-02') },
);
const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 });

const quote = (text: string): string =>
  /[",\n\r]/.test(text) || text.trim() !== text ? `"${text.replace(/"/g, '""')}"` : text;
const csv = (rows: string[][]): string => rows.map((row) => row.map(quote).join(',')).join('\n');
const filled = (row: string[]): boolean => row.some((value) => value.trim() !== '');
function trimEnd(row: string[]): string[] {
  let end = row.length;
  while (end > 0 && (row[end - 1] ?? '').trim() === '') end -= 1;
  return row.slice(0, end);
}

describe('import keeps every row (property)', () => {
  it('with the header off, every filled row comes back as written', async () => {
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const expected = rows.filter(filled);
        fc.pre(expected.length > 0);
        const imported = await importForTest('t.csv', csv(rows), { hasHeader: false, delimiter: ',' });
        expect(imported.settings.titleRows).toEqual([]);
        expect(imported.rows.length).toBe(expected.length);
        // Cells after a row's last filled one are padding (and blank ones may be spaces).
        expect(imported.rows.map(trimEnd)).toEqual(expected.map(trimEnd));
      }),
      { numRuns: 300 },
    );
  });

  it('with the header detected, every filled row is the header, a data row or a reported title row', async () => {
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const expected = rows.filter(filled);
        fc.pre(expected.length > 1);
        const imported = await importForTest('t.csv', csv(rows), { delimiter: ',' });
        const titles = imported.settings.titleRows ?? [];
        expect(imported.rows.length + (imported.settings.hasHeader ? 1 : 0) + titles.length).toBe(expected.length);
        if (titles.length > 0) expect(imported.notes.join(' ')).toContain('looked like a title');
      }),
      { numRuns: 300 },
    );
  });
});
