// The download step of `npm start`: fetch Electron only when its binary is missing, and explain a
// failed download in plain words. Stand-in installers play node_modules/electron/install.js, whose
// contract (electron@45 install.js, read in node_modules) is: exit 0 once `dist/<path.txt>` exists;
// on failure print `err.stack` and exit 1, e.g. "TypeError: fetch failed" with no cause.
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ElectronUnavailableError,
  ensureElectronBinary,
  explainDownloadFailure,
  findElectronBinary,
  type ElectronPackage,
} from '../../bin/electron-binary.ts';

const OFFLINE_STACK = [
  'TypeError: fetch failed',
  '    at node:internal/deps/undici/undici:15270:13',
  '    at async FetchDownloader.download (file:///x/node_modules/@electron/get/dist/FetchDownloader.js:46:30)',
].join('\n');

/** A node_modules/electron folder whose install.js is `installer` (a script body) and records that it ran. */
function fakeElectron(root: string, name: string, installer: string): ElectronPackage {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1' }));
  writeFileSync(
    join(dir, 'install.js'),
    `const fs = require('fs'), path = require('path');\n` +
      `fs.writeFileSync(path.join(__dirname, 'installer-ran'), '');\n${installer}\n`,
  );
  return { dir, version: '45.4.1' };
}

const INSTALLS = `fs.mkdirSync(path.join(__dirname, 'dist'));
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '#!/bin/sh\\n', { mode: 0o755 });
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');`;

const FAILS_OFFLINE = `console.error(${JSON.stringify(OFFLINE_STACK)}); process.exit(1);`;

function installed(pkg: ElectronPackage): void {
  mkdirSync(join(pkg.dir, 'dist'));
  writeFileSync(join(pkg.dir, 'dist', 'electron'), '');
  writeFileSync(join(pkg.dir, 'path.txt'), 'electron');
}

const ranInstaller = (pkg: ElectronPackage) => existsSync(join(pkg.dir, 'installer-ran'));

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('ensureElectronBinary', () => {
  let root: string;
  const env = { PATH: process.env.PATH };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rowbot-electron-bin-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fetches nothing when the binary is already there', async () => {
    const pkg = fakeElectron(root, 'present', INSTALLS);
    installed(pkg);
    const told: string[] = [];
    const result = await ensureElectronBinary(pkg, { env, onDownload: (line) => told.push(line) });
    expect(result).toEqual({ path: join(pkg.dir, 'dist', 'electron'), downloaded: false });
    expect(ranInstaller(pkg)).toBe(false);
    expect(told).toEqual([]);
  });

  it('runs the package installer, saying so in one line, when path.txt and the binary are missing', async () => {
    const pkg = fakeElectron(root, 'missing', INSTALLS);
    const told: string[] = [];
    const result = await ensureElectronBinary(pkg, { env, onDownload: (line) => told.push(line) });
    expect(ranInstaller(pkg)).toBe(true);
    expect(result).toEqual({ path: join(pkg.dir, 'dist', 'electron'), downloaded: true });
    expect(findElectronBinary(pkg, env)).toBe(result.path);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^Downloading Electron 45\.4\.1 .*about 100 MB.*first start/);
  });

  it('runs the installer when path.txt names a binary that is gone', async () => {
    const pkg = fakeElectron(root, 'binary-deleted', INSTALLS.replace(/^fs\.mkdirSync.*$/m, ''));
    installed(pkg);
    rmSync(join(pkg.dir, 'dist', 'electron'));
    const result = await ensureElectronBinary(pkg, { env });
    expect(ranInstaller(pkg)).toBe(true);
    expect(result.downloaded).toBe(true);
  });

  it('never downloads into a location the user chose, and names the variable', async () => {
    const pkg = fakeElectron(root, 'user-path', INSTALLS);
    for (const variable of ['ELECTRON_EXEC_PATH', 'ELECTRON_OVERRIDE_DIST_PATH']) {
      const error = await ensureElectronBinary(pkg, { env: { ...env, [variable]: join(root, 'nowhere') } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ElectronUnavailableError);
      expect((error as Error).message).toContain(`${variable} is set, but there is no Electron executable at`);
    }
    expect(ranInstaller(pkg)).toBe(false);
  });

  it('uses the executable ELECTRON_EXEC_PATH names, as electron-vite does', async () => {
    const pkg = fakeElectron(root, 'exec-path', INSTALLS);
    const standIn = join(root, 'stand-in');
    writeFileSync(standIn, '');
    expect(await ensureElectronBinary(pkg, { env: { ...env, ELECTRON_EXEC_PATH: standIn } })).toEqual({
      path: standIn,
      downloaded: false,
    });
    expect(ranInstaller(pkg)).toBe(false);
  });

  it('explains a failed download in plain words: the cause, and `npm run serve`, with no stack trace', async () => {
    const pkg = fakeElectron(root, 'offline', FAILS_OFFLINE);
    const port = await closedPort();
    const error = await ensureElectronBinary(pkg, {
      env: { ...env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/` },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ranInstaller(pkg)).toBe(true);
    expect(error).toBeInstanceOf(ElectronUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('Rowbot cannot start the desktop app: it needs Electron 45.4.1');
    expect(message).toContain(`Why: 127.0.0.1 refused the connection on port ${port}.`);
    expect(message).toContain('npm run serve');
    expect(message).not.toMatch(/^\s+at /m);
    expect(message).not.toContain('TypeError');
  });

  it('reports an installer that claims success without leaving a binary', async () => {
    const pkg = fakeElectron(root, 'lies', 'process.exit(0);');
    await expect(ensureElectronBinary(pkg, { env })).rejects.toThrow(
      /Why: the installer finished but left no executable at .*lies.dist.electron\./,
    );
  });
});

describe('explainDownloadFailure', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('names a host that cannot be looked up (".invalid" never resolves, RFC 6761)', async () => {
    const why = await explainDownloadFailure(OFFLINE_STACK, 'https://mirror.rowbot.invalid/electron/', {});
    expect(why).toMatch(
      /^this computer cannot look up mirror\.rowbot\.invalid \((ENOTFOUND|EAI_AGAIN)\): it seems to be offline/,
    );
  });

  it('quotes the installer when the host is reachable (a missing release, a bad checksum)', async () => {
    const why = await explainDownloadFailure(
      'HTTPError: Response code 404 (Not Found) for http://x/electron-v45.4.1-linux-x64.zip\n    at foo (bar.js:1:1)',
      `http://127.0.0.1:${port}/`,
      {},
    );
    expect(why).toBe(
      `the download from 127.0.0.1:${port} stopped with: HTTPError: Response code 404 (Not Found) for http://x/electron-v45.4.1-linux-x64.zip`,
    );
  });

  it('says the disk is full rather than blaming the network', async () => {
    const why = await explainDownloadFailure(
      'Error: ENOSPC: no space left on device, write',
      'https://github.com/',
      {},
    );
    expect(why).toMatch(/^the disk is full/);
  });

  it('points at a mirror address that is not an address', async () => {
    expect(await explainDownloadFailure(OFFLINE_STACK, 'not a url', {})).toContain('ELECTRON_MIRROR');
  });
});
