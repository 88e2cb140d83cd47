// Rate limits as providers and the official SDKs handle them, through the real engine, a real SQLite
// file and the mock server on loopback. Sources:
// - openai-node src/client.ts (shouldRetry, retryRequest, calculateDefaultRetryTimeoutMillis): a
//   `retry-after-ms` / `retry-after` header is obeyed on any retried status when under 60 s, and
//   `x-should-retry` overrides the status rule; without a header, 0.5 s doubling to 8 s, jitter 0.75–1.
// - OpenAI, "Rate limits" guide: limits are enforced over shorter windows than a minute
//   ("60,000 requests/minute may be enforced as 1,000 requests/second").
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../shared/api.ts';
import { openBench, prompt, until, type Bench } from './harness.ts';

/** What the engine says of the current wait, each time it reports the job: ms left, and 429s so far. */
function watchWaits(bench: Bench, jobId: string): { remainingMs: number; rateLimited: number }[] {
  const seen: { remainingMs: number; rateLimited: number }[] = [];
  bench.engine.on((message) => {
    if (message.name !== 'job' || message.payload.id !== jobId) return;
    const live = message.payload.live;
    if (live?.waitingUntil) {
      seen.push({ remainingMs: Date.parse(live.waitingUntil) - Date.now(), rateLimited: live.rateLimited });
    }
  });
  return seen;
}

/** Rows the database holds as `running`: it must equal the requests in flight. */
function runningInDb(bench: Bench, jobId: string): number {
  const db = new Database(bench.dbFile, { readonly: true });
  try {
    const row = db
      .prepare("SELECT COUNT(*) AS n FROM job_cells WHERE job_id = ? AND status = 'running'")
      .get(jobId) as {
      n: number;
    };
    return row.n;
  } finally {
    db.close();
  }
}

/** The engine holds every start for a rate-limit wait. */
const isWaiting = (bench: Bench, jobId: string): boolean => Boolean(bench.engine.getJob(jobId).live?.waitingUntil);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('429s: one wait per wave, growing only when the provider refuses again', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('ten parallel 429s without Retry-After cost one short wait, not the one-minute cap', async () => {
    let refused = 0;
    bench = await openBench(
      {
        latencyMs: 20,
        // A server that had already recovered: only the first ten requests are refused, with no Retry-After.
        fault: () => (refused < 10 ? ((refused += 1), { status: 429 }) : undefined),
      },
      { random: () => 0.999 },
    );
    const jobId = await bench.job(50, { concurrency: 10 });
    const waits = watchWaits(bench, jobId);
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 50, failed: 0 });
    expect(refused).toBe(10);
    expect(waits.length).toBeGreaterThan(0);
    // One wave: the first wait of 1 s less up to a quarter (random 0.999 → 750 ms), never doubled per 429.
    expect(Math.max(...waits.map((w) => w.remainingMs))).toBeLessThanOrEqual(1000);
  });

  it('a request sent after the wait ended and refused again doubles the wait', async () => {
    let refused = 0;
    let waveTwoFrom = 0;
    bench = await openBench(
      {
        latencyMs: 20,
        fault: (_p, attempt) => {
          // Wave one: the first four requests. Wave two: the first four retries after the wait.
          if (attempt === 1 && refused < 4) return ((refused += 1), { status: 429 });
          if (attempt === 2 && waveTwoFrom < 4) return ((waveTwoFrom += 1), { status: 429 });
          return undefined;
        },
      },
      { random: () => 0 },
    );
    const jobId = await bench.job(8, { concurrency: 4 });
    const waits = watchWaits(bench, jobId);
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(8);
    const first = Math.max(...waits.filter((w) => w.rateLimited <= 4).map((w) => w.remainingMs));
    const second = Math.max(...waits.filter((w) => w.rateLimited > 4).map((w) => w.remainingMs));
    expect(first).toBeLessThanOrEqual(1000);
    expect(second).toBeGreaterThan(1000);
    expect(second).toBeLessThanOrEqual(2000);
  });

  it('after a stretch of nothing but 429s (the job’s patience) the job pauses and says why', async () => {
    bench = await openBench({ fault: () => ({ status: 429 }) }, { random: () => 0 });
    const jobId = await bench.job(6, { concurrency: 3, rateLimitPatienceMinutes: 0.03 });
    bench.engine.startJob(jobId);
    const summary: JobSummary = await bench.engine.waitForJob(jobId);
    expect(summary.status).toBe('paused');
    expect(summary.pauseReason).toMatch(
      /^Paused: the provider has refused every request with “too many requests” for 2 seconds/,
    );
    expect(summary.counts).toMatchObject({ queued: 6, failed: 0, running: 0 });
    expect(runningInDb(bench, jobId)).toBe(0);
    const sent = bench.mock.totalRequests;
    await sleep(1500);
    expect(bench.mock.totalRequests).toBe(sent);
  });
});

describe('pause, cancel and restart stop rows that wait: running rows = requests in flight', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('a pause during a Retry-After wait sends nothing more, and leaves no row running', async () => {
    let limited = false;
    bench = await openBench({
      latencyMs: 10,
      fault: () => (limited ? undefined : ((limited = true), { status: 429, headers: { 'retry-after': '1' } })),
    });
    const jobId = await bench.job(30, { concurrency: 6 });
    bench.engine.startJob(jobId);
    await until(() => isWaiting(bench, jobId), 'the job to wait out the 429');
    await until(() => bench.mock.inFlight === 0, 'the requests in flight to finish');
    // Every row is now held by the wait, none on its way: whatever arrives from now on was sent after the pause.
    const sent = bench.mock.totalRequests;
    bench.engine.pauseJob(jobId);
    const paused = await bench.engine.waitForJob(jobId);
    expect(paused.counts.running).toBe(0);
    expect(runningInDb(bench, jobId)).toBe(0);
    await sleep(1300); // past the Retry-After
    expect(bench.mock.totalRequests).toBe(sent);
    expect(bench.engine.getJob(jobId).counts.running).toBe(0);

    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(30);
  });

  it('a pause while rows wait to retry after 500s sends nothing more; their tries are not lost', async () => {
    bench = await openBench({
      latencyMs: 5,
      fault: (p, attempt) =>
        attempt === 1 && Number(p.slice(4)) % 2 === 0 ? { status: 500, headers: { 'retry-after': '1' } } : undefined,
    });
    const jobId = await bench.job(20, { concurrency: 4 });
    bench.engine.startJob(jobId);
    await until(() => (bench.engine.getJob(jobId).live?.retries ?? 0) >= 2, 'rows waiting to retry');
    bench.engine.pauseJob(jobId);
    await bench.engine.waitForJob(jobId);
    expect(runningInDb(bench, jobId)).toBe(0);
    const sent = bench.mock.totalRequests;
    await sleep(1300);
    expect(bench.mock.totalRequests).toBe(sent);
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 20, failed: 0 });
  });

  it('a row waiting to retry is shown queued, not running, while the job runs', async () => {
    bench = await openBench({
      latencyMs: 5,
      fault: (p, attempt) =>
        p === prompt(1) && attempt === 1 ? { status: 500, headers: { 'retry-after': '1' } } : undefined,
    });
    const jobId = await bench.job(1);
    bench.engine.startJob(jobId);
    await until(() => (bench.engine.getJob(jobId).live?.retries ?? 0) === 1, 'the row to wait for its retry');
    await until(() => runningInDb(bench, jobId) === 0, 'the row to be stored as waiting');
    expect(bench.engine.getJob(jobId).counts).toMatchObject({ running: 0, queued: 1 });
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(1);
  });

  it('cancel and a restart during a wait leave no row running', async () => {
    bench = await openBench({ latencyMs: 5, fault: () => ({ status: 429, headers: { 'retry-after': '30' } }) });
    const jobId = await bench.job(12, { concurrency: 4 });
    bench.engine.startJob(jobId);
    await until(() => isWaiting(bench, jobId), 'the wait');
    bench.engine.cancelJob(jobId);
    const canceled = await bench.engine.waitForJob(jobId);
    expect(canceled.counts).toMatchObject({ running: 0, queued: 12 });
    expect(runningInDb(bench, jobId)).toBe(0);

    bench.engine.startJob(jobId);
    await until(() => isWaiting(bench, jobId), 'the wait again');
    await bench.engine.close();
    expect(runningInDb(bench, jobId)).toBe(0);
  });
});

describe('retries obey what the server says', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('a 500 with Retry-After: 1 is tried again after a second, not after the short backoff', async () => {
    bench = await openBench({
      latencyMs: 5,
      fault: (_p, attempt) => (attempt === 1 ? { status: 500, headers: { 'retry-after': '1' } } : undefined),
    });
    const jobId = await bench.job(1);
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(1);
    const [first, second] = bench.engine.getRow(jobId, 0).attemptLog;
    expect(first?.outcome).toBe('retry');
    expect(Date.parse(second?.startedAt ?? '') - Date.parse(first?.finishedAt ?? '')).toBeGreaterThanOrEqual(990);
  });
});

describe('smooth pacing', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('1,200 requests/min against a server enforcing 20 per clock second draws no 429', async () => {
    bench = await openBench({ latencyMs: 30, perSecondLimit: 20 });
    const jobId = await bench.job(100, { concurrency: 40, requestsPerMinute: 1200 });
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(100);
    expect(bench.mock.perSecondRejected).toBe(0);
    const arrivals = bench.mock.arrivals;
    for (const [i, at] of arrivals.entries()) {
      expect(arrivals.slice(i).filter((t) => t < at + 1000).length).toBeLessThanOrEqual(21);
    }
  });
});
