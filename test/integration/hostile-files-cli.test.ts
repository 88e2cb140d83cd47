import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepJson, sparseXlsx } from '../fixtures/hostile-files.ts';
import { rowbot, STACK_LINE } from './cli-process.ts';

// Issue 13, point 4: what cannot be a spreadsheet gets a specific message and exit 2 (a bad
// input), never "unexpected error" and exit 1.

describe('rowbot inspect and rowbot run on files that are not spreadsheets, or hostile ones', () => {
  let dir: string;
  const files: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-hostile-cli-'));
    files.folder = join(dir, 'folder.csv');
    mkdirSync(files.folder);
    files.pipe = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [files.pipe]);
    files.deep = join(dir, 'deep.json');
    writeFileSync(files.deep, deepJson(100_000));
    files.sparse = join(dir, 'sparse.xlsx');
    writeFileSync(files.sparse, sparseXlsx(1000));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['folder', '"folder.csv" is a folder, not a spreadsheet'],
    ['pipe', '"pipe.csv" is not a regular file'],
    ['deep', '"deep.json" holds JSON nested too deeply to read'],
    ['sparse', '"sparse.xlsx" is too wide: row 1 has a value in column 16,384'],
  ])('%s: a specific message and exit 2', async (kind, message) => {
    const file = files[kind] as string;
    const inspected = await rowbot(['inspect', file]);
    expect(inspected.stderr).toContain(message);
    expect(inspected.stderr).not.toContain('unexpected error');
    expect(inspected.stderr).not.toMatch(STACK_LINE);
    expect(inspected.status).toBe(2);
    const run = await rowbot(['run', file, '--template', 'x', '--db', join(dir, `${kind}.db`)]);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.status).toBe(2);
  });
});
