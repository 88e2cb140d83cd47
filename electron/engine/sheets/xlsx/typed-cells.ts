import type { FormattedNumber } from './result-cells.ts';
import { pickSheet } from './checks.ts';
import { columnOf } from './cells.ts';
// A results workbook uses the 1900 date system: dates of a 1904 workbook move by this many days.
import { DATE_1904_OFFSET, describeFormat, numberText, readNumberFormats, type CellFormat } from './number-format.ts';
import { parsePart, readWorkbookParts } from './package.ts';
import { openZip } from './zip.ts';

// An import keeps each cell as the text Excel shows; the workbook itself is kept beside the
// sheet. An export to .xlsx reads the numbers and booleans of the imported sheet again from it, so
// that a price stays a number and a date stays a date in the user's own number format.

/** A number or boolean cell of the imported sheet, as stored. */
interface RawCell {
  boolean: boolean;
  /** The <v> text. */
  value: string;
  style: number;
}

export type TypedInput = FormattedNumber | boolean;

export interface TypedSheet {
  /**
   * The typed value of the cell at a 1-based worksheet row and a 0-based column, when it is a
   * number or a boolean whose text, as Excel shows it, is `text` (the text the import kept).
   */
  lookup(rowNumber: number, column: number, text: string): TypedInput | undefined;
}

/** Reads the number and boolean cells of one sheet of a workbook (a formula's saved result included). */
export async function readTypedSheet(bytes: Uint8Array, sheetName: string): Promise<TypedSheet> {
  const zip = openZip(bytes, 'the imported workbook');
  const workbook = await readWorkbookParts(zip, 'the imported workbook');
  const chosen = pickSheet(workbook.sheets, sheetName, 'the imported workbook');
  const patterns = await readNumberFormats(zip, workbook.styles);
  const cells = new Map<number, Map<number, RawCell>>();
  let rowNumber = 0;
  let column = 0;
  let current: RawCell | null = null;
  let inValue = false;
  await parsePart(zip, chosen.entry, {
    open: (name, attributes) => {
      if (name === 'row') {
        const r = Number(attributes.r);
        rowNumber = Number.isInteger(r) && r >= 1 ? r : rowNumber + 1;
        column = 0;
      } else if (name === 'c') {
        const at = attributes.r === undefined ? 0 : columnOf(attributes.r);
        column = at > 0 ? at : column + 1;
        const type = attributes.t ?? 'n';
        const style = Number(attributes.s ?? 0);
        current =
          type === 'n' || type === 'b'
            ? { boolean: type === 'b', value: '', style: Number.isInteger(style) && style >= 0 ? style : 0 }
            : null;
      } else if (name === 'v') {
        inValue = current !== null;
      }
    },
    close: (name) => {
      if (name === 'v') inValue = false;
      else if (name === 'c' && current !== null) {
        if (current.value.trim() !== '') {
          let row = cells.get(rowNumber);
          if (row === undefined) cells.set(rowNumber, (row = new Map()));
          row.set(column - 1, current);
        }
        current = null;
      }
    },
    text: (text) => {
      if (inValue && current !== null) current.value += text;
    },
  });
  const formats: CellFormat[] = [];
  const formatOf = (style: number): CellFormat => (formats[style] ??= describeFormat(patterns[style]));
  return {
    lookup(r, c, text) {
      const cell = cells.get(r)?.get(c);
      if (cell === undefined) return undefined;
      if (cell.boolean) {
        const value = parseInt(cell.value, 10) !== 0;
        return text === (value ? 'TRUE' : 'FALSE') ? value : undefined;
      }
      const format = formatOf(cell.style);
      const number = parseFloat(cell.value);
      if (!Number.isFinite(number) || numberText(cell.value, format, workbook.date1904) !== text) return undefined;
      const serial = workbook.date1904 && format.calendar ? number + DATE_1904_OFFSET : number;
      return format.pattern === undefined ? { number: serial } : { number: serial, format: format.pattern };
    },
  };
}
