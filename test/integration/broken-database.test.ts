/**
 * A database Rowbot cannot use, and an export to a full disk (issue 13: 11): a read-only file or
 * folder, a file that is not a database, one cut short, one with a damaged page. `rowbot run` says
 * which, in plain words, with no stack trace, and leaves the file byte for byte as it was. An export
 * to a full disk (a real tmpfs, mounted in a user namespace) says the disk is full, leaves the file
 * it would replace as it was, and no temporary file behind.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { BIN, STACK_LINE } from './cli-process.ts';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Someone the file permissions apply to: root may write anything, so a root test runs rowbot as nobody. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

describe('a database Rowbot cannot use', () => {
  let dir: string;
  let good: string;
  let csv: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-broken-'));
    chmodSync(dir, 0o755);
    csv = join(dir, 'in.csv');
    writeFileSync(csv, 'n\n1\n2\n3\n');
    good = join(dir, 'good.db');
    const engine = new Engine({ dbFile: good, demoLatencyMs: [1, 2] });
    const preview = await engine.importFile(csv);
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: '{{n}}',
      provider: { kind: 'demo', model: 'demo' },
    });
    engine.startJob(job.id);
    await engine.waitForJob(job.id);
    await engine.close();
  });
  afterAll(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of a good database, spoiled by `spoil`, in a folder of its own. */
  function spoiled(name: string, spoil: (file: string) => void): string {
    const folder = join(dir, name);
    mkdirSync(folder, { mode: 0o777 });
    chmodSync(folder, 0o777);
    const file = join(folder, 'rowbot.db');
    copyFileSync(good, file);
    chmodSync(file, 0o666);
    spoil(file);
    return file;
  }

  function runOn(file: string): { status: number | null; stderr: string } {
    const result = spawnSync(process.execPath, [BIN, 'run', csv, '--template', '{{n}}', '--db', file], {
      ...asUser,
      encoding: 'utf8',
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).not.toContain('unexpected error');
    return result;
  }

  const cases: [string, (file: string) => void, RegExp][] = [
    ['a read-only file', (file) => chmodSync(file, 0o444), /cannot write to its database .*read-only/],
    [
      'a read-only folder',
      (file) => chmodSync(join(file, '..'), 0o555),
      /cannot write to its database .*the file or its folder is read-only/,
    ],
    [
      'garbage in the header',
      (file) => {
        const bytes = readFileSync(file);
        bytes.write('definitely not SQLite', 0, 'latin1');
        writeFileSync(file, bytes);
      },
      /is not a Rowbot database: it does not begin as a database file does/,
    ],
    ['a file cut short', (file) => truncateSync(file, 8192), /is cut short: it is 8 KB where it should be \d+ KB/],
    [
      'a damaged page',
      (file) => {
        const bytes = readFileSync(file);
        // Page 5 whole, its header included: a table's pages, not free space inside one.
        for (let i = 4 * 4096; i < 5 * 4096; i += 1) bytes[i] = (i * 7919) % 251;
        writeFileSync(file, bytes);
      },
      /is damaged \(SQLite found: /,
    ],
  ];

  for (const [what, spoil, message] of cases) {
    it(`${what}: a specific message, no stack trace, the file untouched`, () => {
      const file = spoiled(what.replace(/\W+/g, '-'), spoil);
      const before = sha(file);
      const result = runOn(file);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('Rowbot has not changed it.');
      expect(result.status).toBe(2);
      expect(sha(file)).toBe(before);
    });
  }
});

/** Whether this system lets a user mount a small tmpfs in a namespace of their own. */
const canMountTmpfs =
  process.platform === 'linux' &&
  spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /tmp'])
    .status === 0;

describe.skipIf(!canMountTmpfs)('an export to a full disk', () => {
  let dir: string;
  let dbFile: string;
  let jobId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-full-export-'));
    dbFile = join(dir, 'rowbot.db');
    const engine = new Engine({ dbFile, demoLatencyMs: [1, 2] });
    const lines = ['n', ...Array.from({ length: 200 }, (_, i) => String(i + 1))];
    const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    jobId = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'demo', model: 'demo' },
    }).id;
    engine.startJob(jobId);
    await engine.waitForJob(jobId);
    await engine.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ['csv', 'xlsx', 'jsonl']) {
    it(`.${format}: "the disk is full", the previous file untouched, no temporary file left`, () => {
      const mount = join(dir, `disk-${format}`);
      mkdirSync(mount);
      const out = join(mount, `results.${format}`);
      // Inside its own mount namespace: a 256 KB disk holding last week's export, then filled up.
      const script = [
        'set -u',
        `mount -t tmpfs -o size=256k tmpfs "${mount}"`,
        `printf 'last week\\n' > "${out}"`,
        `cat /dev/zero > "${mount}/filler" 2>/dev/null`,
        `"${process.execPath}" "${BIN}" run --resume ${jobId} --db "${dbFile}" --out "${out}"`,
        'echo "exit=$?"',
        `ls -A "${mount}"`,
        `cat "${out}"`,
      ].join('\n');
      const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], {
        encoding: 'utf8',
      });
      expect(result.stderr).toContain(`Could not save the export to "${out}" (the disk is full)`);
      expect(result.stderr).not.toMatch(STACK_LINE);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toBe('exit=2');
      // What is on the disk afterwards: the old export and the filler, no temporary file.
      expect(lines.slice(1, -1).sort()).toEqual(['filler', `results.${format}`]);
      expect(lines.at(-1)).toBe('last week');
    });
  }
});
