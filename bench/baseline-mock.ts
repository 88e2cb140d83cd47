// The mock LLM server in its own process for bench/baseline.ts: as mock-process.ts, plus a reset
// between runs and the first arrival and last answer of a run on the realtime clock (epoch ms), so
// the bench can set them against the spawn and exit times of the client it timed.
import { createHash } from 'node:crypto';
import { startMockLlmServer, type MockOptions } from '../test/fixtures/mock-llm-server.ts';
import type { MockProcessConfig } from './mock-process.ts';

export interface BaselineMockStats {
  requests: number;
  rateLimited: number;
  status5xx: number;
  connections: number;
  /** Prompts answered 200 at least once, and those answered more than once. */
  answered: number;
  duplicated: number;
  firstArrivalEpochMs: number | null;
  /** The last answer sent (a 200, an error, a reset or a 429). */
  lastAnswerEpochMs: number | null;
}

export type BaselineMockMessage = 'reset' | 'stats' | 'stop';

const config = JSON.parse(process.argv[2] ?? '{}') as MockProcessConfig;
const spread = (prompt: string): number => createHash('md5').update(prompt).digest().readUInt32LE(0) / 2 ** 32;
const options: MockOptions = {
  latencyMs:
    'fixedMs' in config.latency
      ? config.latency.fixedMs
      : (prompt: string): number => {
          const [low, high] = (config.latency as { uniformMs: [number, number] }).uniformMs;
          return low + spread(prompt) * (high - low);
        },
  rpm: config.rpm,
  faultRates: config.faultRates,
  batch: config.batch,
  seed: 3,
};
const mock = await startMockLlmServer(options);
// performance.now() (the mock's clock) to Date.now() (the realtime clock the Python wrapper reads).
const toEpoch = Date.now() - performance.now();

process.on('message', (message: BaselineMockMessage) => {
  if (message === 'reset') {
    mock.setOptions(options);
    mock.resetCounters();
    process.send?.('ok');
  } else if (message === 'stats') {
    const first = mock.arrivals[0];
    const lastRelease = mock.concurrencyTimeline.at(-1)?.at;
    const lastArrival = mock.arrivals.at(-1);
    const last = Math.max(lastRelease ?? -Infinity, lastArrival ?? -Infinity);
    const stats: BaselineMockStats = {
      requests: mock.totalRequests,
      rateLimited: mock.rateLimited,
      status5xx: mock.status5xx,
      connections: mock.connections,
      answered: mock.repliesByPrompt.size,
      duplicated: [...mock.repliesByPrompt.values()].filter((n) => n > 1).length,
      firstArrivalEpochMs: first === undefined ? null : first + toEpoch,
      lastAnswerEpochMs: Number.isFinite(last) ? last + toEpoch : null,
    };
    process.send?.(stats);
  } else if (message === 'stop') {
    void mock.close().then(() => process.exit(0));
  }
});
process.send?.({ baseUrl: mock.baseUrl });
