import { RowbotError } from '../../../../shared/errors.ts';

/** The size of a worksheet in Excel. */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_SIGNATURE = [0x50, 0x4b, 0x05, 0x06];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Refuses, with a message that says what to do, the files that are not an .xlsx workbook at all. */
export function checkSignature(bytes: Uint8Array, fileName: string): void {
  if (bytes.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  const buffer = asBuffer(bytes);
  if (startsWith(bytes, OLE_SIGNATURE)) {
    // An OLE compound file: either an .xlsx encrypted with a password (Excel wraps it in one,
    // with these two streams) or a workbook in the binary Excel 97-2003 format.
    if (
      buffer.includes(Buffer.from('EncryptedPackage', 'utf16le')) ||
      buffer.includes(Buffer.from('EncryptionInfo', 'utf16le'))
    ) {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}" is protected with a password, so Rowbot cannot read it. Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, then clear it), save it, and import it again.`,
      );
    }
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is in the old Excel 97-2003 format (.xls), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (!startsWith(bytes, ZIP_SIGNATURE) && !startsWith(bytes, EMPTY_ZIP_SIGNATURE)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is not an Excel workbook (.xlsx). If it is a CSV or text file, give it a .csv name and import it again; otherwise open it in Excel and save it as an Excel Workbook (.xlsx).`,
    );
  }
  // Zip files that are spreadsheets, but not ones Rowbot reads. The names of the parts of a
  // zip are stored uncompressed, so a plain byte search finds them.
  if (buffer.includes('xl/workbook.bin')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an Excel Binary Workbook (.xlsb), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (buffer.subarray(30, 38).toString('latin1') === 'mimetype' && buffer.includes('opendocument.spreadsheet')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an OpenDocument spreadsheet (.ods), which Rowbot cannot read. Open it in your spreadsheet app, save it as an Excel Workbook (.xlsx), and import the new file.`,
    );
  }
}

export function damaged(fileName: string): RowbotError {
  return new RowbotError(
    'FILE_UNREADABLE',
    `"${fileName}" could not be opened: the workbook is damaged or incomplete (it may not have finished downloading or copying), or it is not an Excel workbook. Open it in Excel, save it again as .xlsx, and import the new file.`,
  );
}

export function quotedList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

export function noWorksheets(fileName: string): RowbotError {
  return new RowbotError(
    'FILE_EMPTY',
    `"${fileName}" has no worksheets with cells (only charts, or nothing at all). Add a sheet with a header row and at least one row of data, save it, and import it again.`,
  );
}

/** The sheet asked for (exact name first, then ignoring case), or by default the first visible one. */
export function pickSheet<T extends { name: string; hidden: boolean }>(
  sheets: readonly T[],
  wanted: string | undefined,
  fileName: string,
): T {
  if (wanted === undefined || wanted === '') return sheets.find((sheet) => !sheet.hidden) ?? (sheets[0] as T);
  const sheet =
    sheets.find((s) => s.name === wanted) ?? sheets.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (sheet === undefined) {
    throw new RowbotError(
      'NOT_FOUND',
      `"${fileName}" has no sheet named "${wanted}". Its sheets are ${quotedList(sheets.map((s) => s.name))}; choose one of those.`,
    );
  }
  return sheet;
}
