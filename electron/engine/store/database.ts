import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RowbotError } from '../../../shared/errors.ts';
import { checkDatabaseFile, checkDatabasePages, checkWritable, openProblem } from './database-file.ts';
import { LATEST_VERSION, migrations, type Migration } from './migrations.ts';

export type Db = Database.Database;

/**
 * Opens (or creates) the Rowbot database: WAL, foreign keys, busy timeout, migrated. A file that
 * is not a database, is cut short, is damaged inside (PRAGMA quick_check) or cannot be written is
 * refused with a RowbotError that says so in plain words, and is left as it was.
 */
export function openDatabase(file: string, list: readonly Migration[] = migrations): Db {
  const onDisk = file !== ':memory:';
  let db: Db;
  try {
    if (onDisk) {
      mkdirSync(dirname(file), { recursive: true });
      checkDatabaseFile(file);
      checkWritable(file);
    }
    db = new Database(file);
  } catch (error) {
    throw openProblem(error, file);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // Checked before anything is written (WAL mode rewrites the header of a file not yet in it).
    if (onDisk) checkDatabasePages(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, list);
    return db;
  } catch (error) {
    db.close();
    throw openProblem(error, file);
  }
}

/**
 * Gives the space of deleted rows back to the disk (VACUUM) when most of the file is free pages,
 * as after an estimate of a big sheet: then the copy VACUUM writes is smaller than what it frees.
 * A file mostly in use keeps its free pages for the next import. Never fails: it only saves space.
 */
export function reclaimFreeSpace(db: Db, minimumBytes = 1024 * 1024): void {
  try {
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    if (free * pageSize >= minimumBytes && free * 2 >= pages) db.exec('VACUUM');
  } catch {
    // Busy (another process reads or writes) or no room for the copy: the pages are reused later.
  }
}

export function migrate(db: Db, list: readonly Migration[] = migrations): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = list.at(-1)?.version ?? LATEST_VERSION;
  if (current > latest) {
    throw new RowbotError(
      'DB_TOO_NEW',
      `This database was written by a newer version of Rowbot (schema ${current}, this version knows up to ${latest}). Update Rowbot to open it; the file has not been changed.`,
    );
  }
  const pending = list.filter((migration) => migration.version > current);
  if (pending.length === 0) return;
  // Table rebuilds must not cascade: foreign keys are checked once, after every step.
  db.pragma('foreign_keys = OFF');
  try {
    for (const migration of pending) {
      db.transaction(() => {
        db.exec(migration.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration ${migration.version} broke ${broken.length} foreign keys`);
        db.pragma(`user_version = ${migration.version}`);
      })();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

/** What kind of storage failure a SQLite error is, for messages in plain words. */
export type StorageProblem = 'full' | 'readonly' | 'corrupt' | 'busy' | 'other';

export function storageProblem(error: unknown): StorageProblem {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'EROFS') return 'readonly';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  return 'other';
}

/** Why a job paused when its answers could not be saved, and what to do. */
export function storagePauseReason(error: unknown, file: string): string {
  switch (storageProblem(error)) {
    case 'full':
      return `Paused: the disk is full, so Rowbot could not save the latest answers. Free some space on the disk that holds its database (${file}), then press Resume. Every answer saved so far is kept; rows whose answers could not be saved run again.`;
    case 'readonly':
      return `Paused: Rowbot's database (${file}) can no longer be written (it became read-only). Make the file and its folder writable again, then press Resume. Every answer saved so far is kept.`;
    case 'busy':
      return `Paused: another program kept Rowbot's database (${file}) locked, so the latest answers could not be saved. Close that program, then press Resume. Every answer saved so far is kept.`;
    default:
      return `Paused: Rowbot could not save the latest answers to its database (${file}: ${messageOf(error)}). Press Resume to try again; if it keeps happening, restart Rowbot. Every answer saved so far is kept.`;
  }
}

/**
 * A storage failure that reached the top of a command (`rowbot run`, `rowbot serve`), in plain
 * words and without a stack trace; null when the error is not one.
 */
export function storageErrorMessage(error: unknown): string | null {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (!code.startsWith('SQLITE_') && code !== 'ENOSPC' && code !== 'EROFS') return null;
  switch (storageProblem(error)) {
    case 'full':
      return 'The disk is full, so Rowbot could not save its work. Free some space on it, then run the command again (with --resume JOB_ID for a job that had started).';
    case 'readonly':
      return 'Rowbot’s database became read-only, so Rowbot could not save its work. Make the file and its folder writable, then run the command again.';
    case 'corrupt':
      return 'Rowbot’s database is damaged. Restore it from a backup, or move it away to start with a new one (--db chooses another file).';
    case 'busy':
      return 'Rowbot’s database is locked by another program. Close it (or wait for it to finish), then run the command again.';
    default:
      return `Rowbot’s database refused a change (${messageOf(error)}). Run the command again; if it keeps happening, check the disk.`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
