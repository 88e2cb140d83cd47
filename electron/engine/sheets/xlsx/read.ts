import { RowbotError } from '../../../../shared/errors.ts';
import { readCells, readSharedStrings } from './cells.ts';
import { checkSignature, damaged, pickSheet, quotedList } from './checks.ts';
import { readNumberFormats } from './number-format.ts';
import { readWorkbookParts } from './package.ts';
import { columnLetters } from './spreadsheetml.ts';
import { SHEET_LIMITS, type SheetLimits } from '../limits.ts';
import { openZip } from './zip.ts';

/** One worksheet as Excel shows it: every cell as its displayed text. */
export interface XlsxSheet {
  /** Every worksheet of the workbook in tab order, hidden ones included (chart sheets are not worksheets). */
  sheetNames: string[];
  /** The sheet that was read. */
  sheet: string;
  /** From the first row with a value to the last; an empty row is []; trailing empty cells are trimmed. */
  rows: string[][];
  /** rowNumbers[i] is the 1-based worksheet row number of rows[i]. */
  rowNumbers: number[];
  /** What the user should know about the sheet (formulas without saved results); absent when nothing. */
  notes?: string[];
}

/** Reads the sheet, inflating its parts as a stream. */
async function readSheet(
  bytes: Uint8Array,
  fileName: string,
  wanted: string | undefined,
  limits: SheetLimits,
): Promise<XlsxSheet> {
  const zip = openZip(bytes, fileName, limits);
  const workbook = await readWorkbookParts(zip, fileName);
  const sheetNames = workbook.sheets.map((sheet) => sheet.name);
  const chosen = pickSheet(workbook.sheets, wanted, fileName);
  const formats = await readNumberFormats(zip, workbook.styles);
  const sharedStrings = await readSharedStrings(zip, workbook.sharedStrings);
  // Formulas whose results were not saved, by column. A workbook that asks to be calculated
  // on opening (xlsxwriter and openpyxl ask so) may have saved none, or 0 for each.
  const unsaved = new Map<number, number>();
  const used = await readCells(zip, chosen.entry, {
    formats,
    sharedStrings,
    date1904: workbook.date1904,
    onFormula: (column, saved) => {
      if (!saved || workbook.calculateOnLoad) unsaved.set(column, (unsaved.get(column) ?? 0) + 1);
    },
  });

  if (used.size === 0) {
    const others = sheetNames.filter((name) => name !== chosen.name);
    throw new RowbotError(
      'FILE_EMPTY',
      `The sheet "${chosen.name}" in "${fileName}" is empty.${others.length > 0 ? ` Choose another sheet (${quotedList(others)}), or add` : ' Add'} a header row and at least one row of data, save it, and import it again.`,
    );
  }
  let first = Infinity;
  let last = 0;
  for (const rowNumber of used.keys()) {
    if (rowNumber < first) first = rowNumber;
    if (rowNumber > last) last = rowNumber;
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (let rowNumber = first; rowNumber <= last; rowNumber += 1) {
    const cells = used.get(rowNumber) ?? [];
    // Fill the holes left by empty cells.
    for (let i = 0; i < cells.length; i += 1) cells[i] ??= '';
    rows.push(cells);
    rowNumbers.push(rowNumber);
  }
  const notes = unsaved.size > 0 ? [unsavedFormulasNote(unsaved, fileName, workbook.calculateOnLoad)] : undefined;
  return { sheetNames, sheet: chosen.name, rows, rowNumbers, ...(notes ? { notes } : {}) };
}

/**
 * Programs that write workbooks without calculating them (openpyxl, xlsxwriter, scripts, some
 * exports) save formulas without their results; Excel calculates them on opening, but a reader
 * of the file sees nothing, or 0.
 */
function unsavedFormulasNote(unsaved: Map<number, number>, fileName: string, calculateOnLoad: boolean): string {
  const columns = [...unsaved.keys()].sort((a, b) => a - b).map(columnLetters);
  const cells = [...unsaved.values()].reduce((sum, n) => sum + n, 0);
  const where =
    columns.length === 1
      ? `Column ${columns[0]} holds`
      : `Columns ${columns.slice(0, 8).join(', ')}${columns.length > 8 ? '…' : ''} hold`;
  const shown = calculateOnLoad ? 'they may show as empty or 0 here' : 'they are empty here';
  return `${where} formulas whose results were not saved in "${fileName}" (${cells.toLocaleString('en-US')} cell${cells === 1 ? '' : 's'}), so ${shown}: the program that wrote it does not calculate formulas. To get their values, open the file in Excel or LibreOffice, save it, and import it again.`;
}

/**
 * Reads one worksheet of an .xlsx workbook, every cell as the text Excel shows. It reads the
 * zip's parts itself (workbook, relationships, styles, shared strings, the one worksheet) and
 * parses their XML as it inflates them: no model of the workbook is built, and ExcelJS is never
 * loaded.
 */
export async function readXlsx(
  bytes: Uint8Array,
  fileName: string,
  options: { sheet?: string; limits?: Partial<SheetLimits> } = {},
): Promise<XlsxSheet> {
  checkSignature(bytes, fileName);
  try {
    return await readSheet(bytes, fileName, options.sheet, { ...SHEET_LIMITS, ...options.limits });
  } catch (error) {
    if (error instanceof RowbotError) throw error;
    // Our zip reader's errors (a zip cut short or damaged), saxes' (malformed XML) and our own checks.
    throw damaged(fileName);
  }
}
