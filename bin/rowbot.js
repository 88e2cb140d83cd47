#!/usr/bin/env node
// `npx rowbot …` from the repository: runs the TypeScript sources directly with Node's type stripping.
import { spawnSync } from 'node:child_process';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(`rowbot needs Node.js 22.12 or newer (this is ${process.version}). Run it through npm: npx rowbot …`);
  process.exit(1);
}
if (!process.features.typescript) {
  // Node 22.12–22.17 strip types only behind a flag.
  const args = ['--experimental-strip-types', '--no-warnings', ...process.execArgv, ...process.argv.slice(1)];
  const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(status ?? 1);
}
const { cli } = await import('../electron/cli/main.ts');
await cli(process.argv.slice(2));
