#!/usr/bin/env node
// `npx rowbot …`: runs the built CLI (out/main/cli.js, made by `npm run build`) when it is at
// least as new as every source file, else the TypeScript sources through Node's type stripping.
// The built one starts in ~40 ms instead of ~500 ms of stripping types on every command.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(`rowbot needs Node.js 22.12 or newer (this is ${process.version}). Run it through npm: npx rowbot …`);
  process.exit(1);
}

// V8's compiled code of every module, kept between runs (in the system's temporary folder): a
// command then skips compiling its ~40 modules and their libraries again.
module.enableCompileCache?.();

const root = join(import.meta.dirname, '..');
const built = join(root, 'out', 'main', 'cli.js');

/** The newest modification time of the files under `dir` (0 when there is no such folder). */
function newestUnder(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function builtIsFresh() {
  if (process.env.ROWBOT_FROM_SOURCE === '1') return false;
  let builtAt;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return false;
  }
  return ['electron', 'shared'].every((dir) => newestUnder(join(root, dir)) <= builtAt);
}

if (builtIsFresh()) {
  const { cli } = await import(built);
  await cli(process.argv.slice(2));
} else {
  if (!process.features.typescript) {
    // Node 22.12–22.17 strip types only behind a flag.
    const args = ['--experimental-strip-types', '--no-warnings', ...process.execArgv, ...process.argv.slice(1)];
    const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
    process.exit(status ?? 1);
  }
  const { cli } = await import('../electron/cli/main.ts');
  await cli(process.argv.slice(2));
}
