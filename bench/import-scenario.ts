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
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  // Then export every row (unanswered) to XLSX: the other big file operation.
  const job = engine.createJob({
    sheetId: preview.sheetId,
    template: '{{col0}}',
    provider: { kind: 'demo', model: 'demo' },
  });
  const exportStart = performance.now();
  await engine.exportTo(job.id, join(dir, 'out.xlsx'), { format: 'xlsx', rows: 'all' });
  const exportSeconds = (performance.now() - exportStart) / 1000;
  console.log(
    JSON.stringify({ seconds, rows: preview.rowCount, columns: preview.columns.length, peakRssMb, exportSeconds }),
  );
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
