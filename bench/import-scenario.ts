// Imports one file into a fresh database in its own process: clean time and peak-RSS figures.
// Usage: node import-scenario.js <file>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../electron/engine/engine.ts';

const [file] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-import-'));
const engine = new Engine({ dbFile: join(dir, 'import.db') });
try {
  const start = performance.now();
  const preview = await engine.importFile(file ?? '');
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      seconds,
      rows: preview.rowCount,
      columns: preview.columns.length,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
