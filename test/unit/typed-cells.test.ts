// The typed cells of an imported workbook, as an .xlsx export looks them up (issue 14 keeps them
// in typed arrays rather than a Map per row): rows and cells in any order, a cell given twice,
// values kept as numbers or, when they do not print back as such, as their text.
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readTypedSheet } from '../../electron/engine/sheets/xlsx/typed-cells.ts';

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const rels = (list: [id: string, type: string, target: string][]): string =>
  `${XML}<Relationships xmlns="${PKG_REL_NS}">${list
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL_NS}/${type}" Target="${target}"/>`)
    .join('')}</Relationships>`;

/** A workbook with one sheet, "Data": styles 0 General, 1 "0.00", 2 built-in 14 (a date). */
function workbook(sheetData: string): Uint8Array {
  const files: Record<string, string> = {
    '[Content_Types].xml': `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`,
    '_rels/.rels': rels([['rId1', 'officeDocument', 'xl/workbook.xml']]),
    'xl/workbook.xml': `${XML}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': rels([
      ['rId1', 'worksheet', 'worksheets/sheet1.xml'],
      ['rId2', 'styles', 'styles.xml'],
    ]),
    'xl/styles.xml': `${XML}<styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.00"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    'xl/worksheets/sheet1.xml': `${XML}<worksheet xmlns="${MAIN_NS}"><sheetData>${sheetData}</sheetData></worksheet>`,
  };
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, strToU8(text)])));
}

describe('readTypedSheet', () => {
  it('finds cells in rows out of order, keeps the last of a cell given twice, and the text of odd values', async () => {
    const sheet = await readTypedSheet(
      workbook(
        '<row r="3"><c r="B3"><v>7</v></c><c r="A3"><v>0.5</v></c></row>' +
          '<row r="2"><c r="A2"><v>1</v></c><c r="C2" t="b"><v>1</v></c><c r="A2"><v>2</v></c>' +
          '<c r="D2" s="2"><v>45000</v></c><c r="E2"><v>1.5E+3</v></c><c r="F2"><v> 12 </v></c>' +
          '<c r="G2" t="s"><v>0</v></c><c r="H2"><v></v></c></row>' +
          // No r: the row after the last one (3 again), its cells from column A.
          '<row><c><v>9</v></c><c><v>-0</v></c></row>',
      ),
      'Data',
    );
    expect(sheet.lookup(2, 0, '2')).toEqual({ number: 2 });
    expect(sheet.lookup(2, 0, '1')).toBeUndefined();
    expect(sheet.lookup(2, 2, 'TRUE')).toBe(true);
    expect(sheet.lookup(2, 2, 'FALSE')).toBeUndefined();
    expect(sheet.lookup(2, 3, '3/15/2023')).toEqual({ number: 45000, format: 'm/d/yyyy' });
    expect(sheet.lookup(2, 4, '1500')).toEqual({ number: 1500 });
    expect(sheet.lookup(2, 5, '12')).toEqual({ number: 12 });
    // A shared string and an empty value are no typed cells.
    expect(sheet.lookup(2, 6, '0')).toBeUndefined();
    expect(sheet.lookup(2, 7, '')).toBeUndefined();
    // Row 3 twice: its second cells win.
    expect(sheet.lookup(3, 0, '9')).toEqual({ number: 9 });
    expect(sheet.lookup(3, 0, '0.5')).toBeUndefined();
    expect(Object.is((sheet.lookup(3, 1, '0') as { number: number }).number, -0)).toBe(true);
    expect(sheet.lookup(1, 0, '1')).toBeUndefined();
    expect(sheet.lookup(4, 0, '9')).toBeUndefined();
  });

  it('finds every cell of thousands of rows given last to first', async () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => 3_000 - i)
      .map((n) => `<row r="${n}"><c r="A${n}" s="1"><v>${n / 4}</v></c><c r="C${n}" t="b"><v>${n % 2}</v></c></row>`)
      .join('');
    const sheet = await readTypedSheet(workbook(rows), 'Data');
    for (let n = 1; n <= 3_000; n += 1) {
      expect(sheet.lookup(n, 0, (n / 4).toFixed(2))).toEqual({ number: n / 4, format: '0.00' });
      expect(sheet.lookup(n, 2, n % 2 === 1 ? 'TRUE' : 'FALSE')).toBe(n % 2 === 1);
      expect(sheet.lookup(n, 1, '0')).toBeUndefined();
    }
  });
});
