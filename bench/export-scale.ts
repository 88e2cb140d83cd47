// Export at scale: a job of 1,000,000 rows with their answers, made straight in a SQLite file (the
// run itself is what the other figures time), then exported to CSV and to XLSX by `rowbot run
// --resume JOB --out FILE` as a whole process, timed from spawn to exit under bench/rusage.py
// (wall time and peak RSS from wait4). The export reads the rows from the database a page at a
// time and writes them as it reads them: the target is a peak under 300 MB however many rows.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFinishedJob } from '../test/fixtures/finished-job.ts';
import { underRusage, type Usage } from './baseline.ts';
import { ROWBOT_BIN } from './whole-process.ts';

/** The peak the export must stay under, for a job of a million rows. */
const TARGET_RSS_MB = 300;

/** `rowbot run --resume JOB --db DB [--out OUT]` under bench/rusage.py: its wall time, CPU and peak RSS. */
function timedExport(
  dir: string,
  dbFile: string,
  jobId: string,
  out: string | null,
): Promise<Usage & { stderr: string }> {
  const command = [process.execPath, ROWBOT_BIN, 'run', '--resume', jobId, '--db', dbFile];
  return underRusage('python3', join(dir, 'usage.json'), [...command, ...(out === null ? [] : ['--out', out])]);
}

/**
 * The figures: the export of a job of `rows` rows (a million unless told) to CSV and to XLSX, each
 * a whole `rowbot` process, with its wall time and peak RSS against the 300 MB target.
 */
export async function exportScaleFigures(rows = 1_000_000): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-export-scale-'));
  try {
    const dbFile = join(dir, 'scale.db');
    const began = performance.now();
    const jobId = makeFinishedJob(dbFile, rows);
    const made = (performance.now() - began) / 1000;
    const lines = [
      `export at scale: a finished job of ${rows.toLocaleString('en-US')} rows made in SQLite in ${made.toFixed(1)} s (${Math.round(statSync(dbFile).size / 1e6)} MB)`,
    ];
    // The same command with nothing to export: what the process costs before the export.
    const bare = await timedExport(dir, dbFile, jobId, null);
    if (bare.code !== 1) throw new Error(`rowbot run --resume failed (exit ${bare.code})\n${bare.stderr}`);
    lines.push(
      `rowbot run --resume, no --out (start-up and the job's summary alone): ${bare.wallSeconds.toFixed(2)} s wall, ` +
        `peak RSS ${Math.round(bare.peakRssMb)} MB`,
    );
    for (const format of ['csv', 'xlsx'] as const) {
      const out = join(dir, `results.${format}`);
      const run = await timedExport(dir, dbFile, jobId, out);
      // Exit 1: some rows failed (one in fifty did), which is what the job holds.
      if (run.code !== 1 || !run.stderr.includes('Results saved to')) {
        throw new Error(`export to ${format} failed (exit ${run.code})\n${run.stderr}`);
      }
      const mb = statSync(out).size / 1e6;
      lines.push(
        `rowbot run --resume --out results.${format} (${rows.toLocaleString('en-US')} rows, ${mb.toFixed(0)} MB file): ` +
          `${run.wallSeconds.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} s CPU, peak RSS ${Math.round(run.peakRssMb)} MB ` +
          `(target ${TARGET_RSS_MB} MB: ${run.peakRssMb <= TARGET_RSS_MB ? 'met' : 'MISSED'})`,
      );
      rmSync(out, { force: true });
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node bench/export-scale.ts [ROWS]` prints the figures alone.
if (process.argv[1] === import.meta.filename) {
  for (const line of await exportScaleFigures(process.argv[2] === undefined ? undefined : Number(process.argv[2])))
    console.log(line);
}
