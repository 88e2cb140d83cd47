// `npm start`, `npm run dev`, `npm run dist`: the desktop app's commands, with Electron fetched first.
//   start  build, then run the built app (electron-vite preview)
//   dev    run with hot reload (electron-vite dev)
//   dist   build and package installers (electron-builder downloads Electron for each target itself)
// Extra arguments go to electron-vite, or to electron-builder for dist.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  downloadBase,
  ElectronUnavailableError,
  ensureElectronBinary,
  explainDownloadFailure,
  NETWORK_FAILURE,
  readElectronPackage,
} from './electron-binary.ts';

const ROOT = resolve(import.meta.dirname, '..');
const requireFromRoot = createRequire(join(ROOT, 'package.json'));

/** The script a package declares as its command `name`, resolved from the project. */
function packageBin(pkg: string, name: string): string {
  const manifest = requireFromRoot.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(manifest), typeof bin === 'string' ? bin : (bin[name] ?? ''));
}

interface Run {
  code: number;
  output: string;
}

/** Runs a Node script, passing its output through (and keeping the tail of it when asked). */
function runNode(script: string, args: string[], env: NodeJS.ProcessEnv, keepOutput = false): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: keepOutput && process.stdout.isTTY ? { ...env, FORCE_COLOR: '1' } : env,
      stdio: keepOutput ? ['inherit', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    const tee = (sink: NodeJS.WriteStream) => (chunk: Buffer) => {
      sink.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', tee(process.stdout));
    child.stderr?.on('data', tee(process.stderr));
    // Ctrl+C reaches the whole process group; the child decides how to stop and we report its code.
    const ignore = () => {};
    const forward = () => child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      done({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

async function launch(command: 'preview' | 'dev', args: string[]): Promise<number> {
  const electron = readElectronPackage(dirname(requireFromRoot.resolve('electron/package.json')));
  const { path } = await ensureElectronBinary(electron, { onDownload: (line) => console.log(line) });
  const env = { ...process.env, ELECTRON_EXEC_PATH: path };
  return (await runNode(packageBin('electron-vite', 'electron-vite'), [command, ...args], env)).code;
}

async function dist(args: string[]): Promise<number> {
  const build = await runNode(packageBin('electron-vite', 'electron-vite'), ['build'], process.env);
  if (build.code !== 0) return build.code;
  const pack = await runNode(packageBin('electron-builder', 'electron-builder'), args, process.env, true);
  if (pack.code !== 0 && NETWORK_FAILURE.test(pack.output)) {
    const why = await explainDownloadFailure(pack.output, downloadBase(process.env), process.env);
    throw new ElectronUnavailableError(
      'Rowbot cannot package the app: packaging downloads Electron for each target system (about 100 MB each, cached after the first time), and the download failed.\n' +
        `Why: ${why}\n` +
        'What to do: run `npm run dist` again once this computer can reach the download address (or set ELECTRON_MIRROR). ' +
        'The app itself is built in out/; `npm run serve` runs it in a browser.',
    );
  }
  return pack.code;
}

const USAGE = 'usage: node bin/desktop.ts start|dev|dist [arguments for electron-vite or electron-builder]';

async function main([command, ...args]: string[]): Promise<number> {
  if (command === 'start') return launch('preview', args);
  if (command === 'dev') return launch('dev', args);
  if (command === 'dist') return dist(args);
  console.error(USAGE);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ElectronUnavailableError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exitCode = 1;
}
