/**
 * `npm run bench -- ratelimits`: the figures of issue 11's closing note. Each run is a whole
 * `rowbot run` process (bin/rowbot.js, as `npx rowbot run` starts it, without npm's launcher),
 * timed from spawn to exit, against the mock LLM server in this process (its `fault` and
 * `replyBody` hooks are functions, so it cannot run from a JSON config in mock-process.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockLlmServer, type MockFault } from '../test/fixtures/mock-llm-server.ts';
import { jsonModeCost } from './json-mode-cost.ts';
import type { SdkClientResult } from './openai-sdk-client.ts';
import {
  check,
  median,
  ROWBOT_BIN,
  rowbotRun,
  RUNS,
  seconds,
  sheet,
  table,
  TEMPLATE,
  timeProcess,
  type BenchContext,
} from './whole-process.ts';

const here = import.meta.dirname;
const SDK_CLIENT = join(here, 'openai-sdk-client.ts');

/** OpenAI's 429 for a request limit, with no retry-after nor x-ratelimit-* headers. */
const BARE_429: MockFault = {
  status: 429,
  body: {
    error: {
      message: 'Rate limit reached for requests per min (RPM). Please try again later.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  },
};

/**
 * Figure 1: 50 rows, 10 at once, 20 ms answers; the first 10 requests (one per row in flight) get
 * a 429 without Retry-After, then the server has recovered. `rowbot run` beside the OpenAI SDK.
 */
export async function afterParallel429s(context: BenchContext): Promise<string[]> {
  const { mock, dir } = context;
  const { csv, prompts } = sheet(dir, 50);
  const promptsFile = join(dir, 'prompts-50.json');
  writeFileSync(promptsFile, JSON.stringify(prompts));
  const sdkVersion = (
    JSON.parse(readFileSync(join(here, '..', 'node_modules', 'openai', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const measure = async (refused: number): Promise<{ rowbot: number[]; sdk: number[] }> => {
    const times = { rowbot: [] as number[], sdk: [] as number[] };
    for (let i = 0; i < RUNS; i += 1) {
      for (const client of ['rowbot', 'sdk'] as const) {
        let sent429s = 0;
        mock.setOptions({
          latencyMs: 20,
          fault: () => {
            if (sent429s >= refused) return undefined;
            sent429s += 1;
            return BARE_429;
          },
        });
        mock.resetCounters();
        const run =
          client === 'rowbot'
            ? await rowbotRun(context, csv, ['--template', TEMPLATE, '--model', 'mock-1', '--concurrency', '10'])
            : await timeProcess([SDK_CLIENT, mock.baseUrl, 'mock-1', promptsFile, '10']);
        check(run.code === 0, `${client} did not finish`, run);
        if (client === 'sdk') {
          const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as SdkClientResult;
          check(result.done === 50, `the SDK finished ${result.done} of 50`, run);
        }
        check(mock.repliesByPrompt.size === 50, `${client}: ${mock.repliesByPrompt.size} of 50 prompts answered`, run);
        check(mock.rateLimited === refused, `${client}: ${mock.rateLimited} 429s sent, not ${refused}`, run);
        times[client].push(run.seconds);
      }
    }
    return times;
  };
  const with429s = await measure(10);
  const without = await measure(0);
  const rows = [
    ['first 10 requests 429, no Retry-After', with429s],
    ['no 429s (start-up and work alone)', without],
  ] as const;
  const cost429 = (client: 'rowbot' | 'sdk'): number => median(with429s[client]) - median(without[client]);
  return [
    `Figure 1 — 50 rows, 10 at once, 20 ms answers; whole processes, median of ${RUNS} (runs in brackets).`,
    `Rowbot: rowbot run FILE --provider openai --base-url MOCK --model mock-1 --concurrency 10 --no-cache --db TMP`,
    `SDK: openai ${sdkVersion} with its defaults (maxRetries 2, 0.5 s × 2^n backoff less up to 25% jitter), 10 requests at once`,
    ...table(
      ['', 'rowbot run', 'OpenAI SDK', 'rowbot ÷ SDK'],
      [
        ...rows.map(([label, t]) => [
          label,
          `${seconds(median(t.rowbot))} (${t.rowbot.map((s) => s.toFixed(2)).join(', ')})`,
          `${seconds(median(t.sdk))} (${t.sdk.map((s) => s.toFixed(2)).join(', ')})`,
          (median(t.rowbot) / median(t.sdk)).toFixed(2),
        ]),
        [
          'time the 429s added (difference of medians)',
          seconds(cost429('rowbot')),
          seconds(cost429('sdk')),
          (cost429('rowbot') / cost429('sdk')).toFixed(2),
        ],
      ],
    ),
  ];
}

/** Most arrivals within any 1-second window (sliding, not clock seconds). */
function maxInSlidingSecond(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= 1000) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

export interface PerSecondRun {
  seconds: number;
  perSecondRejected: number;
  maxInSecond: number;
  requests: number;
}

/**
 * Figure 2: a provider enforcing its limit in clock seconds (20 a second); `rowbot run --rpm 1200`
 * (20 a second on average) with 50 at once over 300 rows of 50 ms answers. Ideal: 300 / 20 = 15 s.
 */
export async function perSecondQuantized(context: BenchContext): Promise<PerSecondRun[]> {
  const { mock, dir } = context;
  const { csv } = sheet(dir, 300);
  const runs: PerSecondRun[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    mock.setOptions({ latencyMs: 50, perSecondLimit: 20 });
    mock.resetCounters();
    const run = await rowbotRun(context, csv, [
      ...['--template', TEMPLATE, '--model', 'mock-1'],
      ...['--rpm', '1200', '--concurrency', '50'],
    ]);
    check(run.code === 0, 'rowbot did not finish', run);
    check(mock.repliesByPrompt.size === 300, `${mock.repliesByPrompt.size} of 300 prompts answered`, run);
    runs.push({
      seconds: run.seconds,
      perSecondRejected: mock.perSecondRejected,
      maxInSecond: maxInSlidingSecond(mock.arrivals),
      requests: mock.totalRequests,
    });
  }
  return runs;
}

export function perSecondLines(runs: PerSecondRun[], label = 'rowbot run'): string[] {
  const wall = median(runs.map((r) => r.seconds));
  return [
    `Figure 2 — 300 rows, 50 ms answers, a server admitting 20 requests per clock second (429 + retry-after-ms beyond);`,
    `rowbot run FILE --rpm 1200 --concurrency 50 (whole process, ${RUNS} runs; target: 0 rejected, ≤ 21 in any second).`,
    ...table(
      ['', 'wall (median)', 'ideal', 'ideal ÷ wall', 'per-second 429s', 'most requests in a sliding 1 s', 'requests'],
      [
        [
          label,
          `${seconds(wall)} (${runs.map((r) => r.seconds.toFixed(1)).join(', ')})`,
          seconds(300 / 20),
          (300 / 20 / wall).toFixed(2),
          runs.map((r) => r.perSecondRejected).join(', '),
          runs.map((r) => r.maxInSecond).join(', '),
          runs.map((r) => r.requests).join(', '),
        ],
      ],
    ),
  ];
}

/** All three figures, as lines to print. */
export async function rateLimitFigures(rowbotBin = ROWBOT_BIN): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-ratelimits-'));
  const mock = await startMockLlmServer();
  const context: BenchContext = { mock, dir, rowbotBin };
  try {
    return [
      ...(await afterParallel429s(context)),
      '',
      ...perSecondLines(await perSecondQuantized(context)),
      '',
      ...(await jsonModeCost(context)),
    ];
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
