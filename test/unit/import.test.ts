import { describe, expect, it } from 'vitest';
import { importOptionsFromFlags } from '../../electron/cli/import-flags.ts';
import { columnLetter, firstRowIsData } from '../../electron/engine/sheets/table.ts';
import { RowbotError } from '../../shared/errors.ts';
import { importForTest } from '../fixtures/import-table.ts';

const utf16le = (text: string, bom = true): Uint8Array => {
  const body = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
};
const utf16be = (text: string): Uint8Array => {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1] ?? 0, le[i] ?? 0];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};
const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');

async function refusal(fileName: string, bytes: Uint8Array | string, options = {}): Promise<RowbotError> {
  const error = await importForTest(fileName, bytes, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RowbotError);
  return error as RowbotError;
}

describe('encodings: detected, shown, overridable', () => {
  it('UTF-8 with a BOM', async () => {
    const table = await importForTest('a.csv', '\uFEFFname,city\nZoë,Zürich\n');
    expect(table.columns).toEqual(['name', 'city']);
    expect(table.rows).toEqual([['Zoë', 'Zürich']]);
    expect(table.settings.encoding).toBe('utf-8');
  });

  it('UTF-16 LE with a BOM, tab-separated: Excel’s “Unicode text”', async () => {
    const table = await importForTest('a.txt', utf16le('name\tcity\r\nZoë\tZürich\r\n'));
    expect(table.settings).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    expect(table.rows).toEqual([['Zoë', 'Zürich']]);
  });

  it('UTF-16 BE with a BOM', async () => {
    const table = await importForTest('a.csv', utf16be('name,city\nZoë,Zürich\n'));
    expect(table.settings.encoding).toBe('utf-16be');
    expect(table.rows).toEqual([['Zoë', 'Zürich']]);
  });

  it('Windows-1252 from Excel on Windows', async () => {
    const table = await importForTest('a.csv', latin1('name;price\nCafé crème;3,50\nNaïve;€\n'.replace('€', 'x')));
    expect(table.settings).toMatchObject({ encoding: 'windows-1252', delimiter: ';' });
    expect(table.rows).toEqual([
      ['Café crème', '3,50'],
      ['Naïve', 'x'],
    ]);
  });

  it('a file that claims UTF-8 (BOM) but is not: read as Windows-1252, and said so', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1('name\nCafé\n')]);
    const table = await importForTest('a.csv', bytes);
    expect(table.rows).toEqual([['Café']]);
    expect(table.settings.encoding).toBe('windows-1252');
    expect(table.notes[0]).toContain('says it is UTF-8 but contains bytes that are not');
  });

  it('bad bytes far past the first 64 KB still switch to Windows-1252', async () => {
    const text = `name\n${'plain\n'.repeat(20_000)}Café\n`;
    const table = await importForTest('a.csv', latin1(text));
    expect(table.rows.at(-1)).toEqual(['Café']);
    expect(table.notes[0]).toContain('is not UTF-8 after all');
  });

  it('an encoding the user chose wins, and unreadable characters are counted', async () => {
    const table = await importForTest('a.csv', latin1('name\nCafé\n'), { encoding: 'utf-8' });
    expect(table.rows).toEqual([['Caf\uFFFD']]);
    expect(table.notes.join(' ')).toContain('1 character could not be read as UTF-8');
    const chosen = await importForTest('a.csv', Buffer.from('name\nZoë\n'), { encoding: 'windows-1252' });
    expect(chosen.rows).toEqual([['ZoÃ«']]);
  });
});

describe('delimiters: sniffed, overridable', () => {
  it.each([
    [',', 'a,b,c\n1,2,3\n4,5,6\n'],
    [';', 'a;b;c\n1,5;2;3\n4;5,25;6\n'],
    ['\t', 'a\tb\tc\n1\t2\t3\n4\t5\t6\n'],
    ['|', 'a|b|c\n1|2|3\n4|5|6\n'],
  ])('%j', async (delimiter, text) => {
    const table = await importForTest('a.txt', text);
    expect(table.settings.delimiter).toBe(delimiter);
    expect(table.columns).toEqual(['a', 'b', 'c']);
    expect(table.rows).toHaveLength(2);
  });

  it('a .tsv is tab-separated; the user can override', async () => {
    expect((await importForTest('a.tsv', 'a,b\tc\n1,2\t3\n')).columns).toEqual(['a,b', 'c']);
    expect((await importForTest('a.csv', 'a;b\n1;2\n', { delimiter: ',' })).columns).toEqual(['a;b']);
  });
});

describe('the hard cases', () => {
  it('quoted commas, quotes and newlines; CRLF, LF and lone CR line ends', async () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      const table = await importForTest(
        'a.csv',
        ['name,note', '"Lamp, brass","He said ""hi"""', 'Desk,"two', 'lines"'].join(eol),
      );
      expect(table.rows).toEqual([
        ['Lamp, brass', 'He said "hi"'],
        ['Desk', `two${eol}lines`],
      ]);
    }
  });

  it('blank and duplicate headers are renamed visibly', async () => {
    const table = await importForTest('a.csv', 'name,,Name,name\n1,2,3,4\n');
    expect(table.columns).toEqual(['name', 'Column B', 'Name (2)', 'name (3)']);
    expect(table.notes).toHaveLength(3);
  });

  it('ragged rows are padded and reported by row number; wider rows add columns', async () => {
    const table = await importForTest('a.csv', 'a,b,c\n1,2\n1,2,3\n4\n5,6,7,8\n');
    expect(table.columns).toEqual(['a', 'b', 'c', 'Column D']);
    expect(table.rows).toEqual([
      ['1', '2', '', ''],
      ['1', '2', '3', ''],
      ['4', '', '', ''],
      ['5', '6', '7', '8'],
    ]);
    expect(table.notes.join(' ')).toContain('3 rows had a different number of cells than the header (rows 2, 4, 5)');
  });

  it('fully empty rows are skipped, with a note', async () => {
    const table = await importForTest('a.csv', 'a,b\n1,2\n\n,\n  ,  \n3,4\n');
    expect(table.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(table.sourceRows).toEqual([2, 6]);
    expect(table.notes).toContain('3 empty rows were skipped.');
  });

  it('a header-less file gets columns A, B, C; the user can say there is a header', async () => {
    const text = '1,Lamp,9.50\n2,Desk,120\n3,Chair,45.00\n';
    const table = await importForTest('a.csv', text);
    expect(table.settings.hasHeader).toBe(false);
    expect(table.columns).toEqual(['A', 'B', 'C']);
    expect(table.rows[0]).toEqual(['1', 'Lamp', '9.50']);
    expect((await importForTest('a.csv', text, { hasHeader: true })).columns).toEqual(['1', 'Lamp', '9.50']);
    expect(table.notes[0]).toContain('The first row looks like data');
    expect((await importForTest('a.csv', text, { hasHeader: false })).notes).toEqual([]);
  });

  it('keeps a header over text-only or mixed data', () => {
    expect(firstRowIsData(['name', 'price'], [['Lamp', '10']])).toBe(false);
    expect(firstRowIsData(['Lamp', 'Desk'], [['Chair', 'Bed']])).toBe(false);
    expect(firstRowIsData(['7', 'Lamp'], [['8', 'Desk']])).toBe(true);
  });

  it('a header of years is a header: region, 2022, 2023 above amounts or counts', async () => {
    for (const text of [
      'region,2022,2023\nNorth,12.5,13.1\nSouth,9.5,10.25\n',
      'region,2022,2023\nNorth,120,135\nSouth,98,110\n',
      '2022,2023\n"1,200.50",980\n"1,310.00",1020\n',
    ]) {
      const table = await importForTest('a.csv', text);
      expect(table.settings.hasHeader, text).toBe(true);
      expect(table.rows, text).toHaveLength(2);
    }
    expect((await importForTest('a.csv', 'region,2022,2023\nNorth,12.5,13.1\n')).columns).toEqual([
      'region',
      '2022',
      '2023',
    ]);
    // Years over years, and repeated numbers, are data.
    expect(firstRowIsData(['Lamp', '2021', '9.5'], [['Desk', '2022', '120.5']])).toBe(true);
    expect(firstRowIsData(['region', '2022', '2022'], [['North', '12.5', '13.5']])).toBe(true);
  });

  it('other kinds than numbers tell a header from data: dates, addresses, blanks over them', () => {
    expect(firstRowIsData(['name', 'signed up'], [['Ann', '2024-01-02']])).toBe(false);
    expect(firstRowIsData(['Bob', '2024-01-01'], [['Ann', '2024-01-02']])).toBe(true);
    expect(firstRowIsData(['Alice', '', ''], [['Bob', 'b@x.org', '1']])).toBe(true);
  });

  it('a 5 MB single cell', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const table = await importForTest('a.csv', `text\n"${big}"\n`);
    expect(table.rows[0]?.[0]?.length).toBe(big.length);
  });

  it('refuses more rows than the limit', async () => {
    const error = await refusal('big.csv', 'a\n1\n2\n3\n', { maxRows: 2 });
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('more than 2 rows');
  });

  it('names columns like a spreadsheet', () => {
    expect([0, 1, 25, 26, 27, 701, 702].map(columnLetter)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});

describe('rows above the table: a title is shown and can be kept; with the header off none is left out', () => {
  const report = 'Sales report,,\nname,city,sales\nLamp,Paris,10\nDesk,Rome,20\n';

  it('with the header off, no row is ever left out (Papa Parse: "a,"b,c"\\nd,e,f")', async () => {
    for (const [text, rows] of [
      [
        'Alice,,\nBob,b@x.org,1\n',
        [
          ['Alice', '', ''],
          ['Bob', 'b@x.org', '1'],
        ],
      ],
      [
        '"a,"b,c"\nd,e,f',
        [
          ['a,"b,c', '', ''],
          ['d', 'e', 'f'],
        ],
      ],
      [
        report,
        [
          ['Sales report', '', ''],
          ['name', 'city', 'sales'],
          ['Lamp', 'Paris', '10'],
          ['Desk', 'Rome', '20'],
        ],
      ],
    ] as const) {
      const table = await importForTest('a.csv', text, { hasHeader: false });
      expect(table.rows, text).toEqual(rows);
      expect(table.settings.titleRows).toEqual([]);
      expect(table.notes.join(' ')).not.toContain('title');
    }
  });

  it('with the header detected, a short first row over data like the rest is data, not a title', async () => {
    const table = await importForTest('a.csv', 'Alice,,\nBob,b@x.org,1\nCarol,c@x.org,2\n');
    expect(table.settings.titleRows).toEqual([]);
    expect(table.columns).toEqual(['A', 'B', 'C']);
    expect(table.rows.map((row) => row[0])).toEqual(['Alice', 'Bob', 'Carol']);
  });

  it('a title over a row of column names is left out, said in the settings with its text, and can be kept', async () => {
    const table = await importForTest('a.csv', report);
    expect(table.columns).toEqual(['name', 'city', 'sales']);
    expect(table.rows).toHaveLength(2);
    expect(table.settings).toMatchObject({
      headerRow: 2,
      titleRows: [{ sourceRow: 1, values: ['Sales report', '', ''] }],
    });
    expect(table.notes).toContain('Row 1 above the table looked like a title and was left out.');

    const kept = await importForTest('a.csv', report, { keepTitleRows: true });
    expect(kept.settings).toMatchObject({ keepTitleRows: true, titleRows: [], headerRow: 1 });
    expect(kept.rows).toHaveLength(3);
    expect(kept.rows[0]).toEqual(['name', 'city', 'sales']);
  });

  it('rowbot --no-header and --keep-title-rows keep every row', async () => {
    const fail = (message: string): never => {
      throw new Error(message);
    };
    const noHeader = importOptionsFromFlags({ header: false }, fail);
    expect(noHeader).toEqual({ hasHeader: false });
    expect((await importForTest('a.csv', report, noHeader)).rows).toHaveLength(4);
    const keep = importOptionsFromFlags({ header: true, 'keep-title-rows': true }, fail);
    expect(keep).toEqual({ hasHeader: true, keepTitleRows: true });
    expect((await importForTest('a.csv', report, keep)).rows).toHaveLength(3);
  });
});

describe('JSON and JSON lines', () => {
  it('a JSON list of objects: keys become columns in first-seen order; nested values stay JSON', async () => {
    const table = await importForTest(
      'a.json',
      JSON.stringify([
        { name: 'Lamp', price: 10 },
        { name: 'Desk', tags: ['oak'], price: null, ok: true },
      ]),
    );
    expect(table.columns).toEqual(['name', 'price', 'tags', 'ok']);
    expect(table.rows).toEqual([
      ['Lamp', '10', '', ''],
      ['Desk', '', '["oak"]', 'true'],
    ]);
    expect(table.settings.format).toBe('json');
  });

  it('JSON lines', async () => {
    const table = await importForTest('a.jsonl', '{"q":"Why?"}\n\n{"q":"How?","id":2}\n');
    expect(table.columns).toEqual(['q', 'id']);
    expect(table.rows).toEqual([
      ['Why?', ''],
      ['How?', '2'],
    ]);
  });

  it('says which line of a .jsonl is broken, and what a JSON file must hold', async () => {
    expect((await refusal('a.jsonl', '{"q":1}\n{"q":\n')).message).toContain('line 2 is not valid JSON');
    expect((await refusal('a.json', '{"q":1}')).message).toContain('not a list of rows');
    expect((await refusal('a.json', '[1, 2]')).message).toContain('item 1 is a number');
  });
});

describe('broken inputs get a specific message', () => {
  it('binary garbage named .csv', async () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    const error = await refusal('data.csv', garbage);
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('does not look like a text spreadsheet');
  });

  it('an empty file and a header-only file', async () => {
    expect((await refusal('a.csv', '')).code).toBe('FILE_EMPTY');
    expect((await refusal('a.csv', 'a,b\n')).message).toContain('has a header row but no data rows');
  });

  it('an unclosed quote names the row', async () => {
    expect((await refusal('a.csv', 'a,b\n1,2\n3,"oops\n4,5\n')).message).toContain('starts on row 3 is never closed');
  });

  it('a truncated workbook', async () => {
    const error = await refusal('book.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5]));
    expect(error.code).toBe('FILE_UNREADABLE');
  });
});
