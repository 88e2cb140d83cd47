import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { importForTest } from '../fixtures/import-table.ts';

// Workbooks as other programs write them, built here byte by byte with fflate.

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const rels = (list: [id: string, type: string, target: string][]): string =>
  `${XML}<Relationships xmlns="${PKG_REL_NS}">${list
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL_NS}/${type}" Target="${target}"/>`)
    .join('')}</Relationships>`;

const inline = (ref: string, text: string): string => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

/** One sheet's <sheetData> content in a workbook whose entries are named with `separator`. */
function workbook(
  data: string,
  options: { separator?: '/' | '\\'; targets?: '/' | '\\'; workbookExtra?: string; styles?: string } = {},
): Uint8Array {
  const sep = options.separator ?? '/';
  const target = options.targets ?? '/';
  const name = (path: string): string => path.replaceAll('/', sep);
  const files: Record<string, string> = {
    '[Content_Types].xml': `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
    [name('_rels/.rels')]: rels([['rId1', 'officeDocument', `xl${target}workbook.xml`]]),
    [name('xl/workbook.xml')]:
      `${XML}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>${options.workbookExtra ?? ''}</workbook>`,
    [name('xl/_rels/workbook.xml.rels')]: rels([
      ['rId1', 'worksheet', `worksheets${target}sheet1.xml`],
      ['rId2', 'styles', 'styles.xml'],
    ]),
    [name('xl/styles.xml')]:
      `${XML}<styleSheet xmlns="${MAIN_NS}">${options.styles ?? '<cellXfs><xf numFmtId="0"/></cellXfs>'}</styleSheet>`,
    [name('xl/worksheets/sheet1.xml')]:
      `${XML}<worksheet xmlns="${MAIN_NS}"><sheetData>${data}</sheetData></worksheet>`,
  };
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, strToU8(text)])), {
    level: 6,
  });
}

const table = `<row r="1">${inline('A1', 'name')}${inline('B1', 'city')}</row><row r="2">${inline('A2', 'Ann')}${inline('B2', 'Oslo')}</row>`;

describe('workbooks whose zip entries are named with backslashes (xl\\worksheets\\sheet1.xml)', () => {
  // The zip format wants "/" (APPNOTE.TXT 4.4.17.1), but some writers on Windows use "\";
  // Excel and LibreOffice open such files, so Rowbot does too.
  it('are read like any other, whether the relationships point with "/" or "\\"', async () => {
    for (const targets of ['/', '\\'] as const) {
      const bytes = workbook(table, { separator: '\\', targets });
      expect(await readXlsx(bytes, 'windows.xlsx', {})).toEqual({
        sheetNames: ['Data'],
        sheet: 'Data',
        rows: [
          ['name', 'city'],
          ['Ann', 'Oslo'],
        ],
        rowNumbers: [1, 2],
      });
    }
  });

  it('import with their header and rows', async () => {
    const imported = await importForTest('windows.xlsx', workbook(table, { separator: '\\' }));
    expect(imported.columns).toEqual(['name', 'city']);
    expect(imported.rows).toEqual([['Ann', 'Oslo']]);
    expect(imported.notes).toEqual([]);
  });
});

describe('formulas without saved results (openpyxl, xlsxwriter, scripts)', () => {
  const header = `<row r="1">${inline('A1', 'item')}${inline('B1', 'qty')}${inline('C1', 'price')}${inline('D1', 'total')}${inline('E1', 'label')}</row>`;
  const row = (r: number, total: string, label: string): string =>
    `<row r="${r}">${inline(`A${r}`, `item ${r}`)}<c r="B${r}"><v>${r}</v></c><c r="C${r}"><v>2.5</v></c>${total}${label}</row>`;

  it('says which columns hold them and how to get their values', async () => {
    // A script's <f> with no <v>, and openpyxl's <f> with an empty <v/>.
    const data =
      header +
      row(2, '<c r="D2"><f>B2*C2</f></c>', '<c r="E2"><f>A2&amp;"!"</f><v></v></c>') +
      row(3, '<c r="D3"><f>B3*C3</f></c>', '<c r="E3"><f>A3&amp;"!"</f><v></v></c>');
    const imported = await importForTest('script.xlsx', workbook(data));
    expect(imported.rows.map((r) => [r[3], r[4]])).toEqual([
      ['', ''],
      ['', ''],
    ]);
    expect(imported.notes).toEqual([
      'Columns D, E hold formulas whose results were not saved in "script.xlsx" (4 cells), so they are empty here: the program that wrote it does not calculate formulas. To get their values, open the file in Excel or LibreOffice, save it, and import it again.',
    ]);
  });

  it('says so for a workbook that asks to be calculated on opening, as xlsxwriter writes it with 0 for each result', async () => {
    const data =
      header + row(2, '<c r="D2"><f>B2*C2</f><v>0</v></c>', '') + row(3, '<c r="D3"><f>B3*C3</f><v>0</v></c>', '');
    const imported = await importForTest(
      'xlsxwriter.xlsx',
      workbook(data, { workbookExtra: '<calcPr calcId="124519" fullCalcOnLoad="1"/>' }),
    );
    expect(imported.notes).toEqual([
      'Column D holds formulas whose results were not saved in "xlsxwriter.xlsx" (2 cells), so they may show as empty or 0 here: the program that wrote it does not calculate formulas. To get their values, open the file in Excel or LibreOffice, save it, and import it again.',
    ]);
  });

  it('says nothing of formulas whose results Excel saved, an empty text result included', async () => {
    const data =
      header +
      row(2, '<c r="D2"><f>B2*C2</f><v>5</v></c>', '<c r="E2" t="str"><f>""</f><v></v></c>') +
      row(3, '<c r="D3"><f>B3*C3</f><v>7.5</v></c>', '<c r="E3" t="str"><f>A3</f><v>item 3</v></c>');
    const imported = await importForTest('excel.xlsx', workbook(data, { workbookExtra: '<calcPr calcId="191029"/>' }));
    expect(imported.rows.map((r) => r[3])).toEqual(['5', '7.5']);
    expect(imported.notes).toEqual([]);
  });
});

describe('cells as Excel shows them, in a workbook (SheetJS SSF cases: test/unit/ssf-formats.test.ts)', () => {
  it('text in a format with a text section, fractions, and dates beyond 9999', async () => {
    const styles =
      '<numFmts count="3"><numFmt numFmtId="164" formatCode="&quot;Ref: &quot;@"/><numFmt numFmtId="165" formatCode="# ?/?"/><numFmt numFmtId="166" formatCode="yyyy-mm-dd"/></numFmts>' +
      '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs>';
    const data = `<row r="1"><c r="A1" s="1" t="inlineStr"><is><t>A-7</t></is></c><c r="B1" s="2"><v>0.96</v></c><c r="C1" s="2"><v>2.5</v></c><c r="D1" s="3"><v>2958466</v></c><c r="E1" s="3"><v>45356</v></c></row>`;
    const { rows } = await readXlsx(workbook(data, { styles }), 'formats.xlsx', {});
    expect(rows).toEqual([['Ref: A-7', '1', '2 1/2', '####', '2024-03-05']]);
  });
});
