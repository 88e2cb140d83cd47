import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { neutralizeFormula, resultsToCsv } from '../../electron/engine/sheets/export-csv.ts';
import type { RowView } from '../../shared/api.ts';
import { oneCellRow, onlyCell } from '../fixtures/row-views.ts';

function row(index: number, values: string[], output: string | null): RowView {
  return oneCellRow({
    index,
    values,
    output,
    status: output ? 'done' : 'failed',
    error: output ? null : 'boom',
    attempts: 1,
    latencyMs: 12,
    promptTokens: 3,
    completionTokens: 4,
    cost: null,
    cached: false,
    finish: output ? 'stop' : null,
  });
}

describe('neutralizeFormula (OWASP CSV injection)', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://evil")'])('prefixes %j', (cell) => {
    expect(neutralizeFormula(cell)).toBe(`'${cell}`);
  });

  it.each(['plain', '1', '', ' =not first'])('leaves %j alone', (cell) => {
    expect(neutralizeFormula(cell)).toBe(cell);
  });
});

describe('resultsToCsv', () => {
  it('writes input columns then results, in input order, neutralizing inputs and outputs alike', () => {
    const csv = resultsToCsv(['name', 'note'], [row(1, ['B', '=cmd'], '@evil'), row(0, ['A', 'x, "y"\nz'], null)]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const [header, first, second] = Papa.parse<string[]>(csv.slice(1), { skipEmptyLines: true }).data;
    expect(header).toEqual(['name', 'note', ...EXPECTED_RESULT_COLUMNS]);
    expect(first).toEqual(['A', 'x, "y"\nz', '', 'failed', 'boom', '1', '12', '3', '4', '', '']);
    expect(second?.slice(0, 4)).toEqual(['B', "'=cmd", "'@evil", 'done']);
  });

  it('can leave the BOM out', () => {
    expect(resultsToCsv(['a'], [row(0, ['1'], 'x')], { bom: false }).startsWith('a,')).toBe(true);
  });
});

describe('resultsToCsv: line breaks and separators (issue 12)', () => {
  const answers = ['line 1\nline 2', 'a\rb', 'a\r\nb\n\nc', 'trailing\n', '\nleading'];

  it('quotes every cell that holds a line break, so 300 multi-line answers read back as 300 records', () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(i, [`in ${i}\nsecond line`], answers[i % answers.length]!));
    const csv = resultsToCsv(['prompt'], rows);
    const parsed = Papa.parse<string[]>(csv.slice(1), { skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data).toHaveLength(301);
    expect(parsed.data.slice(1).map((record) => record[1])).toEqual(rows.map((r) => onlyCell(r).output));
    expect(parsed.data[1]?.[0]).toBe('in 0\nsecond line');
  });

  it.each([
    [';', 'a;b', 'x,y'],
    ['\t', 'a\tb', 'x,y'],
    [',', 'a,b', 'x;y'],
  ] as const)('writes with %j as the separator, quoting cells that hold it', (delimiter, held, other) => {
    const csv = resultsToCsv(['name', 'note'], [row(0, [held, other], 'ok')], { delimiter, bom: false });
    expect(csv.startsWith(['name', 'note', 'output', 'status', ''].join(delimiter))).toBe(true);
    const parsed = Papa.parse<string[]>(csv, { delimiter, skipEmptyLines: true });
    expect(parsed.data[1]?.slice(0, 3)).toEqual([held, other, 'ok']);
    expect(csv).toContain(`"${held}"${delimiter}${other}${delimiter}ok`);
  });
});
