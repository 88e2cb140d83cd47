import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../electron/engine/store/database.ts';
import { Repository, type AttemptRecord, type RowPatch } from '../../electron/engine/store/repository.ts';
import { openBench, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/** mulberry32: the same "random" values on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole nanodollars as a decimal, with BigInt: spelled out apart from the code under test. */
function decimal(nanos: bigint): string {
  const whole = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** A plain decimal with at most nine places (a whole nanodollar), as BigInt nanodollars. */
function nanosOf(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) throw new Error(`not a plain amount in dollars: ${JSON.stringify(text)}`);
  return BigInt(match[1] as string) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

interface Made {
  /** Each row's exact cost (the sum of its attempts'), null when no attempt had a price. */
  rowNanos: (bigint | null)[];
  total: bigint;
}

/**
 * Rows of one to three attempts, each billed as the scheduler works a cost out: dollars in floating
 * point, from tokens and a price per million tokens with up to three decimals (so every exact cost
 * is a whole number of nanodollars). Some attempts have no price. Written through the Repository
 * to the job's SQLite file, as the row writer does.
 */
function writeRandomRows(repo: Repository, jobId: string, rows: number, next: () => number): Made {
  const rowNanos: (bigint | null)[] = [];
  let total = 0n;
  for (let index = 0; index < rows; index += 1) {
    const tries = 1 + Math.floor(next() * 3);
    const attempts: AttemptRecord[] = [];
    let sum: bigint | null = null;
    let cost: number | null = null;
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      // Now and then a request of a few nanodollars: amounts under a millionth of a dollar too.
      const tiny = next() < 0.15;
      const promptTokens = Math.floor(next() * (tiny ? 10 : 20_000));
      const completionTokens = Math.floor(next() * (tiny ? 10 : 4_000));
      // Dollars per million tokens, e.g. 0.075 or 12.345: nanodollars per token = price × 1,000.
      const inputNanos = 1 + Math.floor(next() * (tiny ? 9 : 20_000));
      const outputNanos = 1 + Math.floor(next() * (tiny ? 9 : 80_000));
      const priced = next() > 0.1;
      // Worked out in floating point, give or take the last bits, as float arithmetic hands it over.
      const dollars = (promptTokens * (inputNanos / 1000) + completionTokens * (outputNanos / 1000)) / 1e6;
      const wobble = 1 + Number.EPSILON * Math.floor(next() * 5 - 2);
      cost = priced ? dollars * wobble : null;
      if (priced) {
        const exact = BigInt(promptTokens) * BigInt(inputNanos) + BigInt(completionTokens) * BigInt(outputNanos);
        sum = (sum ?? 0n) + exact;
      }
      attempts.push({
        jobId,
        index,
        col: 0,
        attempt,
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z',
        outcome: attempt === tries ? 'done' : 'retry',
        httpStatus: 200,
        latencyMs: 10,
        promptTokens,
        completionTokens,
        cost,
        error: null,
      });
    }
    const last = attempts.at(-1) as AttemptRecord;
    const done: RowPatch = {
      jobId,
      index,
      col: 0,
      status: 'done',
      output: `answer ${index}`,
      error: null,
      attempts: tries,
      promptTokens: last.promptTokens,
      completionTokens: last.completionTokens,
      cost,
      cached: false,
      finish: 'stop',
    };
    // Some rows are written in one batch with their attempts, others over two (as two flushes would).
    if (next() < 0.5) {
      repo.applyRowPatches([done], attempts);
    } else {
      repo.applyRowPatches([], attempts.slice(0, -1));
      repo.applyRowPatches([done], attempts.slice(-1));
    }
    rowNanos.push(sum);
    total += sum ?? 0n;
  }
  return { rowNanos, total };
}

describe('money is exact: whole nanodollars stored and summed, plain decimals exported', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it.each([1, 2, 3])(
    'many random costs (seed %i): the job total is their exact sum, and CSV, JSON lines and XLSX read back without float noise',
    async (seed) => {
      bench = await openBench();
      const rows = 150;
      const jobId = await bench.job(rows);
      const db = openDatabase(bench.dbFile);
      let made: Made;
      try {
        made = writeRandomRows(new Repository(db), jobId, rows, random(seed));
      } finally {
        db.close();
      }

      const job = bench.engine.getJob(jobId);
      expect(job.usage.cost).toBe(Number(made.total) / 1e9);
      expect(decimal(BigInt(Math.round((job.usage.cost ?? 0) * 1e9)))).toBe(decimal(made.total));
      const shown = firstCells(bench.engine.getRows(jobId)).map((row) => row.cost);
      expect(shown).toEqual(made.rowNanos.map((nanos) => (nanos === null ? null : Number(nanos) / 1e9)));

      // CSV, read by papaparse.
      const csvFile = join(bench.dir, 'out.csv');
      await bench.engine.exportTo(jobId, csvFile);
      const [header, ...records] = Papa.parse<string[]>(readFileSync(csvFile, 'utf8').replace(/^\uFEFF/, ''), {
        skipEmptyLines: true,
      }).data as [string[], ...string[][]];
      const costAt = header.indexOf('cost');
      const csvCosts = records.map((record) => record[costAt] as string);
      expect(csvCosts).toEqual(made.rowNanos.map((nanos) => (nanos === null ? '' : decimal(nanos))));
      expect(csvCosts.filter(Boolean).reduce((sum, text) => sum + nanosOf(text), 0n)).toBe(made.total);

      // JSON lines: the amount is a JSON number written as a plain decimal.
      const jsonlFile = join(bench.dir, 'out.jsonl');
      await bench.engine.exportTo(jobId, jsonlFile);
      const lines = readFileSync(jsonlFile, 'utf8').trimEnd().split('\n');
      const jsonCosts = lines.map((line) => /"cost":([^,}]*)/.exec(line)?.[1]);
      expect(jsonCosts).toEqual(made.rowNanos.map((nanos) => (nanos === null ? 'null' : decimal(nanos))));
      expect(lines.map((line) => (JSON.parse(line) as { cost: number | null }).cost)).toEqual(shown);

      // XLSX, read by ExcelJS: numbers a spreadsheet can add up, each the double nearest its exact amount.
      const xlsxFile = join(bench.dir, 'out.xlsx');
      await bench.engine.exportTo(jobId, xlsxFile);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(xlsxFile);
      const sheet = workbook.worksheets[0] as ExcelJS.Worksheet;
      const column = (sheet.getRow(1).values as unknown[]).indexOf('cost');
      const cells = made.rowNanos.map((_, i) => sheet.getRow(i + 2).getCell(column).value);
      expect(cells).toEqual(made.rowNanos.map((nanos) => (nanos === null ? null : Number(nanos) / 1e9)));
      // And in the file itself no value carries a tail of float noise.
      const xml = strFromU8(unzipSync(readFileSync(xlsxFile))['xl/worksheets/sheet1.xml'] as Uint8Array);
      const values = [...xml.matchAll(/<v>([^<]*)<\/v>/g)].map((match) => match[1] as string);
      expect(values.filter((value) => /\.\d{10,}/.test(value) || /\d{16,}/.test(value))).toEqual([]);
    },
  );
});
