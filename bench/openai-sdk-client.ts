// The official OpenAI SDK driving a list of prompts, a fixed number at once, as a baseline for
// `rowbot run` (bench/ratelimits.ts times this whole process). The client keeps the SDK's
// defaults (maxRetries 2, its own backoff, Retry-After obeyed): only the address and key are set.
// Usage: node bench/openai-sdk-client.ts BASE_URL MODEL PROMPTS.json CONCURRENCY
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

export interface SdkClientResult {
  done: number;
  failed: number;
}

const [baseURL, modelArg, promptsFile, concurrencyArg] = process.argv.slice(2);
if (!baseURL || !modelArg || !promptsFile) {
  console.error('Usage: node bench/openai-sdk-client.ts BASE_URL MODEL PROMPTS.json CONCURRENCY');
  process.exit(2);
}
const model: string = modelArg;
const prompts = JSON.parse(readFileSync(promptsFile, 'utf8')) as string[];
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY ?? 'sk-bench' });
const answers: (string | null)[] = [];
let next = 0;
let failed = 0;

async function worker(): Promise<void> {
  while (next < prompts.length) {
    const index = next;
    next += 1;
    try {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: prompts[index] ?? '' }],
      });
      answers[index] = completion.choices[0]?.message.content ?? null;
    } catch (error) {
      failed += 1;
      console.error(`prompt ${index}: ${(error as Error).message}`);
    }
  }
}

await Promise.all(Array.from({ length: Math.max(1, Number(concurrencyArg ?? 10)) }, () => worker()));
const result: SdkClientResult = { done: answers.filter((a) => typeof a === 'string').length, failed };
console.log(JSON.stringify(result));
