import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../electron/engine/store/database.ts';
import { Repository } from '../../electron/engine/store/repository.ts';
import { RowWriter, type RowUpdate } from '../../electron/engine/scheduler/row-writer.ts';
import { openBench, type Bench } from './harness.ts';

const EMPTY = {
  col: 0,
  stale: false,
  edited: false,
  output: null,
  error: null,
  latencyMs: null,
  promptTokens: null,
  completionTokens: null,
  cost: null,
  cached: false,
  finish: null,
};

describe('RowWriter', () => {
  let bench: Bench;
  let close: () => void;
  afterEach(async () => {
    close?.();
    await bench?.close();
  });

  /** A writer on the engine's own SQLite file, counting the transactions it asks the real repository for. */
  async function writerFor(rows: number): Promise<{
    jobId: string;
    writer: RowWriter;
    batches: RowUpdate['status'][][];
    statusOf: (index: number) => string;
  }> {
    bench = await openBench();
    const jobId = await bench.job(rows);
    const db = openDatabase(bench.dbFile);
    close = () => db.close();
    const repo = new Repository(db);
    const batches: RowUpdate['status'][][] = [];
    const counting = Object.create(repo) as Repository;
    counting.applyRowPatches = (patches, attempts) => {
      batches.push(patches.map((p) => p.status));
      return repo.applyRowPatches(patches, attempts);
    };
    const writer = new RowWriter(counting, () => undefined);
    const statusOf = (index: number): string =>
      (
        db.prepare('SELECT status FROM job_cells WHERE job_id = ? AND row_index = ? AND col = 0').get(jobId, index) as {
          status: string;
        }
      ).status;
    return { jobId, writer, batches, statusOf };
  }

  it('stores rows marked running with the next answer, in one transaction', async () => {
    const { jobId, writer, batches, statusOf } = await writerFor(3);
    writer.write({ ...EMPTY, jobId, index: 0, status: 'running', attempts: 1 });
    writer.write({ ...EMPTY, jobId, index: 1, status: 'running', attempts: 1 });
    // The answer comes a turn of the event loop later, as it does from the network.
    await new Promise((resolve) => setImmediate(resolve));
    await writer.commit({ ...EMPTY, jobId, index: 2, status: 'done', output: 'yes', attempts: 1 });
    expect(batches).toEqual([['running', 'running', 'done']]);
    expect([statusOf(0), statusOf(1), statusOf(2)]).toEqual(['running', 'running', 'done']);
  });

  it('stores a change nobody waits for on its own soon after, when no answer comes', async () => {
    const { jobId, writer, batches, statusOf } = await writerFor(1);
    writer.write({ ...EMPTY, jobId, index: 0, status: 'running', attempts: 1 });
    expect(statusOf(0)).toBe('queued');
    await expect.poll(() => statusOf(0), { interval: 10, timeout: 2000 }).toBe('running');
    expect(batches).toEqual([['running']]);
  });
});
