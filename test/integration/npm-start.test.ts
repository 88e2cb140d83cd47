// `npm start` on a fresh clone, without the real Electron binary: a copy of the project whose
// node_modules/electron has no binary yet (as after `npm ci` with Electron 42+), so the build
// and launch go through the same scripts a new user runs. The copy keeps the build away from
// the out/ folder that the browser tests serve.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCES = [
  'package.json',
  'electron.vite.config.ts',
  'tsconfig.json',
  'bin',
  'build',
  'electron',
  'renderer',
  'shared',
];

/** The project as a fresh clone has it: sources, and node_modules with an electron package but no binary. */
function freshClone(dir: string): void {
  for (const entry of SOURCES) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  for (const file of readdirSync(ROOT).filter((name) => name.startsWith('tsconfig'))) {
    cpSync(join(ROOT, file), join(dir, file));
  }
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry !== 'electron') symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  const electron = join(ROOT, 'node_modules', 'electron');
  mkdirSync(join(modules, 'electron'));
  for (const entry of readdirSync(electron)) {
    if (entry === 'dist' || entry === 'path.txt') continue;
    if (entry === 'node_modules') symlinkSync(join(electron, entry), join(modules, 'electron', entry));
    else cpSync(join(electron, entry), join(modules, 'electron', entry), { recursive: true });
  }
}

/** `npm start` in `cwd`, with its exit code and everything it printed. */
function npmStart(cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('npm', ['start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => done({ code, output }));
  });
}

/** The environment of a user who configured nothing about Electron. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(npm_config_electron_|npm_package_config_electron_|ELECTRON_)/i.test(name) && !(name in extra)) {
      delete env[name];
    }
  }
  return env;
}

describe('npm start on a fresh clone', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-npm-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says in plain words that Electron cannot be downloaded, points to npm run serve, and builds nothing', async () => {
    const clone = join(dir, 'offline');
    mkdirSync(clone);
    freshClone(clone);
    // The package's real installer, against a download address that refuses connections.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    await new Promise((done) => server.close(done));
    const cache = join(dir, 'empty-electron-cache');
    mkdirSync(cache);

    const { code, output } = await npmStart(
      clone,
      cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: cache }),
    );

    expect(code).not.toBe(0);
    expect(output).toContain('Downloading Electron');
    expect(output).toContain('Rowbot cannot start the desktop app: it needs Electron');
    expect(output).toContain(`127.0.0.1 refused the connection on port ${port}`);
    expect(output).toContain('`npm run serve`');
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('Electron uninstall');
    expect(existsSync(join(clone, 'out'))).toBe(false);
  });

  it('builds the app and launches Electron (here a stand-in) with the built main process', async () => {
    const clone = join(dir, 'stand-in');
    mkdirSync(clone);
    freshClone(clone);
    const record = join(dir, 'launched-with.txt');
    const standIn = join(dir, 'electron-stand-in');
    writeFileSync(standIn, `#!/bin/sh\nprintf '%s\\n' "$PWD" "$@" > '${record}'\nexit 0\n`, { mode: 0o755 });

    const { code, output } = await npmStart(clone, cleanEnv({ ELECTRON_EXEC_PATH: standIn }));

    expect(output).not.toContain('Downloading Electron');
    expect(code).toBe(0);
    const [cwd, entry, ...rest] = readFileSync(record, 'utf8').trimEnd().split('\n');
    expect([cwd, entry, rest]).toEqual([clone, '.', []]);
    // Electron reads `main` of the package.json in the folder it is given.
    const { main } = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { main: string };
    expect(main).toBe('out/main/index.js');
    expect(readFileSync(join(clone, main), 'utf8')).toContain('BrowserWindow');
    expect(existsSync(join(clone, 'out', 'preload', 'index.cjs'))).toBe(true);
    expect(existsSync(join(clone, 'out', 'renderer', 'index.html'))).toBe(true);
  }, 180_000);
});
