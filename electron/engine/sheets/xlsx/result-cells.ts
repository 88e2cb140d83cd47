import { FORMULA_START, fitCellText, longestLine, type XlsxCell } from './cell-text.ts';
import { MAIN_NS, XML, xmlAttribute, xmlText } from './spreadsheetml.ts';

// The cells of a new results workbook with their types: text, numbers, booleans, and numbers that
// keep the number format they had in the user's workbook (a date is a number shown as a date).

/** A number as the user's workbook held it, with its number format (none: General). */
export interface FormattedNumber {
  number: number;
  format?: string;
}

export type ResultCell = XlsxCell | boolean | FormattedNumber;

const FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>';
const XF = 'fillId="0" borderId="0" xfId="0"';
/** The first id of a number format of the workbook's own (the ones below are Excel's built-in ones). */
const FIRST_CUSTOM_FORMAT = 164;

/** Indexes into cellXfs: the four fixed styles, then one per number format met. */
const STYLE_BOLD = 1;
const STYLE_TEXT = 2;
const STYLE_BOLD_TEXT = 3;
const FIXED_STYLES = 4;

/** The number formats the cells use, each given a style; then the styles part that declares them. */
export class ResultStyles {
  readonly #formats = new Map<string, number>();

  add(cell: ResultCell | undefined): void {
    if (isFormattedNumber(cell) && cell.format !== undefined && !this.#formats.has(cell.format)) {
      this.#formats.set(cell.format, FIXED_STYLES + this.#formats.size);
    }
  }

  styleOf(format: string | undefined): number {
    return format === undefined ? 0 : (this.#formats.get(format) ?? 0);
  }

  xml(): string {
    const formats = [...this.#formats.keys()];
    const numFmts = formats
      .map((code, i) => `<numFmt numFmtId="${FIRST_CUSTOM_FORMAT + i}" formatCode="${xmlAttribute(code)}"/>`)
      .join('');
    const xfs = formats
      .map((_, i) => `<xf numFmtId="${FIRST_CUSTOM_FORMAT + i}" fontId="0" ${XF} applyNumberFormat="1"/>`)
      .join('');
    return (
      `${XML}<styleSheet xmlns="${MAIN_NS}">` +
      (formats.length > 0 ? `<numFmts count="${formats.length}">${numFmts}</numFmts>` : '') +
      `<fonts count="2"><font>${FONT}</font><font><b/>${FONT}</font></fonts>` +
      '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
      '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      `<cellXfs count="${FIXED_STYLES + formats.length}">` +
      `<xf numFmtId="0" fontId="0" ${XF}/>` +
      `<xf numFmtId="0" fontId="1" ${XF} applyFont="1"/>` +
      // 49 is Excel's built-in Text format, '@'.
      `<xf numFmtId="49" fontId="0" ${XF} applyNumberFormat="1"/>` +
      `<xf numFmtId="49" fontId="1" ${XF} applyFont="1" applyNumberFormat="1"/>` +
      xfs +
      '</cellXfs>' +
      '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
      '</styleSheet>'
    );
  }
}

export function isFormattedNumber(cell: ResultCell | undefined): cell is FormattedNumber {
  return typeof cell === 'object' && cell !== null;
}

/** The longest line of a cell, for its column's width (see longestLine). */
export function longestLineOf(cell: ResultCell | undefined, longest: number): number {
  if (typeof cell === 'boolean') return Math.max(longest, 5);
  return longestLine(isFormattedNumber(cell) ? cell.number : cell, longest);
}

/** Spaces or line breaks at either end, or a line break anywhere, are kept only with xml:space. */
const NEEDS_PRESERVE = /^\s|\s$|[\n\r\t]/;

/**
 * One cell: a string as an inline string, a number as a number (in its own format, if it has
 * one), a boolean as a boolean, never a formula. A string that begins like a formula (OWASP:
 * = + - @ tab CR) is inert as stored, but Excel would run it as soon as someone edits the cell and
 * presses Enter: it gets the Text number format '@', under which Excel keeps what is typed as text.
 */
function cellXml(ref: string, value: ResultCell | undefined, bold: boolean, styles: ResultStyles): string {
  if (value === null || value === undefined) return '';
  const boldStyle = bold ? ` s="${STYLE_BOLD}"` : '';
  if (typeof value === 'boolean') return `<c r="${ref}"${boldStyle} t="b"><v>${value ? 1 : 0}</v></c>`;
  if (isFormattedNumber(value) && Number.isFinite(value.number)) {
    const style = bold ? STYLE_BOLD : styles.styleOf(value.format);
    return `<c r="${ref}"${style === 0 ? '' : ` s="${style}"`}><v>${value.number}</v></c>`;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return `<c r="${ref}"${boldStyle}><v>${value}</v></c>`;
  const text = fitCellText(String(isFormattedNumber(value) ? value.number : value));
  if (text === '') return '';
  const formulaLike = FORMULA_START.test(text);
  const style = formulaLike ? (bold ? STYLE_BOLD_TEXT : STYLE_TEXT) : bold ? STYLE_BOLD : 0;
  const t = NEEDS_PRESERVE.test(text) ? '<t xml:space="preserve">' : '<t>';
  return `<c r="${ref}"${style === 0 ? '' : ` s="${style}"`} t="inlineStr"><is>${t}${xmlText(text)}</t></is></c>`;
}

/** A row of the worksheet; row 1, the header, is bold. */
export function resultRowXml(
  rowNumber: number,
  values: readonly (ResultCell | undefined)[],
  letters: readonly string[],
  styles: ResultStyles,
): string {
  const header = rowNumber === 1;
  let cells = '';
  for (let c = 0; c < values.length; c += 1) cells += cellXml(`${letters[c]}${rowNumber}`, values[c], header, styles);
  return header
    ? `<row r="1" s="${STYLE_BOLD}" customFormat="1">${cells}</row>`
    : `<row r="${rowNumber}">${cells}</row>`;
}
