import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './harness.ts';

interface Serve {
  child: ChildProcess;
  origin: string;
  call<T>(name: string, input: unknown): Promise<T>;
}

/** The real `rowbot serve`, its temporary files in `temp` (TMPDIR), so a test can see them. */
async function serveIn(temp: string, dbFile: string): Promise<Serve> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'rowbot.js'), 'serve', '--db', dbFile], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<URL>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
      if (match) resolve(new URL(match[0]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`rowbot serve exited with ${code}:\n${output}`)));
  });
  const token = url.searchParams.get('token') ?? '';
  return {
    child,
    origin: url.origin,
    async call<T>(name: string, input: unknown): Promise<T> {
      const response = await fetch(`${url.origin}/api/call/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      const result = (await response.json()) as { ok: boolean; value: T; error?: { message: string } };
      if (!result.ok) throw new Error(result.error?.message);
      return result.value;
    },
  };
}

describe('rowbot serve: temporary uploads and exports', () => {
  const temp = mkdtempSync(join(tmpdir(), 'rowbot-temp-files-'));
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(temp, { recursive: true, force: true });
  });

  it('keeps them private, and removes what a killed server left behind when the next one starts', async () => {
    const dbFile = join(temp, 'rowbot.db');
    const first = await serveIn(temp, dbFile);
    children.push(first.child);
    const imported = await first.call<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'private.csv',
      dataBase64: Buffer.from('name\nAda\nGrace\n').toString('base64'),
    });
    const job = await first.call<{ id: string }>('createJob', {
      sheetId: imported.preview.sheetId,
      template: 'About {{name}}',
      provider: { kind: 'demo', model: 'demo' },
    });
    await first.call('exportJob', { jobId: job.id, format: 'csv', rows: 'all' });
    const left = readdirSync(temp).filter((name) => /^rowbot-(exports|uploads)-/.test(name));
    expect(left.map((name) => name.split('-')[1]).sort()).toEqual(['exports', 'uploads']);
    for (const folder of left) {
      expect(statSync(join(temp, folder)).mode & 0o777).toBe(0o700);
      const files = readdirSync(join(temp, folder));
      expect(files).toHaveLength(1);
      expect(statSync(join(temp, folder, files[0] ?? '')).mode & 0o777).toBe(0o600);
    }

    // A crash: nothing is cleaned up.
    const gone = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await gone;
    expect(left.every((folder) => existsSync(join(temp, folder)))).toBe(true);

    const second = await serveIn(temp, dbFile);
    children.push(second.child);
    expect(left.filter((folder) => existsSync(join(temp, folder)))).toEqual([]);
    expect((await second.call<unknown[]>('listJobs', {})).length).toBe(1);
    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    await stopped;
  });
});
