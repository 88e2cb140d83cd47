// Scenarios A–E of `npm run bench`: the engine's table (run.ts) and the aiohttp baseline (baseline.ts) share them.
import type { MockProcessConfig } from './mock-process.ts';

export interface Scenario {
  name: string;
  rows: number;
  concurrency: number;
  mock: MockProcessConfig;
  /** Mean server latency, for the ideal makespan. */
  meanLatencyMs: number;
  /** Client and server limit, requests per minute. */
  rpm?: number;
  target: string;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'A',
    rows: 1000,
    concurrency: 50,
    mock: { latency: { fixedMs: 200 } },
    meanLatencyMs: 200,
    target: 'efficiency ≥ 0.95',
  },
  {
    name: 'B',
    rows: 2000,
    concurrency: 200,
    mock: { latency: { uniformMs: [50, 150] } },
    meanLatencyMs: 100,
    target: 'efficiency ≥ 0.80',
  },
  {
    name: 'C',
    rows: 500,
    concurrency: 100,
    mock: { latency: { fixedMs: 100 }, rpm: 1200 },
    rpm: 1200,
    meanLatencyMs: 100,
    target: 'efficiency ≥ 0.95, zero 429s',
  },
  {
    name: 'D',
    rows: 500,
    concurrency: 20,
    mock: { latency: { fixedMs: 100 }, faultRates: { status500: 0.05, reset: 0.02 } },
    meanLatencyMs: 100,
    target: 'zero failed, zero lost',
  },
  {
    name: 'E',
    rows: 20_000,
    concurrency: 500,
    mock: { latency: { fixedMs: 20 } },
    meanLatencyMs: 20,
    target: '≥ 4000 rows/s, RSS ≤ 250 MB',
  },
];
