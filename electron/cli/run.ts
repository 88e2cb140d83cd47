import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ProviderConfig } from '../../shared/api.ts';
import { providerConfigSchema } from '../../shared/schemas.ts';
import { RowbotError } from '../../shared/errors.ts';
import { Engine } from '../engine/engine.ts';
import { defaultDbFile } from '../engine/paths.ts';

export const RUN_OPTIONS = {
  template: { type: 'string' },
  'template-file': { type: 'string' },
  system: { type: 'string', default: '' },
  provider: { type: 'string', default: 'demo' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key-env': { type: 'string', default: 'OPENAI_API_KEY' },
  concurrency: { type: 'string', default: '4' },
  db: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true, strict: true });
  const [file] = positionals;
  if (!file)
    throw new RowbotError(
      'BAD_REQUEST',
      'Name the spreadsheet to run, e.g. rowbot run products.csv --template "…{{name}}…".',
    );
  const template = values['template-file'] ? await readFile(values['template-file'], 'utf8') : values.template;
  if (template === undefined)
    throw new RowbotError('BAD_REQUEST', 'Give a prompt with --template "…{{column}}…" or --template-file FILE.');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new RowbotError(
      'BAD_REQUEST',
      `--concurrency must be a whole number from 1 to 64, not "${values.concurrency}".`,
    );
  }
  const provider = providerFromFlags(values.provider, values['base-url'], values.model);
  const apiKey = process.env[values['api-key-env']];

  const engine = new Engine({ dbFile: values.db ?? defaultDbFile(), resolveApiKey: () => apiKey });
  try {
    const preview = await engine.importFile(file);
    for (const note of preview.notes) console.error(`note: ${note}`);
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template,
      systemPrompt: values.system,
      provider,
      settings: { concurrency },
    });
    const stopProgress = reportProgress(engine, job.id, values.json);
    // Ctrl+C pauses: rows in flight go back to the queue and nothing is lost.
    const stop = (): void => void engine.pauseJob(job.id);
    process.once('SIGINT', stop);
    engine.startJob(job.id);
    const summary = await engine.waitForJob(job.id);
    stopProgress();
    process.off('SIGINT', stop);
    if (values.out) await engine.exportCsvTo(job.id, values.out);
    const { done, failed, total } = summary.counts;
    if (summary.status === 'paused') {
      console.error(`\nPaused with ${done} of ${total} rows done. Job id: ${job.id}`);
      return 130;
    }
    if (values.json) {
      console.log(
        JSON.stringify({ jobId: job.id, status: summary.status, counts: summary.counts, out: values.out ?? null }),
      );
    } else {
      console.error(
        `\n${done} of ${total} rows done, ${failed} failed.${values.out ? ` Results saved to ${values.out}.` : ''} Job id: ${job.id}`,
      );
    }
    return failed > 0 ? 3 : 0;
  } finally {
    await engine.close();
  }
}

function providerFromFlags(kind: string, baseUrl: string | undefined, model: string | undefined): ProviderConfig {
  if (kind === 'demo') return { kind: 'demo', model: model ?? 'demo' };
  if (kind !== 'openai') throw new RowbotError('BAD_REQUEST', `--provider must be demo or openai, not "${kind}".`);
  const parsed = providerConfigSchema.safeParse({ kind, baseUrl: baseUrl ?? 'https://api.openai.com/v1', model });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] === 'model' ? '--model' : '--base-url';
    throw new RowbotError(
      'BAD_REQUEST',
      `${flag} ${flag === '--model' ? 'is required for --provider openai' : (issue?.message ?? 'is invalid')}.`,
    );
  }
  return parsed.data;
}

function reportProgress(engine: Engine, jobId: string, quiet: boolean): () => void {
  if (quiet || !process.stderr.isTTY) return () => undefined;
  return engine.on((message) => {
    if (message.name !== 'job' || message.payload.id !== jobId) return;
    const { done, failed, total } = message.payload.counts;
    process.stderr.write(`\r${done + failed} / ${total} rows (${failed} failed)   `);
  });
}
