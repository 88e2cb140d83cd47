import { cellTooLong, tooManyCells, tooManyColumns } from '../limits.ts';
import { MAX_COLUMNS, MAX_ROWS } from './checks.ts';
import { describeFormat, isoDateText, numberText, textWithFormat } from './number-format.ts';
import type { CellFormat } from './number-format.ts';
import { parsePart } from './package.ts';
import type { Zip, ZipEntry } from './zip.ts';

/** Text in an XML part escapes characters XML cannot hold as _xHHHH_ (and a literal "_x" as _x005F_x). */
function unescapeText(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Each shared string as Excel shows it: the runs of rich text joined, phonetic guides (<rPh>) left out. */
export async function readSharedStrings(zip: Zip, entry: ZipEntry | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (entry === undefined) return strings;
  const { fileName, limits } = zip;
  let text: string | null = null;
  let inText = false;
  let phonetic = 0;
  await parsePart(zip, entry, {
    open: (name) => {
      if (name === 'si') text = '';
      else if (name === 't') inText = text !== null && phonetic === 0;
      else if (name === 'rPh') phonetic += 1;
    },
    close: (name) => {
      if (name === 't') {
        inText = false;
      } else if (name === 'rPh') {
        phonetic -= 1;
      } else if (name === 'si' && text !== null) {
        // No sheet can use more distinct strings than it has cells.
        if (strings.length >= limits.cells) throw tooManyCells(fileName, limits.cells);
        strings.push(unescapeText(text));
        text = null;
      }
    },
    text: (value) => {
      if (!inText) return;
      text += value;
      if ((text ?? '').length > limits.rowChars) throw cellTooLong(fileName, limits.rowChars);
    },
  });
  return strings;
}

export interface CellContext {
  /** The number format of each cell style, undefined for General. */
  formats: readonly (string | undefined)[];
  sharedStrings: readonly string[];
  date1904: boolean;
  /** Told of each formula cell, and whether it has a saved result (Excel's <v>). */
  onFormula?: (column: number, saved: boolean) => void;
}

/**
 * The text Excel shows for a cell, from its type (t), its value (the <v> text) and its format.
 * A formula cell shows the result Excel saved when it last calculated, which is its <v>; a file
 * saved by other tools may have none.
 */
function cellText(type: string, value: string, format: CellFormat, context: CellContext): string {
  switch (type) {
    case 's':
      return textWithFormat(context.sharedStrings[Number(value)] ?? '', format);
    case 'str':
    case 'inlineStr':
      return textWithFormat(value, format);
    case 'e':
      return value;
    case 'b':
      return parseInt(value, 10) !== 0 ? 'TRUE' : 'FALSE';
    case 'd':
      return isoDateText(value, format);
    default:
      return numberText(value, format, context.date1904);
  }
}

/** The column number of a cell reference like "AB12", or 0. */
export function columnOf(ref: string): number {
  let column = 0;
  for (let i = 0; i < ref.length; i += 1) {
    const code = ref.charCodeAt(i) & ~0x20; // upper case
    if (code < 65 || code > 90) break;
    column = column * 26 + code - 64;
  }
  return column;
}

function rowOf(ref: string): number {
  const digits = /\d+$/.exec(ref);
  return digits ? Number(digits[0]) : 0;
}

/** A merged range keeps its value in the top-left cell only, as Excel does. */
function clearMergedCells(rows: Map<number, string[]>, range: string): void {
  const [from = '', to = from] = range.replaceAll('$', '').split(':');
  const [top, bottom] = [rowOf(from), rowOf(to)].sort((a, b) => a - b) as [number, number];
  const [left, right] = [columnOf(from), columnOf(to)].sort((a, b) => a - b) as [number, number];
  if (top < 1 || left < 1 || (top === bottom && left === right)) return;
  const clear = (rowNumber: number, cells: string[]): void => {
    for (let column = left; column <= Math.min(right, cells.length); column += 1) {
      if (rowNumber !== top || column !== left) delete cells[column - 1];
    }
    while (cells.length > 0 && cells[cells.length - 1] === undefined) cells.length -= 1;
    if (cells.length === 0) rows.delete(rowNumber);
  };
  if (bottom - top < rows.size) {
    for (let rowNumber = top; rowNumber <= bottom; rowNumber += 1) {
      const cells = rows.get(rowNumber);
      if (cells !== undefined) clear(rowNumber, cells);
    }
  } else {
    for (const [rowNumber, cells] of rows) if (rowNumber >= top && rowNumber <= bottom) clear(rowNumber, cells);
  }
}

/**
 * The non-empty cells of a worksheet part as text, by row number; a row's array may have holes.
 * One pass over the XML: only the texts are kept.
 */
export async function readCells(zip: Zip, entry: ZipEntry, context: CellContext): Promise<Map<number, string[]>> {
  const { fileName, limits } = zip;
  const rows = new Map<number, string[]>();
  /**
   * The cells the rows will hold once their holes are filled: counted as they come, so a sheet
   * too wide or too big is refused before it is built, however few bytes it took to write.
   */
  let cellCount = 0;
  const merges: string[] = [];
  const cellFormats: CellFormat[] = [];
  const formatOf = (style: number): CellFormat => (cellFormats[style] ??= describeFormat(context.formats[style]));

  let inData = false;
  let rowNumber = 0;
  let cells: string[] | null = null;
  let column = 0;
  // The cell being read: its type, style, <v> text and inline string (<is>), if any.
  let inCell = false;
  let type = '';
  let style = 0;
  let value: string | null = null;
  let inline: string | null = null;
  let formula = false;
  /** Where text goes: nowhere, to the value or to the inline string. */
  let capture: 'none' | 'value' | 'inline' = 'none';
  let phonetic = 0;

  const open = (name: string, attributes: Record<string, string>): void => {
    switch (name) {
      case 'sheetData':
        inData = true;
        break;
      case 'row': {
        if (!inData) break;
        // r may be left out: then it is the row after the last one.
        const r = Number(attributes.r);
        rowNumber = Number.isInteger(r) && r >= 1 ? r : rowNumber + 1;
        if (rowNumber > MAX_ROWS) throw new Error('row number out of range');
        cells = rows.get(rowNumber) ?? [];
        column = 0;
        break;
      }
      case 'c': {
        if (cells === null) break;
        const ref = attributes.r;
        const at = ref === undefined ? 0 : columnOf(ref);
        column = at > 0 ? at : column + 1;
        if (column > MAX_COLUMNS) throw new Error('column out of range');
        type = attributes.t ?? 'n';
        const s = Number(attributes.s ?? 0);
        style = Number.isInteger(s) && s >= 0 ? s : 0;
        value = null;
        inline = null;
        formula = false;
        inCell = true;
        break;
      }
      case 'f':
        if (inCell) formula = true;
        break;
      case 'v':
        if (inCell) {
          value = '';
          capture = 'value';
        }
        break;
      case 'is':
        if (inCell) inline = '';
        break;
      case 't':
        if (inline !== null && phonetic === 0) capture = 'inline';
        break;
      case 'rPh':
        phonetic += 1;
        break;
      case 'mergeCell':
        if (attributes.ref !== undefined) merges.push(attributes.ref);
        break;
      default:
        break;
    }
  };

  const close = (name: string): void => {
    switch (name) {
      case 'v':
      case 't':
        capture = 'none';
        break;
      case 'rPh':
        phonetic -= 1;
        break;
      case 'c':
        if (inCell && cells !== null) {
          const text =
            inline !== null
              ? textWithFormat(unescapeText(inline), formatOf(style))
              : value === null || value === ''
                ? ''
                : cellText(type, value, formatOf(style), context);
          if (text !== '') {
            if (column > limits.columns) {
              throw tooManyColumns(fileName, column, limits.columns, `row ${rowNumber.toLocaleString('en-US')}`);
            }
            if (column > cells.length) {
              cellCount += column - cells.length;
              if (cellCount > limits.cells) throw tooManyCells(fileName, limits.cells);
            }
            cells[column - 1] = text;
          }
          // Excel saves the result of every formula, an empty text as <v></v> in a t="str" cell;
          // openpyxl writes an empty <v/> in a number cell, scripts often no <v> at all.
          if (formula) {
            const saved = inline !== null || (value !== null && (value !== '' || type === 'str'));
            context.onFormula?.(column, saved);
          }
          inCell = false;
          inline = null;
        }
        break;
      case 'row':
        if (cells !== null && cells.length > 0) rows.set(rowNumber, cells);
        cells = null;
        break;
      case 'sheetData':
        inData = false;
        break;
      default:
        break;
    }
  };

  await parsePart(zip, entry, {
    open,
    close,
    text: (text) => {
      if (capture === 'value') value += text;
      else if (capture === 'inline') inline += text;
      else return;
      if ((capture === 'value' ? (value ?? '') : (inline ?? '')).length > limits.rowChars) {
        throw cellTooLong(fileName, limits.rowChars);
      }
    },
  });
  for (const range of merges) clearMergedCells(rows, range);
  return rows;
}
