import { describe, expect, it } from 'vitest';
import { columnLetter, decodeText, parseCsv } from '../../electron/engine/sheets/import-csv.ts';
import { RowbotError } from '../../shared/errors.ts';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('decodeText', () => {
  it('strips a UTF-8 BOM', () => {
    expect(decodeText(enc('\uFEFFa,b\n1,2'), 'f.csv')).toBe('a,b\n1,2');
  });

  it('falls back to Windows-1252 for bytes that are not UTF-8', () => {
    expect(decodeText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'f.csv')).toBe('café');
  });

  it('refuses binary data with FILE_UNREADABLE', () => {
    expect(() => decodeText(Uint8Array.from([1, 0, 2]), 'x.csv')).toThrow(RowbotError);
  });
});

describe('parseCsv', () => {
  it('handles CRLF, LF and lone CR line ends', () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      expect(parseCsv(['a,b', '1,2', '3,4'].join(eol), 'f.csv').rows).toEqual([
        ['1', '2'],
        ['3', '4'],
      ]);
    }
  });

  it('skips fully empty rows', () => {
    expect(parseCsv('a,b\n1,2\n\n,\n3,4\n', 'f.csv').rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('renames blank and duplicate headers visibly', () => {
    const sheet = parseCsv('name,,Name,name\n1,2,3,4\n', 'f.csv');
    expect(sheet.columns).toEqual(['name', 'Column B', 'Name (2)', 'name (3)']);
    expect(sheet.notes).toHaveLength(3);
  });

  it('pads ragged rows and reports their line numbers', () => {
    const sheet = parseCsv('a,b,c\n1,2\n1,2,3\n4\n', 'f.csv');
    expect(sheet.rows).toEqual([
      ['1', '2', ''],
      ['1', '2', '3'],
      ['4', '', ''],
    ]);
    expect(sheet.notes[0]).toContain('lines 2, 4');
  });

  it('refuses more rows than the limit with FILE_TOO_LARGE', () => {
    try {
      parseCsv('a\n1\n2\n3\n', 'big.csv', { maxRows: 2 });
      expect.unreachable();
    } catch (error) {
      expect((error as RowbotError).code).toBe('FILE_TOO_LARGE');
      expect((error as RowbotError).message).toContain('has 3 rows');
    }
  });
});

describe('columnLetter', () => {
  it('names columns like a spreadsheet', () => {
    expect([0, 1, 25, 26, 27, 701, 702].map(columnLetter)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});
