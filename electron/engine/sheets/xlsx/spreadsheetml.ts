// The XML of a workbook with one sheet, as Excel lays one out (ECMA-376 Part 1, SpreadsheetML):
// the few parts a package needs, and the worksheet around its rows (result-cells.ts writes those).

export const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
export const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

// Characters XML 1.0 cannot hold (control characters other than tab, newline and CR, U+FFFE and
// U+FFFF), a CR (which an XML parser reads as a newline), the characters markup uses, and a
// literal "_x" followed by four hex digits and "_" (which Excel would read as an escape).
// A surrogate without its other half (no character at all) needs nothing here: encoding to
// UTF-8 writes it as U+FFFD.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TEXT_ESCAPES = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/g;
const TEXT_SPECIAL = new RegExp(TEXT_ESCAPES.source);

function hex4(char: string): string {
  return char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
}

function escapeChar(char: string): string {
  switch (char) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '\r':
      // A character reference survives the parser's line-end handling; a raw CR does not.
      return '&#13;';
    default:
      // Excel's own escape for what XML cannot hold (ST_Xstring): _xHHHH_, read back as the
      // character. A literal "_x0041_" keeps its underscore as _x005F_.
      return `_x${hex4(char)}_`;
  }
}

/** Text for a <t> element: markup escaped, characters XML cannot hold as Excel's _xHHHH_ escapes. */
export function xmlText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_ESCAPES, escapeChar) : text;
}

export function xmlAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (char) => (char === '"' ? '&quot;' : escapeChar(char)));
}

/** The letters of a 1-based column number: 1 is A, 27 is AA. */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

/** The worksheet up to its first row: the used range, the header frozen, the column widths. */
export function sheetHead(rowCount: number, widths: readonly number[]): string {
  const last = `${columnLetters(Math.max(widths.length, 1))}${Math.max(rowCount, 1)}`;
  const cols = widths
    .map((width, i) => `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"/>`)
    .join('');
  return (
    `${XML}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
    `<dimension ref="${last === 'A1' ? 'A1' : `A1:${last}`}"/>` +
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">' +
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
    `<sheetFormatPr defaultRowHeight="15"/>${cols === '' ? '' : `<cols>${cols}</cols>`}<sheetData>`
  );
}

export const SHEET_TAIL =
  '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>';

export const SHEET_PART = 'xl/worksheets/sheet1.xml';

function relationships(rels: [type: string, target: string][]): string {
  const items = rels.map(
    ([type, target], i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/${type}" Target="${target}"/>`,
  );
  return `${XML}<Relationships xmlns="${PACKAGE_RELS_NS}">${items.join('')}</Relationships>`;
}

/** Every part but the worksheet, in the order they go in the zip; `styles` is the styles part the cells use. */
export function packageParts(sheetName: string, styles: string): [name: string, xml: string][] {
  const override = (part: string, type: string): string => `<Override PartName="/${part}" ContentType="${type}"/>`;
  const contentTypes =
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    override('xl/workbook.xml', `${OFFICE_TYPE}.sheet.main+xml`) +
    override(SHEET_PART, `${OFFICE_TYPE}.worksheet+xml`) +
    override('xl/styles.xml', `${OFFICE_TYPE}.styles+xml`) +
    '</Types>';
  const workbook =
    `${XML}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView activeTab="0"/></bookViews>` +
    `<sheets><sheet name="${xmlAttribute(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`;
  return [
    ['[Content_Types].xml', contentTypes],
    ['_rels/.rels', relationships([['officeDocument', 'xl/workbook.xml']])],
    ['xl/workbook.xml', workbook],
    [
      'xl/_rels/workbook.xml.rels',
      relationships([
        ['worksheet', 'worksheets/sheet1.xml'],
        ['styles', 'styles.xml'],
      ]),
    ],
    ['xl/styles.xml', styles],
  ];
}
