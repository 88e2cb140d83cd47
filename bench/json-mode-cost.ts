/**
 * Figure 3 of `npm run bench -- ratelimits`: what a JSON-mode job costs when answers that are not
 * JSON are billed and asked again, against what the mock server billed.
 */
import { createHash } from 'node:crypto';
import { SHIPPED_PRICES } from '../electron/engine/pricing.ts';
import { mockReply, type MockReplyParts } from '../test/fixtures/mock-llm-server.ts';
import { atScale, exactCost, formatDecimal, parseDecimal } from './exact-cost.ts';
import { check, rowbotRun, sheet, table, TEMPLATE, type BenchContext } from './whole-process.ts';

const INVALID_SHARE = 0.3;
/** About 30% of prompts, the same ones every run: their first answer is not JSON. */
const firstAnswerInvalid = (prompt: string): boolean =>
  createHash('sha256').update(prompt).digest().readUInt32LE(0) / 2 ** 32 < INVALID_SHARE;

/**
 * Figure 3: `rowbot run --json-mode --json` over 200 rows with gpt-4o-mini's list price, where about
 * 30% of first answers are not JSON (billed all the same). The job's cost and tokens in the summary
 * line against the usage the mock billed, priced here from the shipped price list entry.
 */
export async function jsonModeCost(context: BenchContext): Promise<string[]> {
  const { mock, dir } = context;
  const model = 'gpt-4o-mini';
  const price = SHIPPED_PRICES[model];
  if (!price) throw new Error(`no shipped price for ${model}`);
  const { csv, prompts } = sheet(dir, 200);
  const answered = new Map<string, number>();
  const rejected = { answers: 0, promptTokens: 0, completionTokens: 0 };
  const replyBody = (parts: MockReplyParts): unknown => {
    const n = (answered.get(parts.prompt) ?? 0) + 1;
    answered.set(parts.prompt, n);
    const invalid = n === 1 && firstAnswerInvalid(parts.prompt);
    if (invalid) {
      rejected.answers += 1;
      rejected.promptTokens += parts.usage.prompt_tokens;
      rejected.completionTokens += parts.usage.completion_tokens;
    }
    return {
      id: parts.id,
      object: 'chat.completion',
      created: parts.created,
      model: parts.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: invalid ? `Sure! ${mockReply(parts.prompt)}` : parts.content },
          finish_reason: 'stop',
        },
      ],
      usage: parts.usage,
    };
  };
  mock.setOptions({ latencyMs: 20, replyBody });
  mock.resetCounters();
  const run = await rowbotRun(context, csv, [
    ...['--template', TEMPLATE, '--model', model, '--concurrency', '20', '--json-mode', '--json'],
  ]);
  const summaryLine = run.stdout.trim().split('\n').at(-1) ?? '';
  check(run.code === 0 && summaryLine.startsWith('{'), 'rowbot did not finish', run);
  const summary = JSON.parse(summaryLine) as { done: number; promptTokens: number; completionTokens: number };
  // The cost exactly as printed, not as a double.
  const printedCost = /"cost":(-?[\d.eE+-]+)/.exec(summaryLine)?.[1] ?? null;
  const billed = mock.usageBilled;
  const expected = exactCost(billed.promptTokens, billed.completionTokens, price.input, price.output);
  const kept = exactCost(
    billed.promptTokens - rejected.promptTokens,
    billed.completionTokens - rejected.completionTokens,
    price.input,
    price.output,
  );
  const costEqual =
    printedCost !== null &&
    (() => {
      const shown = parseDecimal(printedCost);
      const scale = Math.max(shown.scale, expected.scale);
      return atScale(shown, scale) === atScale(expected, scale);
    })();
  const tokensEqual =
    summary.promptTokens === billed.promptTokens && summary.completionTokens === billed.completionTokens;
  const invalidPrompts = prompts.filter(firstAnswerInvalid).length;
  return [
    `Figure 3 — 200 rows, rowbot run FILE --model ${model} --json-mode --json; ${invalidPrompts} prompts (${Math.round((invalidPrompts / 200) * 100)}%) get a first answer that is not JSON.`,
    `Price: the shipped list entry for ${model}, $${price.input} in and $${price.output} out per million tokens; done ${summary.done} of 200, ${mock.totalRequests} requests.`,
    ...table(
      ['', 'prompt tokens', 'completion tokens', 'cost (USD)'],
      [
        [
          'rowbot --json summary line',
          String(summary.promptTokens),
          String(summary.completionTokens),
          printedCost ?? 'none',
        ],
        [
          'mock billed (every 200), priced exactly',
          String(billed.promptTokens),
          String(billed.completionTokens),
          formatDecimal(expected),
        ],
        [
          `  of which the ${rejected.answers} answers rejected as not JSON`,
          String(rejected.promptTokens),
          String(rejected.completionTokens),
          formatDecimal(exactCost(rejected.promptTokens, rejected.completionTokens, price.input, price.output)),
        ],
        [
          '  kept answers alone',
          String(billed.promptTokens - rejected.promptTokens),
          String(billed.completionTokens - rejected.completionTokens),
          formatDecimal(kept),
        ],
      ],
    ),
    `Job cost equals the billed usage priced: ${costEqual ? 'yes' : 'NO'}; tokens equal: ${tokensEqual ? 'yes' : 'NO'}.`,
  ];
}
