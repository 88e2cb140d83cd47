// The mock LLM server in its own process for bench/columns.ts: as baseline-mock.ts, plus a log of
// each AI column's requests, told apart by the first word of their prompt (each column's template
// starts with its own): how many, and the first and last arrival on the realtime clock (epoch ms).
import { startMockLlmServer } from '../test/fixtures/mock-llm-server.ts';

export interface ColumnArrivals {
  requests: number;
  firstEpochMs: number;
  lastEpochMs: number;
}

export interface ColumnsMockStats {
  /** By the first word of the prompt ("Summarize", "Label", "Reply"). */
  columns: Record<string, ColumnArrivals>;
  requests: number;
  rateLimited: number;
  duplicated: number;
  latencyMs: number;
}

export type ColumnsMockMessage = 'stats' | 'stop';

const { latencyMs } = JSON.parse(process.argv[2] ?? '{"latencyMs":5}') as { latencyMs: number };
const columns: Record<string, ColumnArrivals> = {};
// The mock asks for the latency of each request as it admits it: its arrival, logged here.
const mock = await startMockLlmServer({
  latencyMs: (prompt) => {
    const word = /^\S+/.exec(prompt)?.[0] ?? '';
    const now = Date.now();
    const column = (columns[word] ??= { requests: 0, firstEpochMs: now, lastEpochMs: now });
    column.requests += 1;
    column.lastEpochMs = now;
    return latencyMs;
  },
});

process.on('message', (message: ColumnsMockMessage) => {
  if (message === 'stats') {
    const stats: ColumnsMockStats = {
      columns,
      requests: mock.totalRequests,
      rateLimited: mock.rateLimited,
      duplicated: [...mock.repliesByPrompt.values()].filter((n) => n > 1).length,
      latencyMs,
    };
    process.send?.(stats);
  } else if (message === 'stop') {
    void mock.close().then(() => process.exit(0));
  }
});
process.send?.({ baseUrl: mock.baseUrl });
