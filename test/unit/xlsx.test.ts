import ExcelJS from 'exceljs';
import { strFromU8, strToU8, unzipSync, Zip, ZipDeflate, ZipPassThrough, zipSync } from 'fflate';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A zip of these files, stored (so tests can find and change their bytes) or deflated. */
function zipOf(files: Record<string, string | Uint8Array>, options: { deflate?: boolean } = {}): Uint8Array {
  const parts = Object.fromEntries(
    Object.entries(files).map(([name, content]) => [name, typeof content === 'string' ? strToU8(content) : content]),
  );
  return zipSync(parts, { level: options.deflate ? 6 : 0 });
}

/** A zip written as a stream: each entry gives its sizes only after its data, as Java's zip writers do. */
function streamedZipOf(files: [name: string, content: string | Uint8Array, deflate: boolean][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    chunks.push(chunk);
  });
  for (const [name, content, deflate] of files) {
    const file = deflate ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    zip.add(file);
    file.push(typeof content === 'string' ? strToU8(content) : content, true);
  }
  zip.end();
  return new Uint8Array(Buffer.concat(chunks));
}

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function relationships(rels: [id: string, type: string, target: string][]): string {
  return `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL_NS}/${type}" Target="${target}"/>`)
    .join('')}</Relationships>`;
}

interface HandMadeSheet {
  name: string;
  /** The content of <sheetData>. */
  data: string;
  state?: 'hidden' | 'veryHidden';
  /** What follows <sheetData>, such as <mergeCells>. */
  after?: string;
}

/**
 * A workbook written the way Excel lays one out, from the XML of its sheets: for what ExcelJS
 * never writes (inline strings, phonetic guides, the 1904 date system, built-in formats by id).
 */
function handMade(
  sheets: HandMadeSheet[],
  options: { sharedStrings?: string[]; numFmts?: string; cellXfs?: string[]; date1904?: boolean } = {},
): Uint8Array {
  const files: Record<string, string> = {
    '_rels/.rels': relationships([['rId1', 'officeDocument', 'xl/workbook.xml']]),
    'xl/workbook.xml': `${XML}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">${
      options.date1904 ? '<workbookPr date1904="1"/>' : ''
    }<sheets>${sheets
      .map(
        (sheet, i) =>
          `<sheet name="${sheet.name}" sheetId="${i + 1}"${sheet.state ? ` state="${sheet.state}"` : ''} r:id="rId${i + 1}"/>`,
      )
      .join('')}</sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': relationships([
      ...sheets.map((_, i): [string, string, string] => [`rId${i + 1}`, 'worksheet', `worksheets/sheet${i + 1}.xml`]),
      ['rIdS', 'styles', 'styles.xml'],
      ['rIdT', 'sharedStrings', 'sharedStrings.xml'],
    ]),
    'xl/styles.xml': `${XML}<styleSheet xmlns="${MAIN_NS}">${options.numFmts ?? ''}<cellXfs>${(
      options.cellXfs ?? ['<xf numFmtId="0"/>']
    ).join('')}</cellXfs></styleSheet>`,
  };
  sheets.forEach((sheet, i) => {
    files[`xl/worksheets/sheet${i + 1}.xml`] =
      `${XML}<worksheet xmlns="${MAIN_NS}" xmlns:x="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetData>${sheet.data}</sheetData>${sheet.after ?? ''}</worksheet>`;
  });
  if (options.sharedStrings) {
    files['xl/sharedStrings.xml'] = `${XML}<sst xmlns="${MAIN_NS}">${options.sharedStrings.join('')}</sst>`;
  }
  return zipOf(files, { deflate: true });
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

  it('shows the text result of a formula as text, whatever the number format of its cell', async () => {
    expect(
      await shown([
        [{ formula: 'A1&"x"', result: 'not a date' }, 'yyyy-mm-dd'],
        [{ formula: 'A1&"x"', result: '12' }, '0.00%'],
      ]),
    ).toEqual(['not a date', '12']);
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

describe('readXlsx: workbooks written by other tools', () => {
  /** A cell with an inline string. */
  const inline = (ref: string, text: string): string => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

  it('shows shared and inline strings as Excel does: rich text joined, phonetic guides left out, escapes undone', async () => {
    const bytes = handMade(
      [
        {
          name: 'Sheet1',
          data: [
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>',
            '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>99</v></c></row>',
            `<row r="3">${inline('A3', 'inline')}<c r="B3" t="inlineStr"><is><r><rPr><i/></rPr><t>in</t></r><r><t xml:space="preserve">line </t></r></is></c>`,
            '<c r="C3" t="inlineStr"><is><t>大阪</t><rPh sb="0" eb="2"><t>オオサカ</t></rPh></is></c></row>',
          ].join(''),
        },
      ],
      {
        sharedStrings: [
          '<si><t>plain</t></si>',
          '<si><r><rPr><b/></rPr><t xml:space="preserve">Hello </t></r><r><t>world</t></r></si>',
          '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>',
          '<si><t>line 1_x000D_\nline 2, not _x005F_x0041_</t></si>',
          '<si><t>a &amp; b &lt;c&gt; &#233;</t></si>',
        ],
      },
    );
    const { rows } = await readXlsx(bytes, 'strings.xlsx', {});
    expect(rows).toEqual([
      ['plain', 'Hello world', '東京'],
      ['line 1\r\nline 2, not _x0041_', 'a & b <c> é'],
      ['inline', 'inline ', '大阪'],
    ]);
  });

  it('shows the saved result of a formula of every type, and nothing for a formula without one', async () => {
    const bytes = handMade([
      {
        name: 'Sheet1',
        data: [
          '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>',
          '<row r="2"><c r="A2" t="b"><f>TRUE()</f><v>1</v></c><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>',
          '<row r="3"><c r="A3"><f t="shared" ref="A3:B3" si="0">COLUMN()</f><v>1</v></c><c r="B3"><f t="shared" si="0"/><v>2</v></c></row>',
          `<row r="4"><c r="A4"><f>NOW()</f></c>${inline('B4', 'end')}</row>`,
        ].join(''),
      },
    ]);
    const { rows } = await readXlsx(bytes, 'formulas.xlsx', {});
    expect(rows).toEqual([
      ['2', 'ab'],
      ['TRUE', '#DIV/0!'],
      ['1', '2'],
      ['', 'end'],
    ]);
  });

  it('numbers rows and cells that leave out their references, and reads prefixed element names', async () => {
    const bytes = handMade([
      {
        name: 'Sheet1',
        data: [
          '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>1</x:v></x:c></x:row>',
          '<x:row r="3"><x:c r="C3"><x:v>3</x:v></x:c><x:c><x:v>4</x:v></x:c></x:row>',
          '<x:row><x:c><x:v>5</x:v></x:c></x:row>',
        ].join(''),
      },
    ]);
    const { rows, rowNumbers } = await readXlsx(bytes, 'prefixed.xlsx', {});
    expect(rows).toEqual([['a', '1'], [], ['', '', '3', '4'], ['5']]);
    expect(rowNumbers).toEqual([1, 2, 3, 4]);
  });

  describe('dates and formats given only by an id', () => {
    const styles = {
      numFmts: '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm"/></numFmts>',
      cellXfs: [0, 14, 164, 44, 10, 46, 20, 3].map((id) => `<xf numFmtId="${id}" applyNumberFormat="1"/>`),
    };
    const row = (r: number, cells: [style: number, value: string, type?: string][]): string =>
      `<row r="${r}">${cells
        .map(
          ([style, value, type], i) =>
            `<c r="${String.fromCharCode(65 + i)}${r}" s="${style}"${type ? ` t="${type}"` : ''}><v>${value}</v></c>`,
        )
        .join('')}</row>`;

    it('shows built-in formats as Excel does in en-US, and dates in the 1900 date system', async () => {
      const data =
        row(1, [
          [1, '45356'],
          [2, '45356.6041666667'],
          [3, '1234.5'],
          [4, '0.1234'],
        ]) +
        row(2, [
          [5, '1.5'],
          [6, '0.6041666667'],
          [7, '1234567'],
          [0, '45356'],
        ]) +
        row(3, [
          [0, '2024-03-05T14:30:00', 'd'],
          [1, '2024-03-05', 'd'],
          [0, '2024-03-05', 'd'],
          [0, 'not a date', 'd'],
        ]);
      const { rows } = await readXlsx(handMade([{ name: 'Sheet1', data }], styles), 'dates.xlsx', {});
      expect(rows).toEqual([
        ['3/5/2024', '2024-03-05 14:30', '$1,234.50', '12.34%'],
        ['36:00:00', '14:30', '1,234,567', '45356'],
        ['2024-03-05 14:30:00', '3/5/2024', '2024-03-05', 'not a date'],
      ]);
    });

    it('counts days from 1904 in a workbook in the 1904 date system, but not times, durations or typed dates', async () => {
      const data =
        row(1, [
          [1, '43894'],
          [2, '43894.6041666667'],
          [5, '1.5'],
          [6, '0.6041666667'],
        ]) +
        row(2, [
          [0, '43894'],
          [1, '2024-03-05', 'd'],
        ]);
      const { rows } = await readXlsx(
        handMade([{ name: 'Sheet1', data }], { ...styles, date1904: true }),
        'mac.xlsx',
        {},
      );
      expect(rows).toEqual([
        ['3/5/2024', '2024-03-05 14:30', '36:00:00', '14:30'],
        ['43894', '3/5/2024'],
      ]);
    });
  });

  it('keeps only the top-left value of a merged range, even when the other cells hold values', async () => {
    const bytes = handMade([
      {
        name: 'Sheet1',
        data: [
          `<row r="1">${inline('A1', 'Title')}${inline('B1', 'stale')}${inline('C1', 'stale')}${inline('D1', 'kept')}</row>`,
          `<row r="2">${inline('A2', 'a')}</row>`,
          `<row r="3">${inline('A3', 'stale')}${inline('B3', 'b')}</row>`,
          `<row r="5">${inline('B5', 'stale')}</row>`,
        ].join(''),
        after:
          '<mergeCells count="3"><mergeCell ref="A1:C1"/><mergeCell ref="A2:A3"/><mergeCell ref="A5:B5"/></mergeCells>',
      },
    ]);
    const { rows, rowNumbers } = await readXlsx(bytes, 'merged.xlsx', {});
    expect(rows).toEqual([['Title', '', '', 'kept'], ['a'], ['', 'b']]);
    expect(rowNumbers).toEqual([1, 2, 3]);
  });

  it('finds the parts through their relationships, whatever their names, case and order in the zip', async () => {
    const bytes = zipOf({
      'XL/Worksheets/Second.xml': `<worksheet xmlns="${MAIN_NS}"><sheetData><row r="2"><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`,
      'xl/strings.xml': `<sst xmlns="${MAIN_NS}"><si><t>second</t></si></sst>`,
      'xl/data/first.xml': `<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1">${inline('A1', 'first')}</row></sheetData></worksheet>`,
      'xl/_rels/book.xml.rels': relationships([
        ['rId1', 'worksheet', '/xl/data/first.xml'],
        ['rId2', 'chartsheet', 'chartsheets/sheet1.xml'],
        ['rId3', 'worksheet', 'worksheets/second.xml'],
        ['rId4', 'sharedStrings', 'strings.xml'],
      ]),
      'xl/book.xml': `<workbook xmlns="${MAIN_NS}" xmlns:rel="${REL_NS}"><sheets><sheet name="Data" sheetId="1" rel:id="rId1"/><sheet name="Chart" sheetId="2" rel:id="rId2"/><sheet name="Second" sheetId="3" rel:id="rId3"/></sheets></workbook>`,
      '_rels/.rels': relationships([['rId1', 'officeDocument', 'xl/book.xml']]),
    });
    expect(await readXlsx(bytes, 'odd.xlsx', {})).toEqual({
      sheetNames: ['Data', 'Second'],
      sheet: 'Data',
      rows: [['first']],
      rowNumbers: [1],
    });
    expect((await readXlsx(bytes, 'odd.xlsx', { sheet: 'Second' })).rows).toEqual([['', 'second']]);
  });

  it('reads characters of several bytes that a chunk of the inflated XML cuts in two', async () => {
    // Built by hand: ExcelJS's writer can itself cut an emoji in two in a long part (see the
    // tests of writing). Parts of over a megabyte, made mostly of characters of 2 to 4 bytes,
    // so that many of the chunks the XML is parsed in end inside a character.
    const texts = Array.from({ length: 4000 }, (_, i) => `${i} Zürich – 東京 😀 ${'😀東é'.repeat(40 + (i % 13))}`);
    const bytes = handMade(
      [
        {
          name: 'Sheet1',
          data: texts
            .map(
              (text, i) =>
                `<row r="${i + 1}"><c r="A${i + 1}" t="s"><v>${i}</v></c>${inline(`B${i + 1}`, `=${text}`)}</row>`,
            )
            .join(''),
        },
      ],
      { sharedStrings: texts.map((text) => `<si><t>${text}</t></si>`) },
    );
    const { rows } = await readXlsx(bytes, 'unicode.xlsx', {});
    expect(rows).toEqual(texts.map((text) => [text, `=${text}`]));
  });

  it('reads big parts of a zip whose entries give their sizes after their data, even after one that looks like a header', async () => {
    const data = Array.from(
      { length: 30_000 },
      (_, i) => `<row r="${i + 1}">${inline(`A${i + 1}`, `row ${i + 1}`)}</row>`,
    );
    const parts: [string, string | Uint8Array, boolean][] = [
      [
        'xl/workbook.xml',
        `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
        true,
      ],
      ['xl/_rels/workbook.xml.rels', relationships([['rId1', 'worksheet', 'worksheets/sheet1.xml']]), true],
      // Over a megabyte, so it is inflated as a stream.
      [
        'xl/worksheets/sheet1.xml',
        `<worksheet xmlns="${MAIN_NS}"><sheetData>${data.join('')}</sheetData></worksheet>`,
        true,
      ],
    ];
    const expected = Array.from({ length: 30_000 }, (_, i) => [`row ${i + 1}`]);
    expect((await readXlsx(streamedZipOf(parts), 'streamed.xlsx', {})).rows).toEqual(expected);

    // A stored entry (an embedded object, say) that holds what looks like a local header, one
    // that claims 2 GB of data: a reader that goes by the local headers loses its way here.
    const header = Buffer.alloc(34);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt32LE(0x7fffffff, 18);
    header.writeUInt16LE(4, 26);
    header.write('junk', 30);
    const misleading = streamedZipOf([['xl/embeddings/object.bin', header, false], ...parts]);
    expect((await readXlsx(misleading, 'streamed.xlsx', {})).rows).toEqual(expected);
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
    const error = await failure(readXlsx(zipOf({ 'word/document.xml': '<w:document/>' }), 'letter.xlsx', {}));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('not an Excel workbook');
  });

  it('refuses a workbook whose parts do not inflate, or whose XML is broken or cut short', async () => {
    const sheetXml = `<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`;
    const workbook = (sheet: string, options: { deflate?: boolean } = {}): Uint8Array =>
      zipOf(
        {
          'xl/worksheets/sheet1.xml': sheet,
          'xl/workbook.xml': `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
          'xl/_rels/workbook.xml.rels': relationships([['rId1', 'worksheet', 'worksheets/sheet1.xml']]),
        },
        options,
      );
    const damagedAs = async (bytes: Uint8Array, name: string): Promise<void> => {
      const error = await failure(readXlsx(bytes, name, {}));
      expect(error.code).toBe('FILE_UNREADABLE');
      expect(error.message).toContain(`"${name}" could not be opened`);
    };
    expect((await readXlsx(workbook(sheetXml, { deflate: true }), 'fine.xlsx', {})).rows).toEqual([['1']]);
    expect((await readXlsx(workbook(sheetXml), 'fine.xlsx', {})).rows).toEqual([['1']]);

    // The sheet is the first entry: its deflated data follows a 30-byte header and its name.
    // Small parts are inflated whole, big ones (over a megabyte) as a stream.
    const rows = Array.from({ length: 30_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`);
    const bigSheetXml = sheetXml.replace(/<sheetData>.*<\/sheetData>/, `<sheetData>${rows.join('')}</sheetData>`);
    expect((await readXlsx(workbook(bigSheetXml, { deflate: true }), 'big.xlsx', {})).rows).toHaveLength(30_000);
    for (const sheet of [sheetXml, bigSheetXml]) {
      const garbled = workbook(sheet, { deflate: true });
      const data = 30 + 'xl/worksheets/sheet1.xml'.length;
      garbled.fill(0xff, data, data + 8);
      await damagedAs(garbled, 'garbled.xlsx');
    }

    const broken = Buffer.from(workbook(sheetXml));
    broken.write('</rox>', broken.indexOf('</row>'));
    await damagedAs(new Uint8Array(broken), 'broken.xlsx');

    await damagedAs(workbook(sheetXml.slice(0, sheetXml.indexOf('</sheetData>'))), 'cut.xlsx');
  });

  it('refuses a workbook that lists a worksheet it does not hold, or rows beyond what Excel allows', async () => {
    const workbook = {
      'xl/workbook.xml': `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      'xl/_rels/workbook.xml.rels': relationships([['rId1', 'worksheet', 'worksheets/sheet1.xml']]),
    };
    expect((await failure(readXlsx(zipOf(workbook), 'missing.xlsx', {}))).code).toBe('FILE_UNREADABLE');
    const tooFar = zipOf({
      ...workbook,
      'xl/worksheets/sheet1.xml': `<worksheet xmlns="${MAIN_NS}"><sheetData><row r="99999999"><c r="A99999999"><v>1</v></c></row></sheetData></worksheet>`,
    });
    expect((await failure(readXlsx(tooFar, 'far.xlsx', {}))).code).toBe('FILE_UNREADABLE');
  });

  it('refuses an Office document that is not a workbook, and explains a workbook with only chart sheets', async () => {
    const letter = zipOf({
      '_rels/.rels': relationships([['rId1', 'officeDocument', 'word/document.xml']]),
      'word/document.xml': '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
    });
    const notWorkbook = await failure(readXlsx(letter, 'letter.xlsx', {}));
    expect(notWorkbook.code).toBe('FILE_UNREADABLE');
    expect(notWorkbook.message).toContain('not an Excel workbook');

    const charts = zipOf({
      'xl/workbook.xml': `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="Chart1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      'xl/_rels/workbook.xml.rels': relationships([['rId1', 'chartsheet', 'chartsheets/sheet1.xml']]),
      'xl/chartsheets/sheet1.xml': '<chartsheet/>',
    });
    const onlyCharts = await failure(readXlsx(charts, 'charts.xlsx', {}));
    expect(onlyCharts.code).toBe('FILE_EMPTY');
    expect(onlyCharts.message).toContain('"charts.xlsx" has no worksheets');
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

  /** A long model output with emoji (one of several code points), CJK outside the BMP and accents. */
  const astral = (i: number): string =>
    `${i} 😀 東京 ${'🎉'.repeat(i % 13)} 𠮷野家 ${'é'.repeat(i % 7)} ${'x'.repeat(i % 300)} 👩‍👩‍👧 end`;

  // ExcelJS's own zip writer (JSZip) encodes each part in slices of 16,384 UTF-16 units, and a
  // character outside the BMP that straddled two slices came out as two U+FFFD: in 5,000 rows
  // like these, a few rows lost a character.
  it('writes emoji and CJK text in thousands of rows without losing a character', async () => {
    const texts = Array.from({ length: 5000 }, (_, i) => astral(i));
    const path = join(dir, 'emoji.xlsx');
    await writeResultsXlsx(
      path,
      ['input', 'output'],
      texts.map((text) => [text, `=${text}`]),
    );
    const { rows } = await readXlsx(await readFile(path), 'emoji.xlsx', {});
    expect(rows).toEqual([['input', 'output'], ...texts.map((text) => [text, `=${text}`])]);
  });

  it("writes back emoji and CJK text in thousands of rows, and keeps the workbook's own, without losing a character", async () => {
    const inputs = Array.from({ length: 5000 }, (_, i) => astral(i));
    const outputs = inputs.map((text, i) => `${astral(i + 1)} / ${text}`);
    // Made with fflate, not ExcelJS, so that the source itself has every character.
    const source = handMade(
      [
        {
          name: 'Data',
          data: [
            '<row r="1"><c r="A1" t="inlineStr"><is><t>input</t></is></c></row>',
            ...inputs.map((_, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="s"><v>${i}</v></c></row>`),
          ].join(''),
        },
      ],
      { sharedStrings: inputs.map((text) => `<si><t>${text}</t></si>`) },
    );
    const outPath = join(dir, 'emoji-back.xlsx');
    await writeBackXlsx({
      source,
      sheet: 'Data',
      headerRowNumber: 1,
      newColumns: ['output'],
      values: new Map(outputs.map((text, i) => [i + 2, [text]])),
      outPath,
    });
    const { rows } = await readXlsx(await readFile(outPath), 'emoji-back.xlsx', {});
    expect(rows).toEqual([['input', 'output'], ...inputs.map((text, i) => [text, outputs[i]])]);
  });

  it('writes a workbook that ExcelJS opens: a bold header, the Text format on formula-like cells, no formulas', async () => {
    const path = join(dir, 'styles.xlsx');
    await writeResultsXlsx(
      path,
      ['name', '=header'],
      [
        ['=HYPERLINK("http://evil")', 'plain'],
        [7, '-1'],
      ],
    );
    const sheet = (await load(path)).worksheets[0];
    if (!sheet) throw new Error('no sheet');
    expect(sheet.name).toBe('Results');
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    expect(sheet.getCell('B1').font?.bold).toBe(true);
    expect(sheet.getCell('B1').numFmt).toBe('@');
    const formulaLike = sheet.getCell('A2');
    expect(formulaLike.type).toBe(ExcelJS.ValueType.String);
    expect(formulaLike.value).toBe('=HYPERLINK("http://evil")');
    expect(formulaLike.formula).toBeUndefined();
    expect(formulaLike.numFmt).toBe('@');
    expect(formulaLike.font?.bold).toBeFalsy();
    expect(sheet.getCell('B2').numFmt).toBeUndefined();
    expect(sheet.getCell('A3').value).toBe(7);
    expect(sheet.getCell('B3').numFmt).toBe('@');

    const parts = unzipSync(await readFile(path));
    expect(Object.keys(parts).sort()).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'xl/_rels/workbook.xml.rels',
      'xl/styles.xml',
      'xl/workbook.xml',
      'xl/worksheets/sheet1.xml',
    ]);
    const xml = strFromU8(parts['xl/worksheets/sheet1.xml'] as Uint8Array);
    expect(xml).not.toMatch(/<f[ >]/);
    expect(xml).toContain('<c r="A2" s="2" t="inlineStr"><is><t>=HYPERLINK("http://evil")</t></is></c>');
  });

  it('escapes markup, keeps CR and control characters as Excel does, and never writes XML a parser refuses', async () => {
    const path = join(dir, 'escapes.xlsx');
    const texts = [
      'a & b <c> "q" \'s\'',
      'bell\u0007 nul\u0000 esc\u001B end',
      'crlf\r\nline\rcr',
      '_x0041_ is not an A',
      ' lead and trail ',
      'not a character: \uFFFE',
    ];
    await writeResultsXlsx(
      path,
      ['text', '\u0001odd <header>'],
      [...texts.map((text) => [text]), ['lone \uD800 half']],
    );
    const { rows } = await readXlsx(await readFile(path), 'escapes.xlsx', {});
    expect(rows).toEqual([['text', '\u0001odd <header>'], ...texts.map((text) => [text]), ['lone \uFFFD half']]);
    const sheet = (await load(path)).worksheets[0];
    expect(sheet?.getCell('A2').value).toBe('a & b <c> "q" \'s\'');
    expect(sheet?.getCell('A4').value).toBe('crlf\r\nline\rcr');
    expect(sheet?.getCell('A6').value).toBe(' lead and trail ');
    const xml = strFromU8(unzipSync(await readFile(path))['xl/worksheets/sheet1.xml'] as Uint8Array);
    // eslint-disable-next-line no-control-regex -- no raw control character may reach the XML
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\r\uFFFE]/);
    expect(xml).toContain('bell_x0007_ nul_x0000_ esc_x001B_ end');
    expect(xml).toContain('_x005F_x0041_ is not an A');
  });

  it('refuses more rows than a worksheet holds, before writing anything', async () => {
    const path = join(dir, 'too-many.xlsx');
    const rows: (string | number | null)[][] = new Array<(string | number | null)[]>(1_048_576).fill(['x']);
    const error = await failure(writeResultsXlsx(path, ['a'], rows));
    expect(error.code).toBe('EXPORT_FAILED');
    expect(error.message).toContain('at most 1,048,576 rows');
    expect(await readdir(dir)).not.toContain('too-many.xlsx');
    expect(await temps()).toEqual([]);
  });

  it('gives the event loop a turn every few thousand rows', async () => {
    // Building the whole workbook model blocked the event loop for the whole write: over a second for these rows.
    let turns = 0;
    let longestWait = 0;
    let last = performance.now();
    let writing = true;
    const tick = (): void => {
      const now = performance.now();
      longestWait = Math.max(longestWait, now - last);
      last = now;
      turns += 1;
      if (writing) setImmediate(tick);
    };
    setImmediate(tick);
    const rows = Array.from({ length: 40_000 }, (_, i) => [`row ${i}`, i, 'x'.repeat(200)]);
    await writeResultsXlsx(join(dir, 'turns.xlsx'), ['name', 'n', 'output'], rows);
    writing = false;
    expect(turns).toBeGreaterThanOrEqual(10);
    // Some milliseconds a batch; generous for a busy machine.
    expect(longestWait).toBeLessThan(500);
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
