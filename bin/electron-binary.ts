// Finds the Electron executable for `npm start` / `npm run dev`, downloading it once when missing.
//
// Electron 42+ ships no install script: the binary is fetched by the package's own installer
// (`install.js`, also `npx install-electron`) or on the first `require('electron')`. electron-vite
// reads `node_modules/electron/path.txt` itself and throws "Electron uninstall" when it is absent,
// so on a fresh clone nothing would ever fetch it. We run the installer first, then hand
// electron-vite the exact path through ELECTRON_EXEC_PATH (the variable it reads before path.txt).
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { connect, isIP } from 'node:net';
import { join } from 'node:path';

/** Where @electron/get downloads from when no mirror is configured (its artifact-utils.js BASE_URL). */
export const DEFAULT_DOWNLOAD_BASE = 'https://github.com/electron/electron/releases/download/';

/** The executable's name inside `dist/`, as install.js writes it to path.txt. */
function platformExecutable(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

export interface ElectronPackage {
  /** The `node_modules/electron` folder. */
  dir: string;
  version: string;
}

export function readElectronPackage(dir: string): ElectronPackage {
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

/**
 * The executable Electron would run, looked up the way the electron package itself does
 * (ELECTRON_EXEC_PATH, then ELECTRON_OVERRIDE_DIST_PATH, then `dist/` + path.txt), without
 * triggering a download. `user` is true when the user chose the location through a variable.
 */
export function electronExecutable(
  pkg: ElectronPackage,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): { path: string; user: boolean; variable?: string } {
  if (env.ELECTRON_EXEC_PATH) return { path: env.ELECTRON_EXEC_PATH, user: true, variable: 'ELECTRON_EXEC_PATH' };
  const pathFile = join(pkg.dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : platformExecutable(platform);
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    return {
      path: join(env.ELECTRON_OVERRIDE_DIST_PATH, relative),
      user: true,
      variable: 'ELECTRON_OVERRIDE_DIST_PATH',
    };
  }
  return { path: join(pkg.dir, 'dist', relative), user: false };
}

/** The executable if it is there, else null; never downloads. */
export function findElectronBinary(pkg: ElectronPackage, env: NodeJS.ProcessEnv = process.env): string | null {
  const { path } = electronExecutable(pkg, env);
  return existsSync(path) ? path : null;
}

/** A failure to get Electron, explained in plain words for the terminal. */
export class ElectronUnavailableError extends Error {
  override readonly name = 'ElectronUnavailableError';
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Told once, before a download starts. */
  onDownload?: (message: string) => void;
  /** How long the reachability check waits for the download host. */
  probeTimeoutMs?: number;
}

/**
 * Returns the Electron executable, running the package's own installer first when it is
 * missing. A location the user set (ELECTRON_EXEC_PATH, ELECTRON_OVERRIDE_DIST_PATH) is
 * never downloaded into: it is theirs, so a missing file there is reported instead.
 */
export async function ensureElectronBinary(
  pkg: ElectronPackage,
  options: EnsureOptions = {},
): Promise<{ path: string; downloaded: boolean }> {
  const env = options.env ?? process.env;
  const wanted = electronExecutable(pkg, env);
  if (existsSync(wanted.path)) return { path: wanted.path, downloaded: false };
  if (wanted.user) {
    throw new ElectronUnavailableError(
      `Rowbot cannot start the desktop app: ${wanted.variable} is set, but there is no Electron executable at ${wanted.path}.\n` +
        `Point ${wanted.variable} at an Electron ${pkg.version} executable, or unset it to let Rowbot download Electron.`,
    );
  }

  options.onDownload?.(
    `Downloading Electron ${pkg.version} for this computer (about 100 MB, only on the first start)…`,
  );
  const { code, output } = await runInstaller(pkg.dir, env);
  const installed = electronExecutable(pkg, env).path;
  if (code === 0 && existsSync(installed)) return { path: installed, downloaded: true };

  const why =
    code === 0
      ? `the installer finished but left no executable at ${installed}. Delete node_modules/electron and run \`npm install\` again.`
      : await explainDownloadFailure(output, downloadBase(env), env, options.probeTimeoutMs);
  throw new ElectronUnavailableError(
    `Rowbot cannot start the desktop app: it needs Electron ${pkg.version}, which is downloaded once on the first start, and the download failed.\n` +
      `Why: ${why}\n` +
      'What to do: run `npm run serve` to use the same app in your browser, or run `npm start` again once the download can work. ' +
      'Behind a proxy, set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=1; with a mirror, set ELECTRON_MIRROR.',
  );
}

/** Runs `node_modules/electron/install.js` with its output captured (it prints a stack trace on failure). */
function runInstaller(dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dir, 'install.js')], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => resolve({ code: null, output: `${output}\n${error.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The mirror @electron/get will use, read from the same variables it reads (artifact-utils.js `mirrorVar`). */
export function downloadBase(env: NodeJS.ProcessEnv): string {
  return (
    env.npm_config_electron_mirror ||
    env.NPM_CONFIG_ELECTRON_MIRROR ||
    env.npm_package_config_electron_mirror ||
    env.ELECTRON_MIRROR ||
    DEFAULT_DOWNLOAD_BASE
  );
}

/** Network errors as Node and undici name them, as they appear in a download tool's output. */
export const NETWORK_FAILURE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|fetch failed|getaddrinfo/;

/**
 * One sentence on why a download failed. Download tools print "fetch failed" and hide the cause,
 * so the host is checked directly: can its name be looked up, does it accept a connection.
 */
export async function explainDownloadFailure(
  output: string,
  base: string,
  env: NodeJS.ProcessEnv,
  probeTimeoutMs = 5_000,
): Promise<string> {
  if (/ENOSPC/.test(output)) return 'the disk is full. Free some space (Electron needs about 300 MB unpacked).';
  const said = lastErrorLine(output);
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return `the download address ${JSON.stringify(base)} (from ELECTRON_MIRROR) is not a valid address.`;
  }
  const usesProxy =
    Boolean(env.ELECTRON_GET_USE_PROXY) && Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY);
  if (!usesProxy && (said === null || NETWORK_FAILURE.test(output))) {
    const unreachable = await probeHost(url, probeTimeoutMs);
    if (unreachable) return unreachable;
  }
  return said
    ? `the download from ${url.host} stopped with: ${said}`
    : `the installer (node_modules/electron/install.js) failed without saying why.`;
}

/** Why `url`'s host cannot be reached, or null when it accepts a connection. */
async function probeHost(url: URL, timeoutMs: number): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'http:' ? 80 : 443);
  let address = host;
  if (!isIP(host)) {
    try {
      address = (await lookup(host)).address;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      return `this computer cannot look up ${host} (${code}): it seems to be offline, or a firewall blocks it.`;
    }
  }
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () =>
      done(
        `${host} did not answer within ${Math.round(timeoutMs / 1000)} s: the network or a firewall is blocking it.`,
      ),
    );
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code === 'ECONNREFUSED'
          ? `${host} refused the connection on port ${port}.`
          : `this computer cannot reach ${host} (${error.code ?? error.message}).`,
      ),
    );
  });
}

/** The message of the last `SomeError: message` line, without the stack. */
function lastErrorLine(output: string): string | null {
  const lines = output.split(/\r?\n/).filter((line) => /^\s*(?:\w+)?Error\b.*?:\s*\S/.test(line));
  const last = lines.at(-1);
  return last ? last.trim() : null;
}
