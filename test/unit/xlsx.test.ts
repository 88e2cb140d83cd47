import ExcelJS from 'exceljs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXlsx, writeBackXlsx, writeResultsXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { RowbotError } from '../../shared/errors.ts';

async function bytesOf(workbook: ExcelJS.Workbook): Promise<Uint8Array> {
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

/** A workbook with one sheet, built by `fill`. */
async function oneSheet(fill: (sheet: ExcelJS.Worksheet) => void, name = 'Sheet1'): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  fill(workbook.addWorksheet(name));
  return bytesOf(workbook);
}

/** The displayed text of column A, row by row, for values written with these formats. */
async function shown(cells: [ExcelJS.CellValue, string | undefined][]): Promise<string[]> {
  const bytes = await oneSheet((sheet) => {
    cells.forEach(([value, numFmt], i) => {
      const cell = sheet.getCell(i + 1, 1);
      cell.value = value;
      if (numFmt !== undefined) cell.numFmt = numFmt;
    });
  });
  const { rows } = await readXlsx(bytes, 'formats.xlsx', {});
  return rows.map((row) => row[0] ?? '');
}

async function failure(promise: Promise<unknown>): Promise<RowbotError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RowbotError);
  const rowbotError = error as RowbotError;
  // Plain English: no stack trace, no raw library message.
  expect(rowbotError.message).not.toMatch(/\n|\bat .+:\d+|zip|central directory|ExcelJS/i);
  return rowbotError;
}

/** A zip (stored, not compressed) that holds one file: a zip, but not a workbook. */
function storedZip(name: string, content: string): Uint8Array {
  const data = Buffer.from(content);
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return new Uint8Array(Buffer.concat([local, fileName, data, central, fileName, end]));
}

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

describe('readXlsx: cells as Excel shows them', () => {
  it('formats dates and times with their number format', async () => {
    const day = new Date(Date.UTC(2024, 2, 5));
    const moment = new Date(Date.UTC(2024, 2, 5, 14, 30, 15));
    expect(
      await shown([
        [day, 'yyyy-mm-dd'],
        [day, 'm/d/yy'],
        [day, 'd-mmm-yy'],
        [day, 'mmmm d, yyyy'],
        [moment, 'yyyy-mm-dd hh:mm:ss'],
        [moment, 'm/d/yy h:mm'],
        [moment, 'h:mm AM/PM'],
        [day, undefined], // ExcelJS stores a bare date with the built-in date format (id 14)
        [45356, 'dd/mm/yyyy'], // a serial number with a date format is a date too
      ]),
    ).toEqual([
      '2024-03-05',
      '3/5/24',
      '5-Mar-24',
      'March 5, 2024',
      '2024-03-05 14:30:15',
      '3/5/24 14:30',
      '2:30 PM',
      '3/5/2024',
      '05/03/2024',
    ]);
  });

  it('formats percentages, currency and thousands separators', async () => {
    expect(
      await shown([
        [0.123, '0%'],
        [0.12345, '0.00%'],
        [1234.5, '"$"#,##0.00'],
        [-1234.5, '"$"#,##0.00_);[Red]\\("$"#,##0.00\\)'],
        [1234.5, '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)'],
        [1234.5, '#,##0.00 [$€-1]'],
        [1234567, '#,##0'],
        [1234567.891, '#,##0.00'],
        [12345, '0.00E+00'],
        [7, '000'],
      ]),
    ).toEqual([
      '12%',
      '12.35%',
      '$1,234.50',
      '($1,234.50)',
      '$1,234.50',
      '1,234.50 €',
      '1,234,567',
      '1,234,567.89',
      '1.23E+04',
      '007',
    ]);
  });

  it("shows General numbers like a wide enough column in Excel's General format", async () => {
    expect(
      await shown([
        [0.1 + 0.2, undefined],
        [42, undefined],
        [-1.5, undefined],
        [1 / 3, undefined],
        [123456789012, undefined],
        [1e21, undefined],
        [0.00000012345, undefined],
        [0, 'General'],
        [5, '@'],
      ]),
    ).toEqual(['0.3', '42', '-1.5', '0.333333333333333', '123456789012', '1E+21', '1.2345E-07', '0', '5']);
  });

  it('shows booleans, errors, rich text, hyperlinks and the cached results of formulas', async () => {
    expect(
      await shown([
        [true, undefined],
        [false, undefined],
        [{ error: '#N/A' }, undefined],
        [{ richText: [{ text: 'Hello ' }, { font: { bold: true }, text: 'world' }] }, undefined],
        [{ text: 'Rowbot', hyperlink: 'https://example.com' }, undefined],
        [{ formula: '1+1', result: 2 }, undefined],
        [{ formula: 'A1&"!"', result: 'hi!' }, undefined],
        [{ formula: '0.5', result: 0.5 }, '0%'],
        [{ formula: 'DATE(2024,3,5)', result: new Date(Date.UTC(2024, 2, 5)) }, 'yyyy-mm-dd'],
        [{ formula: '1/0', result: { error: '#DIV/0!' } }, undefined],
        [{ formula: 'TRUE()', result: true }, undefined],
        [{ formula: 'NOW()' }, undefined],
        ['last', undefined],
      ]),
    ).toEqual([
      'TRUE',
      'FALSE',
      '#N/A',
      'Hello world',
      'Rowbot',
      '2',
      'hi!',
      '50%',
      '2024-03-05',
      '#DIV/0!',
      'TRUE',
      '',
      'last',
    ]);
  });

  it('keeps the value of a merged range in its top-left cell only', async () => {
    const bytes = await oneSheet((sheet) => {
      sheet.getCell('A1').value = 'Title';
      sheet.mergeCells('A1:C1');
      sheet.getCell('A2').value = 'a';
      sheet.getCell('B2').value = 'b';
      sheet.mergeCells('B2:B3');
      sheet.getCell('C3').value = 'c';
    });
    const { rows } = await readXlsx(bytes, 'merged.xlsx', {});
    expect(rows).toEqual([['Title'], ['a', 'b'], ['', '', 'c']]);
  });

  it('numbers rows as the worksheet does: empty rows are [] and trailing empty cells are trimmed', async () => {
    const bytes = await oneSheet((sheet) => {
      sheet.getCell('B3').value = 'name';
      sheet.getCell('C3').value = 'note';
      sheet.getCell('B4').value = 'Ann';
      sheet.getCell('C4').value = '';
      sheet.getCell('E4').font = { bold: true }; // styled, but empty
      sheet.getCell('B7').value = 'Bob';
      sheet.getCell('A9').font = { italic: true }; // a styled row below the data is not data
    });
    const { rows, rowNumbers } = await readXlsx(bytes, 'gaps.xlsx', {});
    expect(rows).toEqual([['', 'name', 'note'], ['', 'Ann'], [], [], ['', 'Bob']]);
    expect(rowNumbers).toEqual([3, 4, 5, 6, 7]);
  });
});

describe('readXlsx: sheets', () => {
  let bytes: Uint8Array;

  beforeAll(async () => {
    const workbook = new ExcelJS.Workbook();
    const hidden = workbook.addWorksheet('Hidden', { state: 'hidden' });
    hidden.getCell('A1').value = 'secret';
    workbook.addWorksheet('Data').getCell('A1').value = 'data';
    workbook.addWorksheet('Other').getCell('A1').value = 'other';
    workbook.addWorksheet('Blank');
    bytes = await bytesOf(workbook);
  });

  it('lists every sheet and reads the first visible one by default', async () => {
    const sheet = await readXlsx(bytes, 'book.xlsx', {});
    expect(sheet.sheetNames).toEqual(['Hidden', 'Data', 'Other', 'Blank']);
    expect(sheet.sheet).toBe('Data');
    expect(sheet.rows).toEqual([['data']]);
  });

  it('reads the sheet it is asked for, hidden or not', async () => {
    expect((await readXlsx(bytes, 'book.xlsx', { sheet: 'Other' })).rows).toEqual([['other']]);
    expect((await readXlsx(bytes, 'book.xlsx', { sheet: 'Hidden' })).rows).toEqual([['secret']]);
    expect((await readXlsx(bytes, 'book.xlsx', { sheet: 'other' })).sheet).toBe('Other');
  });

  it('names the sheets there are when asked for one that is not', async () => {
    const error = await failure(readXlsx(bytes, 'book.xlsx', { sheet: 'Nope' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('"book.xlsx" has no sheet named "Nope"');
    expect(error.message).toContain('"Hidden", "Data", "Other", "Blank"');
  });

  it('refuses an empty sheet and points to the others', async () => {
    const error = await failure(readXlsx(bytes, 'book.xlsx', { sheet: 'Blank' }));
    expect(error.code).toBe('FILE_EMPTY');
    expect(error.message).toContain('"Blank"');
    expect(error.message).toContain('"Data"');
  });

  it('refuses a workbook whose only sheet is empty', async () => {
    const error = await failure(readXlsx(await oneSheet(() => undefined), 'empty.xlsx', {}));
    expect(error.code).toBe('FILE_EMPTY');
    expect(error.message).toContain('empty');
  });
});

describe('readXlsx: files it cannot read', () => {
  it('refuses a workbook without worksheets as empty', async () => {
    const error = await failure(readXlsx(await bytesOf(new ExcelJS.Workbook()), 'bare.xlsx', {}));
    expect(error.code).toBe('FILE_EMPTY');
    expect(error.message).toContain('"bare.xlsx" has no worksheets');
  });

  it('refuses zero bytes as empty', async () => {
    expect((await failure(readXlsx(new Uint8Array(), 'none.xlsx', {}))).code).toBe('FILE_EMPTY');
  });

  it('refuses a truncated workbook', async () => {
    const whole = await oneSheet((sheet) => sheet.addRow(['a', 'b']));
    const error = await failure(readXlsx(whole.slice(0, Math.floor(whole.length / 2)), 'cut.xlsx', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('"cut.xlsx" could not be opened');
    expect(error.message).toContain('save it again as .xlsx');
  });

  it('refuses random bytes', async () => {
    let seed = 7;
    const noise = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
    const error = await failure(readXlsx(noise, 'noise.xlsx', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('"noise.xlsx" is not an Excel workbook (.xlsx)');
  });

  it('refuses a zip that is not a workbook', async () => {
    const error = await failure(readXlsx(storedZip('word/document.xml', '<w:document/>'), 'letter.xlsx', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('not an Excel workbook');
  });

  it('explains the old binary .xls format', async () => {
    const ole = new Uint8Array(2048);
    ole.set(OLE_SIGNATURE);
    ole.set(Buffer.from('Workbook', 'utf16le'), 1024);
    const error = await failure(readXlsx(ole, 'old.xls', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('old Excel 97-2003 format (.xls)');
    expect(error.message).toContain('Save As > Excel Workbook (.xlsx)');
  });

  it('explains a workbook protected with a password', async () => {
    const ole = new Uint8Array(2048);
    ole.set(OLE_SIGNATURE);
    ole.set(Buffer.from('EncryptionInfo', 'utf16le'), 1024);
    ole.set(Buffer.from('EncryptedPackage', 'utf16le'), 1152);
    const error = await failure(readXlsx(ole, 'locked.xlsx', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('protected with a password');
    expect(error.message).toContain('remove the password');
  });
});

describe('writing workbooks', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rowbot-xlsx-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(path: string): Promise<ExcelJS.Workbook> {
    const workbook = new ExcelJS.Workbook();
    // ExcelJS's types ask for an ArrayBuffer; it reads a Node Buffer just as well.
    await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
    return workbook;
  }

  async function temps(): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
  }

  it('writes results that read back as the same text, with formulas kept as text', async () => {
    const path = join(dir, 'results.xlsx');
    const long = 'x'.repeat(500);
    await writeResultsXlsx(
      path,
      ['name', 'note', 'score', 'output'],
      [
        ['Ann', '=1+1', 3.5, null],
        ['Bob', '@SUM(A1)', -2, 'ok'],
        ['-5', '+x', 0.1 + 0.2, long],
        ['tab', '\tTab', null, 'line 1\nline 2'],
      ],
    );
    const sheet = await readXlsx(await readFile(path), 'results.xlsx', {});
    expect(sheet.sheetNames).toEqual(['Results']);
    expect(sheet.rows).toEqual([
      ['name', 'note', 'score', 'output'],
      ['Ann', '=1+1', '3.5'],
      ['Bob', '@SUM(A1)', '-2', 'ok'],
      ['-5', '+x', '0.3', long],
      ['tab', '\tTab', '', 'line 1\nline 2'],
    ]);
    expect(sheet.rowNumbers).toEqual([1, 2, 3, 4, 5]);

    const written = (await load(path)).getWorksheet('Results');
    if (!written) throw new Error('no Results sheet');
    const formulaLike = written.getCell('B2');
    expect(formulaLike.type).toBe(ExcelJS.ValueType.String);
    expect(formulaLike.value).toBe('=1+1');
    expect(formulaLike.formula).toBeUndefined();
    expect(formulaLike.numFmt).toBe('@');
    expect(written.getCell('B3').numFmt).toBe('@');
    expect(written.getCell('A4').numFmt).toBe('@'); // '-5' is a string that starts like a formula
    expect(written.getCell('A2').numFmt).toBeUndefined();
    expect(written.getCell('C2').value).toBe(3.5);
    expect(written.getCell('D2').value).toBeNull();
    expect(written.getCell('A1').font?.bold).toBe(true);
    expect(written.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(written.getColumn(4).width).toBe(60);
    expect(written.getColumn(3).width).toBe(8);
    expect(await temps()).toEqual([]);
  });

  it("cuts a string longer than Excel's cell limit of 32,767 characters", async () => {
    const path = join(dir, 'long.xlsx');
    await writeResultsXlsx(path, ['output'], [['y'.repeat(40_000)]], 'Long: [sheet]?');
    const sheet = await readXlsx(await readFile(path), 'long.xlsx', {});
    expect(sheet.sheetNames).toEqual(['Long   sheet']);
    expect(sheet.rows[1]?.[0]).toHaveLength(32_767);
  });

  it('fails with EXPORT_FAILED and leaves no temp file when the path cannot be written', async () => {
    const folderInTheWay = join(dir, 'taken.xlsx');
    await mkdir(folderInTheWay);
    const error = await failure(writeResultsXlsx(folderInTheWay, ['a'], [['1']]));
    expect(error.code).toBe('EXPORT_FAILED');
    expect(error.message).toContain(`Could not save the export to "${folderInTheWay}"`);
    expect(error.message).toContain('Choose another folder; your results are safe in Rowbot.');
    expect(await temps()).toEqual([]);

    const missing = join(dir, 'no-such-folder', 'out.xlsx');
    expect((await failure(writeResultsXlsx(missing, ['a'], [['1']]))).code).toBe('EXPORT_FAILED');
  });

  describe('writeBackXlsx', () => {
    let source: Uint8Array;

    beforeAll(async () => {
      const workbook = new ExcelJS.Workbook();
      const data = workbook.addWorksheet('Data');
      data.getCell('A1').value = 'Quarterly report';
      data.getRow(2).values = ['id', 'name', 'price'];
      data.getRow(2).font = { bold: true, color: { argb: 'FF0000FF' } };
      data.getRow(3).values = [1, 'Ann', 10.5];
      data.getRow(4).values = [2, 'Bob', 20];
      data.getRow(5).values = [3, 'Cy', { formula: 'C3+C4', result: 30.5 }];
      data.getColumn(3).numFmt = '"$"#,##0.00';
      for (const row of [3, 4, 5]) data.getCell(row, 3).numFmt = '"$"#,##0.00';
      const notes = workbook.addWorksheet('Notes');
      notes.getCell('A1').value = 'Merged note';
      notes.mergeCells('A1:B2');
      notes.getCell('C3').value = { formula: 'Data!C3*2', result: 21 };
      notes.getCell('C3').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } };
      source = await bytesOf(workbook);
    });

    it('adds the new columns after the last used one and keeps everything else', async () => {
      const outPath = join(dir, 'write-back.xlsx');
      await writeBackXlsx({
        source,
        sheet: 'Data',
        headerRowNumber: 2,
        newColumns: ['output', 'name', 'status'],
        values: new Map<number, (string | number | null)[]>([
          [3, ['A summary', null, 'done']],
          [5, ['=HYPERLINK("http://evil")', 7, 'failed']],
        ]),
        outPath,
      });

      const workbook = await load(outPath);
      expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Data', 'Notes']);
      const data = workbook.getWorksheet('Data');
      const notes = workbook.getWorksheet('Notes');
      if (!data || !notes) throw new Error('sheets missing');

      expect(data.getRow(2).values).toEqual([undefined, 'id', 'name', 'price', 'output', 'name', 'status']);
      expect(data.getCell('D2').font?.bold).toBe(true);
      expect(data.getCell('D3').value).toBe('A summary');
      expect(data.getCell('E3').value).toBeNull();
      expect(data.getCell('F3').value).toBe('done');
      expect(data.getCell('D4').value).toBeNull();
      const formulaLike = data.getCell('D5');
      expect(formulaLike.value).toBe('=HYPERLINK("http://evil")');
      expect(formulaLike.formula).toBeUndefined();
      expect(formulaLike.numFmt).toBe('@');
      expect(data.getCell('E5').value).toBe(7);
      expect(data.getCell('F5').value).toBe('failed');

      expect(data.getCell('A1').value).toBe('Quarterly report');
      expect(data.getCell('B4').value).toBe('Bob');
      expect(data.getCell('C3').value).toBe(10.5);
      expect(data.getCell('C3').numFmt).toBe('"$"#,##0.00');
      expect(data.getCell('C5').value).toEqual({ formula: 'C3+C4', result: 30.5 });
      expect(notes.getCell('A1').value).toBe('Merged note');
      expect(notes.getCell('B2').isMergedTo(notes.getCell('A1'))).toBe(true);
      expect(notes.getCell('C3').value).toEqual({ formula: 'Data!C3*2', result: 21 });
      expect(notes.getCell('C3').fill).toMatchObject({ fgColor: { argb: 'FFFFFF00' } });

      const back = await readXlsx(await readFile(outPath), 'write-back.xlsx', { sheet: 'Data' });
      expect(back.rows).toEqual([
        ['Quarterly report'],
        ['id', 'name', 'price', 'output', 'name', 'status'],
        ['1', 'Ann', '$10.50', 'A summary', '', 'done'],
        ['2', 'Bob', '$20.00'],
        ['3', 'Cy', '$30.50', '=HYPERLINK("http://evil")', '7', 'failed'],
      ]);
      expect(await temps()).toEqual([]);
    });

    it('refuses a sheet the workbook does not have', async () => {
      const error = await failure(
        writeBackXlsx({
          source,
          sheet: 'Missing',
          headerRowNumber: 1,
          newColumns: ['output'],
          values: new Map(),
          outPath: join(dir, 'never.xlsx'),
          sourceName: 'prices.xlsx',
        }),
      );
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('"prices.xlsx" has no sheet named "Missing"');
      expect(error.message).toContain('"Data", "Notes"');
    });

    it('fails with EXPORT_FAILED and leaves no temp file when the path cannot be written', async () => {
      const folderInTheWay = join(dir, 'taken-too.xlsx');
      await mkdir(folderInTheWay);
      const error = await failure(
        writeBackXlsx({
          source,
          sheet: 'Data',
          headerRowNumber: 2,
          newColumns: ['output'],
          values: new Map([[3, ['x']]]),
          outPath: folderInTheWay,
        }),
      );
      expect(error.code).toBe('EXPORT_FAILED');
      expect(error.message).toContain('Choose another folder; your results are safe in Rowbot.');
      expect(await temps()).toEqual([]);
    });
  });
});
