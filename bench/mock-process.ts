// The mock LLM server in its own process, so a benchmark's client and server each get a core.
// Started by bench/run.ts with a JSON config; answers 'stats' messages over IPC.
import { createHash } from 'node:crypto';
import type { MockBatchOptions } from '../test/fixtures/mock-batches.ts';
import { startMockLlmServer, type MockFaultRates } from '../test/fixtures/mock-llm-server.ts';

export interface MockProcessConfig {
  latency: { fixedMs: number } | { uniformMs: [number, number] };
  rpm?: number;
  faultRates?: MockFaultRates;
  /** The Batch APIs' timing (bench/batch.ts). */
  batch?: MockBatchOptions;
}

export interface MockStats {
  totalRequests: number;
  rateLimited: number;
  connections: number;
  peakConcurrent: number;
  /** Rows that got more than one complete answer. */
  duplicated: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as MockProcessConfig;
const spread = (prompt: string): number => createHash('md5').update(prompt).digest().readUInt32LE(0) / 2 ** 32;
const latencyMs =
  'fixedMs' in config.latency
    ? config.latency.fixedMs
    : (prompt: string): number => {
        const [low, high] = (config.latency as { uniformMs: [number, number] }).uniformMs;
        return low + spread(prompt) * (high - low);
      };

const mock = await startMockLlmServer({ latencyMs, rpm: config.rpm, faultRates: config.faultRates, seed: 3 });
process.on('message', (message) => {
  if (message === 'stats') {
    const stats: MockStats = {
      totalRequests: mock.totalRequests,
      rateLimited: mock.rateLimited,
      connections: mock.connections,
      peakConcurrent: mock.peakConcurrent,
      duplicated: [...mock.repliesByPrompt.values()].filter((n) => n > 1).length,
    };
    process.send?.(stats);
  } else if (message === 'stop') {
    void mock.close().then(() => process.exit(0));
  }
});
process.send?.({ baseUrl: mock.baseUrl });
