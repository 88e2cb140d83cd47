/**
 * Files written whole or not at all: a temp file next to the target, renamed into place. Apart from
 * the XLSX writer (and its zip library) so that a CSV export, and every `rowbot run`, loads none of it.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RowbotError } from '../../../shared/errors.ts';

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
