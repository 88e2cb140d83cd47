import type { Workbook } from 'exceljs';
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RowbotError } from '../../../../shared/errors.ts';

/** Takes the parts ExcelJS renders in place of its own zip writer. */
interface PartSink {
  append(data: string | Uint8Array | ArrayBuffer, options: { name: string; base64?: boolean }): void;
}

type RenderStep = (zip: PartSink, model: unknown) => unknown;

/**
 * The methods of ExcelJS's XLSX class (lib/xlsx/xlsx.js in 4.4.0) that its write() calls, which
 * ExcelJS's types leave out.
 */
type XlsxRenderer = { prepareModel: (model: unknown, options: object) => void } & Record<
  (typeof RENDER_STEPS)[number],
  RenderStep
>;

/** The parts in the order ExcelJS's write() renders them (shared strings after the worksheets). */
const RENDER_STEPS = [
  'addContentTypes',
  'addOfficeRels',
  'addWorkbookRels',
  'addWorksheets',
  'addSharedStrings',
  'addDrawings',
  'addTables',
  'addThemes',
  'addStyles',
  'addMedia',
  'addApp',
  'addCore',
  'addWorkbook',
] as const;

/**
 * The parts of the package, as ExcelJS renders them, each encoded to UTF-8 whole.
 *
 * Not workbook.xlsx.write(): ExcelJS hands each part's XML to JSZip as a string, and JSZip (3.10)
 * encodes a string in slices of 16,384 UTF-16 units, each on its own. A character outside the
 * Basic Multilingual Plane (an emoji, some CJK) that straddles two slices is written as two
 * U+FFFD, so a long sheet or shared-strings part loses such characters here and there
 * (Stuk/jszip#963). Rendering is still ExcelJS's; only the zipping is done with fflate.
 */
async function renderParts(workbook: Workbook): Promise<Zippable> {
  const parts: Zippable = {};
  const sink: PartSink = {
    append(data, { name, base64 = false }) {
      if (typeof data === 'string') parts[name] = Buffer.from(data, base64 ? 'base64' : 'utf8');
      else parts[name] = data instanceof Uint8Array ? data : new Uint8Array(data);
    },
  };
  const xlsx = workbook.xlsx as unknown as XlsxRenderer;
  const { model } = workbook;
  xlsx.prepareModel(model, {});
  for (const step of RENDER_STEPS) await xlsx[step](sink, model);
  return parts;
}

function failureReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
      return ' (the folder does not exist)';
    case 'EACCES':
    case 'EPERM':
      return ' (permission denied, or the file is open in another program)';
    case 'EBUSY':
      return ' (the file is open in another program)';
    case 'EISDIR':
      return ' (a folder has that name)';
    case 'ENOSPC':
      return ' (the disk is full)';
    case 'EROFS':
      return ' (the disk is read-only)';
    default:
      return '';
  }
}

/** Writes all of `data` at the file's current position (a write may take only part of it). */
export async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += (await file.write(data, at)).bytesWritten;
}

/**
 * A failure to read what is being written (the rows, from the database), not to write it: the
 * exports that read as they write mark it so, and writeAtomically passes it on as it is.
 */
export class SourceError extends Error {
  constructor(cause: unknown) {
    super('the rows could not be read', { cause });
  }
}

/**
 * Has `write` fill a temp file next to the target, then renames it into place, so a failure never
 * leaves half a file. A RowbotError or a SourceError from `write` passes through; any other failure
 * becomes EXPORT_FAILED, with the reason when it is a common one.
 */
export async function writeAtomically(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await write(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof RowbotError || error instanceof SourceError) throw error;
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}"${failureReason(error)}. Choose another folder; your results are safe in Rowbot.`,
    );
  }
}

/** Renders the workbook and writes it atomically (see writeAtomically). */
export async function saveWorkbook(workbook: Workbook, path: string): Promise<void> {
  await writeAtomically(path, async (temp) => writeFile(temp, zipSync(await renderParts(workbook))));
}
