import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = pathToFileURL(join(ROOT, 'electron', 'cli', 'main.ts')).href;

/** The modules a `rowbot` command loads, as Node resolves them (module.registerHooks). */
function modulesLoadedBy(argv: string[]): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
    const { main } = await import(${JSON.stringify(MAIN)});
    // A refusal (a missing file) still shows what was loaded.
    await main(${JSON.stringify(argv)}).catch(() => undefined);
    process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n');
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const line = result.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no module list: ${result.stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

describe('rowbot startup', () => {
  it('rowbot help loads no command, no engine and no npm library', () => {
    const loaded = modulesLoadedBy(['help']);
    expect(loaded.some((url) => url.endsWith('/electron/cli/main.ts'))).toBe(true);
    expect(
      loaded.filter((url) => /\/electron\/engine\/|\/node_modules\/|\/cli\/(run|serve|inspect)\.ts$/.test(url)),
    ).toEqual([]);
  });

  it('rowbot run loads the engine but no XLSX or zip library (numfmt, saxes, fflate, exceljs) until a workbook needs them', () => {
    const loaded = modulesLoadedBy(['run', join(import.meta.dirname, 'missing.csv'), '--template', '{{a}}']);
    expect(loaded.some((url) => url.endsWith('/electron/engine/engine.ts'))).toBe(true);
    expect(loaded.filter((url) => /\/node_modules\/(numfmt|saxes|fflate|exceljs)\//.test(url))).toEqual([]);
  });

  it('rowbot inspect loads the importer but not the engine facade or the scheduler', () => {
    const loaded = modulesLoadedBy(['inspect', '--json', join(import.meta.dirname, 'missing.csv')]);
    expect(loaded.some((url) => url.endsWith('/electron/cli/inspect.ts'))).toBe(true);
    expect(loaded.filter((url) => /\/engine\/engine\.ts$|\/scheduler\//.test(url))).toEqual([]);
  });
});

describe('bin/rowbot.js', () => {
  /** A copy of the launcher in a tree whose built CLI and sources say which one ran. */
  function tree(): string {
    const root = mkdtempSync(join(tmpdir(), 'rowbot-launcher-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'rowbot.js'), join(root, 'bin', 'rowbot.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    for (const dir of ['out/main', 'electron/cli', 'shared']) mkdirSync(join(root, dir), { recursive: true });
    const which = (name: string): string =>
      `export async function cli(argv) { console.log(${JSON.stringify(name)}, argv.join(' ')); }\n`;
    writeFileSync(join(root, 'electron', 'cli', 'main.ts'), which('source'));
    writeFileSync(join(root, 'shared', 'api.ts'), 'export {};\n');
    writeFileSync(join(root, 'out', 'main', 'cli.js'), which('built'));
    return root;
  }
  const launch = (root: string, env: NodeJS.ProcessEnv = {}): string =>
    spawnSync(process.execPath, [join(root, 'bin', 'rowbot.js'), 'help', 'me'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }).stdout.trim();
  const age = (file: string, seconds: number): void => {
    const when = Date.now() / 1000 - seconds;
    utimesSync(file, when, when);
  };

  it('runs the built CLI when it is newer than every source file', () => {
    const root = tree();
    for (const file of ['electron/cli/main.ts', 'shared/api.ts']) age(join(root, file), 60);
    expect(launch(root)).toBe('built help me');
    expect(launch(root, { ROWBOT_FROM_SOURCE: '1' })).toBe('source help me');
  });

  it('runs the sources when one of them changed after the build, or nothing was built', () => {
    const root = tree();
    age(join(root, 'out', 'main', 'cli.js'), 60);
    age(join(root, 'electron', 'cli', 'main.ts'), 60);
    expect(launch(root)).toBe('source help me');
    rmSync(join(root, 'out'), { recursive: true });
    expect(launch(root)).toBe('source help me');
  });
});

describe('the built main process', () => {
  // The Electron app's bundle cannot be started here (no Electron binary), but a chunk that does
  // not parse would crash it on launch: a module of ours once declared `require`, as the bundler does.
  it('every chunk of out/main parses as a module', () => {
    const dir = join(ROOT, 'out', 'main');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    expect(files).toContain('index.js');
    expect(files).toContain('cli.js');
    for (const file of files) {
      const checked = spawnSync(process.execPath, ['--check', join(dir, file)], { encoding: 'utf8' });
      expect(checked.stderr, file).toBe('');
      expect(checked.status, file).toBe(0);
    }
  });
});
