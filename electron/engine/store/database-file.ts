import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RowbotError } from '../../../shared/errors.ts';
import type { Db } from './database.ts';
import { storageProblem } from './database.ts';

/**
 * Why a database file cannot be opened, in plain words, before SQLite writes anything to it: a
 * damaged file is refused as it is (never repaired or rewritten behind the user's back).
 */
const HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

const UNTOUCHED = 'Rowbot has not changed it.';
const START_AFRESH = `Restore it from a backup, or move it away (Rowbot then starts a new one), or choose another file with --db.`;

/** Checks what can be told from the first 100 bytes: is it a database at all, is it whole. */
export function checkDatabaseFile(file: string): void {
  if (!existsSync(file)) return;
  const { size } = statSync(file);
  if (size === 0) return; // A new, empty database.
  const header = Buffer.alloc(100);
  let read: number;
  try {
    const fd = openSync(file, 'r');
    try {
      read = readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw openProblem(error, file);
  }
  if (read < 100 || !header.subarray(0, 16).equals(HEADER)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${file}" is not a Rowbot database: it does not begin as a database file does (it is damaged, or another kind of file). ${UNTOUCHED} ${START_AFRESH}`,
    );
  }
  const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  // The size in the header is trusted only when it was written with the last change (SQLite's rule).
  const sizeValid = header.readUInt32BE(92) === header.readUInt32BE(24);
  // A write-ahead log left by a crash may hold what the file lacks: SQLite replays it at open.
  const wal = `${file}-wal`;
  const pendingLog = existsSync(wal) && statSync(wal).size > 0;
  if (sizeValid && pages > 0 && size < pages * pageSize && !pendingLog) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `Rowbot's database "${file}" is cut short: it is ${bytes(size)} where it should be ${bytes(pages * pageSize)} (was it copied, synced or restored only in part?). ${UNTOUCHED} ${START_AFRESH}`,
    );
  }
}

/** SQLite's own check of every page's structure, before anything is written. */
export function checkDatabasePages(db: Db, file: string): void {
  const rows = db.pragma('quick_check(3)') as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
  if (problems.length > 0) throw damaged(file, problems.join('; '));
}

/**
 * Checks that the database and its folder can be written (WAL mode keeps two files beside it).
 * SQLite itself opens a read-only file for reading without a word and fails at the first write.
 */
export function checkWritable(file: string): void {
  for (const path of [file, dirname(file)]) {
    try {
      if (existsSync(path)) accessSync(path, constants.W_OK);
    } catch {
      throw openProblem(Object.assign(new Error('read-only'), { code: 'SQLITE_READONLY' }), file);
    }
  }
}

/** A failure to open or prepare the database, as a RowbotError in plain words. */
export function openProblem(error: unknown, file: string): unknown {
  if (error instanceof RowbotError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  switch (storageProblem(error)) {
    case 'readonly':
      return new RowbotError(
        'FORBIDDEN',
        `Rowbot cannot write to its database "${file}": the file or its folder is read-only for you. Make both writable (or choose another file with --db). ${UNTOUCHED}`,
      );
    case 'corrupt':
      return code === 'SQLITE_NOTADB'
        ? new RowbotError(
            'FILE_UNREADABLE',
            `"${file}" is not a Rowbot database: SQLite cannot read it as a database (${message}). ${UNTOUCHED} ${START_AFRESH}`,
          )
        : damaged(file, message);
    case 'busy':
      return new RowbotError(
        'JOB_STATE',
        `Rowbot's database "${file}" is locked by another program. Close it (or wait for it to finish), then try again.`,
      );
    case 'full':
      return new RowbotError(
        'FORBIDDEN',
        `The disk that holds Rowbot's database "${file}" is full. Free some space on it, then try again.`,
      );
    default:
      if (code === 'EACCES' || code === 'EPERM') {
        return new RowbotError(
          'FORBIDDEN',
          `Rowbot may not read its database "${file}" (permission denied). Make it readable and writable for you, or choose another file with --db.`,
        );
      }
      if (code.startsWith('SQLITE_')) {
        return new RowbotError(
          'FILE_UNREADABLE',
          `Rowbot cannot open its database "${file}" (${message}). Check that it is a file you may read and write, or choose another with --db. ${UNTOUCHED}`,
        );
      }
      return error;
  }
}

function damaged(file: string, detail: string): RowbotError {
  return new RowbotError(
    'FILE_UNREADABLE',
    `Rowbot's database "${file}" is damaged (SQLite found: ${detail.slice(0, 300)}). ${UNTOUCHED} ${START_AFRESH} The sqlite3 tool's ".recover" command may save what it holds.`,
  );
}

function bytes(n: number): string {
  return n < 1024 * 1024
    ? `${Math.round(n / 1024).toLocaleString('en-US')} KB`
    : `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
