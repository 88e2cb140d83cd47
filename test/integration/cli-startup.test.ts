import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = pathToFileURL(join(import.meta.dirname, '..', '..', 'electron', 'cli', 'main.ts')).href;

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

  it('rowbot inspect loads the importer but not the engine facade or the scheduler', () => {
    const loaded = modulesLoadedBy(['inspect', '--json', join(import.meta.dirname, 'missing.csv')]);
    expect(loaded.some((url) => url.endsWith('/electron/cli/inspect.ts'))).toBe(true);
    expect(loaded.filter((url) => /\/engine\/engine\.ts$|\/scheduler\//.test(url))).toEqual([]);
  });
});
