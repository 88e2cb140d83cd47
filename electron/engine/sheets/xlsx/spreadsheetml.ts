import { FORMULA_START, fitCellText, type XlsxCell } from './cell-text.ts';

// The XML of a workbook with one sheet, as Excel lays one out (ECMA-376 Part 1, SpreadsheetML):
// the few parts a package needs, and the worksheet a row at a time.

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

/** Indexes into cellXfs of styles.xml. */
const STYLE_BOLD = 1;
const STYLE_TEXT = 2;
const STYLE_BOLD_TEXT = 3;

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

/** Spaces or line breaks at either end, or a line break anywhere, are kept only with xml:space. */
const NEEDS_PRESERVE = /^\s|\s$|[\n\r\t]/;

/**
 * One cell: a string as an inline string, a number as a number, never a formula. A string that
 * begins like a formula (OWASP: = + - @ tab CR) is inert as stored, but Excel would run it as soon
 * as someone edits the cell and presses Enter, and tools that re-import the values may run it
 * too: it gets the Text number format '@', under which Excel shows and keeps what is typed as text.
 */
function cellXml(ref: string, value: XlsxCell | undefined, bold: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && Number.isFinite(value)) {
    return `<c r="${ref}"${bold ? ` s="${STYLE_BOLD}"` : ''}><v>${value}</v></c>`;
  }
  const text = fitCellText(String(value));
  if (text === '') return '';
  const formulaLike = FORMULA_START.test(text);
  const style = formulaLike ? (bold ? STYLE_BOLD_TEXT : STYLE_TEXT) : bold ? STYLE_BOLD : 0;
  const t = NEEDS_PRESERVE.test(text) ? '<t xml:space="preserve">' : '<t>';
  return `<c r="${ref}"${style === 0 ? '' : ` s="${style}"`} t="inlineStr"><is>${t}${xmlText(text)}</t></is></c>`;
}

/** A row of the worksheet; row 1, the header, is bold. */
export function rowXml(
  rowNumber: number,
  values: readonly (XlsxCell | undefined)[],
  letters: readonly string[],
): string {
  const header = rowNumber === 1;
  let cells = '';
  for (let c = 0; c < values.length; c += 1) cells += cellXml(`${letters[c]}${rowNumber}`, values[c], header);
  return header
    ? `<row r="1" s="${STYLE_BOLD}" customFormat="1">${cells}</row>`
    : `<row r="${rowNumber}">${cells}</row>`;
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

const FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>';
const XF = 'fillId="0" borderId="0" xfId="0"';

const STYLES =
  `${XML}<styleSheet xmlns="${MAIN_NS}">` +
  `<fonts count="2"><font>${FONT}</font><font><b/>${FONT}</font></fonts>` +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="4">' +
  `<xf numFmtId="0" fontId="0" ${XF}/>` +
  `<xf numFmtId="0" fontId="1" ${XF} applyFont="1"/>` +
  // 49 is Excel's built-in Text format, '@'.
  `<xf numFmtId="49" fontId="0" ${XF} applyNumberFormat="1"/>` +
  `<xf numFmtId="49" fontId="1" ${XF} applyFont="1" applyNumberFormat="1"/>` +
  '</cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

/** Every part but the worksheet, in the order they go in the zip. */
export function packageParts(sheetName: string): [name: string, xml: string][] {
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
    ['xl/styles.xml', STYLES],
  ];
}
