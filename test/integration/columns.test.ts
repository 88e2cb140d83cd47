// Several AI columns in one job (issue 17): chained prompts flowing row by row through the columns,
// a failed input cell holding its dependents until retried, stale cells, corrections as examples,
// models side by side, and the rules that keep a column right of the columns it uses.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDetail, RowView } from '../../shared/api.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { mockReply, type MockOptions } from '../fixtures/mock-llm-server.ts';
import { killMidRun, openBench, type Bench } from './harness.ts';

/** summary → label (uses summary) → reply (uses label and the sheet). */
const SUMMARY = 'Summarise: {{text}}';
const LABEL = 'Classify: {{summary}}';
const REPLY = 'Reply to {{name}} about {{label}}';

const summaryOf = (n: number): string => mockReply(`Summarise: text ${n}`);
const labelOf = (n: number): string => mockReply(`Classify: ${summaryOf(n)}`);
const replyOf = (n: number): string => mockReply(`Reply to name ${n} about ${labelOf(n)}`);

/** Records each chat request's prompt and arrival, in order (the mock's `fault` hook sees every admitted request). */
function requestLog(): { log: { prompt: string; at: number }[]; options: MockOptions } {
  const log: { prompt: string; at: number }[] = [];
  return {
    log,
    options: {
      fault: (prompt) => {
        log.push({ prompt, at: performance.now() });
        return undefined;
      },
    },
  };
}

async function chainedJob(bench: Bench, rows: number, settings = {}): Promise<JobDetail> {
  const lines = ['name,text'];
  for (let n = 1; n <= rows; n += 1) lines.push(`name ${n},text ${n}`);
  const preview = await bench.engine.importBytes('notes.csv', Buffer.from(lines.join('\n')));
  return bench.engine.createJob({
    sheetId: preview.sheetId,
    template: SUMMARY,
    columnName: 'summary',
    provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-1' },
    settings,
    moreColumns: [
      { name: 'label', template: LABEL },
      { name: 'reply', template: REPLY },
    ],
  });
}

const outputs = (row: RowView | undefined): (string | null)[] => row?.cells.map((cell) => cell.output) ?? [];

describe('several AI columns', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('chains columns: each cell uses the answers to its left, and rows flow through the columns', async () => {
    const { log, options } = requestLog();
    bench = await openBench({ ...options, latencyMs: (p) => 3 + ((p.length * 7) % 20) });
    const job = await chainedJob(bench, 120, { concurrency: 8 });
    expect(job.aiColumns.map((c) => [c.name, c.uses])).toEqual([
      ['summary', []],
      ['label', [job.aiColumns[0]?.id]],
      ['reply', [job.aiColumns[1]?.id]],
    ]);
    bench.engine.startJob(job.id);
    const summary = await bench.engine.waitForJob(job.id);

    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ done: 360, failed: 0, queued: 0, total: 360 });
    expect(summary.columnStats.map((c) => [c.name, c.counts.done])).toEqual([
      ['summary', 120],
      ['label', 120],
      ['reply', 120],
    ]);
    const rows = bench.engine.getRows(job.id).rows;
    for (const row of rows) {
      const n = row.index + 1;
      expect(outputs(row)).toEqual([summaryOf(n), labelOf(n), replyOf(n)]);
    }
    // Every cell sent once: no request twice, none left out.
    expect(bench.mock.totalRequests).toBe(360);
    expect([...bench.mock.requestsByPrompt.values()].every((n) => n === 1)).toBe(true);
    // The exact prompt a chained cell sent is kept for the drawer.
    const cell = bench.engine.getRow(job.id, 4, job.aiColumns[2]?.id);
    expect(cell).toMatchObject({
      columnName: 'reply',
      prompt: `Reply to name 5 about ${labelOf(5)}`,
      output: replyOf(5),
    });

    // No barrier between columns: labels are asked for long before the last summary is.
    const firstLabel = log.findIndex((entry) => entry.prompt.startsWith('Classify: '));
    const lastSummary = log.findLastIndex((entry) => entry.prompt.startsWith('Summarise: '));
    const firstReply = log.findIndex((entry) => entry.prompt.startsWith('Reply to '));
    expect(firstLabel).toBeGreaterThan(-1);
    expect(firstLabel).toBeLessThan(lastSummary);
    expect(firstReply).toBeLessThan(lastSummary);
    // And each row's cells in order: a label is never asked before its own summary was answered.
    for (let n = 1; n <= 120; n += 1) {
      const asked = log.findIndex((entry) => entry.prompt === `Classify: ${summaryOf(n)}`);
      const own = log.findIndex((entry) => entry.prompt === `Summarise: text ${n}`);
      expect(asked).toBeGreaterThan(own);
    }
  });

  it('a failed input cell holds the cells using it, shown queued, until it is retried and answered', async () => {
    let refuse = true;
    bench = await openBench({
      fault: (prompt) =>
        refuse && prompt === 'Summarise: text 3'
          ? { status: 400, body: { error: { message: 'This row is refused.', type: 'invalid_request_error' } } }
          : undefined,
    });
    const job = await chainedJob(bench, 6, { concurrency: 4 });
    bench.engine.startJob(job.id);
    const first = await bench.engine.waitForJob(job.id);
    expect(first.columnStats.map((c) => c.counts)).toEqual([
      { queued: 0, running: 0, done: 5, failed: 1, skipped: 0, total: 6 },
      { queued: 1, running: 0, done: 5, failed: 0, skipped: 0, total: 6 },
      { queued: 1, running: 0, done: 5, failed: 0, skipped: 0, total: 6 },
    ]);
    const row = bench.engine.getRows(job.id).rows[2];
    expect(row?.cells.map((cell) => cell.status)).toEqual(['failed', 'queued', 'queued']);
    expect(
      [...bench.mock.requestsByPrompt.keys()].some((p) => p.startsWith('Classify: ') && p.includes('text 3')),
    ).toBe(false);

    refuse = false;
    const { requeued } = bench.engine.runCells({ jobId: job.id, which: 'failed' });
    expect(requeued).toBe(1);
    const second = await bench.engine.waitForJob(job.id);
    expect(second.counts).toMatchObject({ done: 18, failed: 0, queued: 0 });
    expect(outputs(bench.engine.getRows(job.id).rows[2])).toEqual([summaryOf(3), labelOf(3), replyOf(3)]);
  });

  it('a changed prompt makes its cells and those using them stale; "run stale cells" answers them again', async () => {
    bench = await openBench();
    const job = await chainedJob(bench, 5);
    bench.engine.startJob(job.id);
    await bench.engine.waitForJob(job.id);
    const [summaryCol, labelCol, replyCol] = job.aiColumns.map((c) => c.id) as [number, number, number];

    const changed = bench.engine.updateColumn({ jobId: job.id, col: labelCol, template: 'Label: {{summary}}' });
    expect(changed.columnStats.map((c) => c.stale)).toEqual([0, 5, 5]);
    expect(changed.status).toBe('paused');
    expect(changed.pauseReason).toContain('Run stale cells');
    expect(bench.engine.getRows(job.id).rows[0]?.cells.map((c) => c.stale)).toEqual([false, true, true]);

    bench.mock.resetCounters();
    const { requeued } = bench.engine.runCells({ jobId: job.id, which: 'stale' });
    expect(requeued).toBe(10);
    const done = await bench.engine.waitForJob(job.id);
    expect(done.columnStats.map((c) => [c.stale, c.counts.done])).toEqual([
      [0, 5],
      [0, 5],
      [0, 5],
    ]);
    // Only the stale columns were sent again, with the new prompt; the summaries were kept.
    expect(bench.mock.totalRequests).toBe(10);
    const label = mockReply(`Label: ${summaryOf(2)}`);
    expect(outputs(bench.engine.getRows(job.id).rows[1])).toEqual([
      summaryOf(2),
      label,
      mockReply(`Reply to name 2 about ${label}`),
    ]);
    expect(summaryCol).not.toBe(replyCol);

    // Editing the job's prompt counts the rows its first column answered, not every column's cells.
    const edited = bench.engine.editJob({ jobId: job.id, systemPrompt: 'Be brief.', rerun: 'rest' });
    expect(edited.pauseReason).toContain('Changed: 5 answered rows keep their answers');
  });

  it('a correction is kept, marks the cells using it stale, and is offered to the model as an example', async () => {
    bench = await openBench();
    const job = await chainedJob(bench, 4);
    const [, labelCol] = job.aiColumns.map((c) => c.id) as [number, number, number];
    bench.engine.sampleJob(job.id, 2);
    await bench.engine.waitForJob(job.id);

    const { cell } = bench.engine.editCell({ jobId: job.id, index: 0, col: labelCol, output: 'complaint' });
    expect(cell).toMatchObject({ status: 'done', output: 'complaint', edited: true, stale: false });
    expect(bench.engine.getRows(job.id).rows[0]?.cells.map((c) => [c.edited, c.stale])).toEqual([
      [false, false],
      [true, false],
      [false, true],
    ]);

    bench.engine.updateColumn({ jobId: job.id, col: labelCol, useCorrections: true });
    const preview = bench.engine.previewColumnPrompt({ jobId: job.id, col: labelCol, index: 1 });
    expect(preview.examples).toBe(1);
    expect(preview.prompt).toContain(`Input:\nClassify: ${summaryOf(1)}\nCorrect answer:\ncomplaint`);
    expect(preview.prompt.endsWith(`Classify: ${summaryOf(2)}`)).toBe(true);

    bench.engine.startJob(job.id);
    await bench.engine.waitForJob(job.id);
    // The rest of the column was asked with the example first; the corrected cell was not sent again.
    const sent = [...bench.mock.requestsByPrompt.keys()].filter((p) => p.includes('Classify: '));
    const withExample = sent.filter((p) => p.startsWith('Here are examples'));
    expect(withExample.map((p) => p.slice(p.lastIndexOf('Classify: ')))).toEqual([
      `Classify: ${summaryOf(3)}`,
      `Classify: ${summaryOf(4)}`,
    ]);
    expect(bench.engine.getRows(job.id).rows[0]?.cells[1]).toMatchObject({ output: 'complaint', edited: true });
    // Running the column again keeps the correction.
    bench.engine.runCells({ jobId: job.id, which: 'all', col: labelCol });
    await bench.engine.waitForJob(job.id);
    expect(bench.engine.getRows(job.id).rows[0]?.cells[1]).toMatchObject({ output: 'complaint', edited: true });
  });

  it('compares two models side by side: a copy of a column with another model answers every row too', async () => {
    bench = await openBench({
      replyBody: (parts) => ({
        id: parts.id,
        object: 'chat.completion',
        created: parts.created,
        model: parts.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: parts.model === 'mock-2' && parts.prompt.endsWith('2') ? 'no' : 'yes',
            },
            finish_reason: 'stop',
          },
        ],
        usage: parts.usage,
      }),
    });
    const preview = await bench.engine.importBytes('q.csv', Buffer.from('q\nq1\nq2\nq3'));
    const job = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Is it fine? {{q}}',
      columnName: 'verdict',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-1' },
    });
    const compared = bench.engine.duplicateColumn({
      jobId: job.id,
      col: job.aiColumns[0]?.id ?? 0,
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-2' },
    });
    expect(compared.aiColumns.map((c) => [c.name, c.provider.model, c.comparesWith])).toEqual([
      ['verdict', 'mock-1', null],
      ['verdict mock-2', 'mock-2', job.aiColumns[0]?.id],
    ]);
    bench.engine.startJob(job.id);
    await bench.engine.waitForJob(job.id);
    expect(bench.engine.getRows(job.id).rows.map(outputs)).toEqual([
      ['yes', 'yes'],
      ['yes', 'no'],
      ['yes', 'yes'],
    ]);
  });

  it('a later column can use one field of a JSON column: {{triage.language}}', async () => {
    bench = await openBench();
    const preview = await bench.engine.importBytes('t.csv', Buffer.from('text\nparcel late\nthanks'));
    const job = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Triage: {{text}}',
      columnName: 'triage',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-1' },
      moreColumns: [{ name: 'reply', template: 'Reply in {{triage.language}} (urgent: {{triage.urgent}})' }],
      settings: {
        jsonOutput: {
          fields: [
            { name: 'language', type: 'string' },
            { name: 'urgent', type: 'boolean' },
          ],
        },
      },
    });
    expect(job.aiColumns[1]?.uses).toEqual([job.aiColumns[0]?.id]);
    // The reply column answers in text: its own options override the job's JSON.
    bench.engine.updateColumn({ jobId: job.id, col: job.aiColumns[1]?.id ?? -1, options: { jsonOutput: null } });
    bench.engine.startJob(job.id);
    await bench.engine.waitForJob(job.id);
    const [first] = bench.engine.getRows(job.id).rows;
    expect(first?.cells[1]?.output).toBe(mockReply('Reply in language of Triage: parcel late (urgent: true)'));
  });

  it('one budget covers every column, each billed at its own model’s price; batches take one-column jobs', async () => {
    bench = await openBench();
    bench.engine.setPrice({ model: 'mock-1', input: 1000, cachedInput: null, output: 1000 });
    bench.engine.setPrice({ model: 'mock-2', input: 3000, cachedInput: null, output: 3000 });
    const job = await chainedJob(bench, 40, { concurrency: 2, maxCost: 1, maxOutputTokens: 50 });
    const labelCol = job.aiColumns[1]?.id ?? -1;
    bench.engine.updateColumn({
      jobId: job.id,
      col: labelCol,
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-2' },
    });
    bench.engine.startJob(job.id);
    const paused = await bench.engine.waitForJob(job.id);
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toContain('over its budget of $1.00');
    const spent = paused.usage.cost ?? 0;
    expect(spent).toBeLessThanOrEqual(1);
    // Every column's cells were billed from the one budget, each at its model's price.
    const [summary, label] = paused.columnStats;
    expect(summary?.counts.done).toBeGreaterThan(0);
    expect(label?.counts.done).toBeGreaterThan(0);
    expect(paused.columnStats.reduce((sum, c) => sum + (c.usage.cost ?? 0), 0)).toBeCloseTo(spent, 9);
    const perToken = (c: typeof label) =>
      (c?.usage.cost ?? 0) / ((c?.usage.promptTokens ?? 0) + (c?.usage.completionTokens ?? 0));
    expect(perToken(label) / perToken(summary)).toBeCloseTo(3, 6);

    bench.engine.updateJobSettings(job.id, { batch: true });
    expect(() => bench.engine.startJob(job.id)).toThrow('Rowbot sends only one-column jobs as a batch');
  });

  it('keeps each column right of the columns it uses, and says so in plain words', async () => {
    bench = await openBench();
    const job = await chainedJob(bench, 2);
    const [summaryCol, labelCol, replyCol] = job.aiColumns.map((c) => c.id) as [number, number, number];
    expect(() => bench.engine.moveColumn({ jobId: job.id, col: replyCol, position: 0 })).toThrow(
      '“reply” uses “label”, so it must stay to the right of it.',
    );
    expect(() => bench.engine.removeColumn({ jobId: job.id, col: summaryCol })).toThrow(
      '“label” uses “summary” in its prompt.',
    );
    expect(() => bench.engine.addColumn({ jobId: job.id, column: { name: 'text', template: '{{summary}}' } })).toThrow(
      '“text” is already a column of the file',
    );
    expect(() =>
      bench.engine.addColumn({ jobId: job.id, column: { name: 'tone', template: 'Tone of {{later}}' } }),
    ).toThrow('{{later}} is not a column of this file.');
    expect(() =>
      bench.engine.addColumn({
        jobId: job.id,
        column: { name: 'tone', template: 'Tone of {{reply}}' },
        after: summaryCol,
      }),
    ).toThrow('{{reply}} is a later AI column');

    // Renaming a column carries the columns using it along.
    const renamed = bench.engine.updateColumn({ jobId: job.id, col: labelCol, name: 'category' });
    expect(renamed.aiColumns.map((c) => [c.name, c.template])).toEqual([
      ['summary', SUMMARY],
      ['category', LABEL],
      ['reply', 'Reply to {{name}} about {{category}}'],
    ]);
    // A column that uses nothing else moves freely; removed, its cells go with it.
    const added = bench.engine.addColumn({ jobId: job.id, column: { name: 'tone', template: 'Tone of {{text}}' } });
    const tone = added.aiColumns.at(-1)?.id ?? -1;
    const moved = bench.engine.moveColumn({ jobId: job.id, col: tone, position: 0 });
    expect(moved.aiColumns.map((c) => c.name)).toEqual(['tone', 'summary', 'category', 'reply']);
    const removed = bench.engine.removeColumn({ jobId: job.id, col: tone });
    expect(removed.aiColumns.map((c) => c.name)).toEqual(['summary', 'category', 'reply']);
    expect(removed.counts.total).toBe(6);
  });

  it('kill -9 mid-run, then resume: no cell is sent twice beyond those in flight, and every chain completes', async () => {
    const ROWS = 150;
    const CONCURRENCY = 8;
    bench = await openBench({ latencyMs: (p) => 8 + (p.length % 7) * 3 });
    const job = await chainedJob(bench, ROWS, { concurrency: CONCURRENCY });
    await bench.engine.close();

    await killMidRun(bench.dbFile, job.id, 150);

    const db = new Database(bench.dbFile, { readonly: true });
    const before = db
      .prepare("SELECT row_index, col, output FROM job_cells WHERE job_id = ? AND status = 'done'")
      .all(job.id) as { row_index: number; col: number; output: string }[];
    db.close();
    expect(before.length).toBeGreaterThanOrEqual(150);

    const engine = new Engine({
      dbFile: bench.dbFile,
      allowKeyTo: [{ keyId: 'openai', origin: new URL(bench.mock.baseUrl).origin }],
    });
    try {
      expect(engine.getJob(job.id).counts.running).toBe(0);
      engine.startJob(job.id);
      const summary = await engine.waitForJob(job.id);
      expect(summary.counts).toMatchObject({ done: ROWS * 3, failed: 0, total: ROWS * 3 });
      const rows = engine.getRows(job.id).rows;
      const order = job.aiColumns.map((c) => c.id);
      for (const { row_index, col, output } of before)
        expect(rows[row_index]?.cells[order.indexOf(col)]?.output).toBe(output);
      for (const row of rows) {
        const n = row.index + 1;
        expect(outputs(row)).toEqual([summaryOf(n), labelOf(n), replyOf(n)]);
      }
    } finally {
      await engine.close();
    }
    const counts = [...bench.mock.requestsByPrompt.values()];
    expect(counts.every((n) => n <= 2)).toBe(true);
    expect(counts.filter((n) => n > 1).length).toBeLessThanOrEqual(CONCURRENCY);
    expect(bench.mock.requestsByPrompt.size).toBe(ROWS * 3);
  });
});
