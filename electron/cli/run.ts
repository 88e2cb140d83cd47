import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BATCH_ENDED,
  FIRST_COLUMN_NAME,
  MAX_CONCURRENCY,
  type AiColumn,
  type CreateJobInput,
  type JobEstimate,
  type JobSummary,
  type JsonOutput,
  type NewColumn,
  type ProviderConfig,
  type ProviderKind,
  type RunSettings,
} from '../../shared/api.ts';
import { hasPlaceholders, KEY_ENV, KEY_IDS, originOf, PROVIDER_PRESETS, type KeyId } from '../../shared/providers.ts';
import { RowbotError } from '../../shared/errors.ts';
import { isJsonObject } from '../../shared/json-output.ts';
import { httpUrl, runSettingsSchema } from '../../shared/schemas.ts';
import { rateLimitWaitText } from '../../shared/live.ts';
import { Engine } from '../engine/engine.ts';
import { keySlotOf, parseKeyAllowance, type KeyAllowance } from '../engine/keys.ts';
import { defaultDbFile } from '../engine/paths.ts';
import { shownProvider } from '../engine/store/repository.ts';
import { formatFromPath } from '../engine/sheets/export.ts';
import {
  EXPORT_DELIMITERS,
  EXPORT_ROWS,
  type ExportDelimiter,
  type ExportOptions,
  type ExportRows,
} from '../../shared/sheets.ts';
import { importOptionsFromFlags, IMPORT_FLAGS } from './import-flags.ts';
import { columnsFromFlags, type ColumnPlan } from './column-flags.ts';
import { columnCountsText, formatDuration, progressLine } from './progress.ts';
import { EXIT, UsageError } from './exit.ts';

export { EXIT, UsageError };

/** After Ctrl+C, how long requests in flight may take to finish before they are abandoned. */
const SIGINT_GRACE_MS = 1500;

export const RUN_OPTIONS = {
  template: { type: 'string' },
  'template-file': { type: 'string' },
  column: { type: 'string', multiple: true },
  'column-model': { type: 'string', multiple: true },
  system: { type: 'string' },
  provider: { type: 'string', default: 'demo' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key-env': { type: 'string' },
  'allow-key-to': { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'max-attempts': { type: 'string' },
  timeout: { type: 'string' },
  'rate-limit-patience': { type: 'string' },
  db: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  'max-rows': { type: 'string' },
  'max-cost': { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  stop: { type: 'string', multiple: true },
  'json-mode': { type: 'boolean', default: false },
  'json-schema': { type: 'string' },
  'api-version': { type: 'string' },
  'http-header': { type: 'string', multiple: true },
  cache: { type: 'boolean', default: true },
  estimate: { type: 'boolean', default: false },
  ...IMPORT_FLAGS,
  rows: { type: 'string', default: 'all' },
  bom: { type: 'boolean', default: true },
  'out-delimiter': { type: 'string' },
  'write-back': { type: 'boolean', default: false },
  'keep-empty': { type: 'boolean', default: false },
  'retry-failed': { type: 'boolean', default: false },
  batch: { type: 'boolean', default: false },
  detach: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** demo, openai, anthropic, and every preset (ollama, groq, openrouter, azure…) by its id. */
const PROVIDERS: Record<
  string,
  { kind: ProviderKind; baseUrl: string; keyEnv: string; keyId: KeyId | null; azureApiVersion?: string }
> = {
  demo: { kind: 'demo', baseUrl: '', keyEnv: '', keyId: null },
  ...Object.fromEntries(
    PROVIDER_PRESETS.map((p) => [
      p.id,
      {
        kind: p.kind,
        baseUrl: p.baseUrl,
        keyEnv: p.keyId ? KEY_ENV[p.keyId] : '',
        keyId: p.keyId,
        ...(p.azureApiVersion ? { azureApiVersion: p.azureApiVersion } : {}),
      },
    ]),
  ),
};

/** The environment variable holding the key of a stored job's provider (for --resume). */
function keyEnvOf(provider: ProviderConfig): string {
  if (provider.kind === 'demo') return '';
  if (provider.kind === 'anthropic') return KEY_ENV.anthropic;
  if (provider.keyId === null) return '';
  return KEY_ENV[provider.keyId ?? 'openai'];
}

type Values = ReturnType<typeof parse>['values'];

/** What a job is, fixed when it is created: --resume refuses these rather than ignore them. */
const RESUME_KEEPS = [
  'template',
  'template-file',
  'column',
  'column-model',
  'system',
  'provider',
  'base-url',
  'model',
  'api-version',
  'http-header',
  'keep-empty',
] as const;
const RUN_DEFAULTS: Partial<Record<(typeof RESUME_KEEPS)[number], unknown>> = { provider: 'demo', 'keep-empty': false };

/** A value as a message shows it: on one line, in quotes, cut when long. */
function quoted(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return `"${line.length > 60 ? `${line.slice(0, 59)}…` : line}"`;
}

const sameAddress = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** --template, or the text of --template-file; undefined when neither is given. */
async function templateFromFlags(values: Values): Promise<string | undefined> {
  if (values['template-file'] === undefined) return values.template;
  try {
    return await readFile(values['template-file'], 'utf8');
  } catch {
    throw new UsageError(`Cannot read the template file "${values['template-file']}".`);
  }
}

/** A job's AI columns; a job from before columns (or an engine that does not list them) has one, `output`. */
function aiColumnsOf(job: ReturnType<Engine['getJob']>): Pick<AiColumn, 'name' | 'template' | 'provider'>[] {
  const listed = (job as Partial<Pick<typeof job, 'aiColumns'>>).aiColumns;
  if (listed !== undefined && listed.length > 0) return listed;
  return [{ name: FIRST_COLUMN_NAME, template: job.template, provider: job.provider }];
}

/**
 * How the AI columns of the command line differ from the job's: the same columns (names,
 * templates, in order) and the same models are the command again, with --resume added.
 */
function columnDifferences(
  plans: readonly ColumnPlan[],
  columns: readonly Pick<AiColumn, 'name' | 'template' | 'provider'>[],
  jobModelFlag: string | undefined,
): string[] {
  const names = (list: readonly { name: string }[]): string => list.map((c) => c.name).join(', ');
  if (plans.length !== columns.length || plans.some((plan, i) => plan.name !== columns[i]?.name)) {
    return [
      `the AI columns ${names(plans)} (the job's are ${names(columns)}, in that order: a resumed job keeps its columns)`,
    ];
  }
  const differ: string[] = [];
  plans.forEach((plan, i) => {
    const column = columns[i] as (typeof columns)[number];
    if (plan.template !== column.template)
      differ.push(`--column ${plan.name}=${quoted(plan.template)} (the job's is ${quoted(column.template)})`);
    const model = plan.model ?? jobModelFlag;
    if (model !== undefined && model !== column.provider.model)
      differ.push(
        `${plan.model !== undefined ? `--column-model ${plan.name}=` : '--model '}${quoted(model)} (the job's column ${plan.name} uses ${quoted(column.provider.model)})`,
      );
  });
  return differ;
}

/**
 * What --resume was given that the job was not created with. The same file, prompt and provider
 * flags as the job's (the command again, with --resume added) are accepted; each different one is
 * named with the job's own value. Header values are compared as the job shows them (their last
 * four characters), since a stored job never hands them back.
 */
async function resumeDifferences(
  values: Values,
  positionals: string[],
  job: ReturnType<Engine['getJob']>,
): Promise<string[]> {
  const differ: string[] = [];
  const [file, ...others] = positionals;
  if (file !== undefined && basename(file) !== job.fileName) differ.push(`${file} (the job's file is ${job.fileName})`);
  differ.push(...others.map((other) => `${other} (a job has one file)`));
  const template = await templateFromFlags(values);
  if (values.column !== undefined || values['column-model'] !== undefined) {
    const plans = columnsFromFlags({ template, column: values.column, columnModel: values['column-model'] }) ?? [];
    differ.push(...columnDifferences(plans, aiColumnsOf(job), values.model));
  } else {
    const templateFlag = values['template-file'] !== undefined ? '--template-file' : '--template';
    if (template !== undefined && template !== job.template)
      differ.push(`${templateFlag} ${quoted(template)} (the job's prompt is ${quoted(job.template)})`);
  }
  if (values.system !== undefined && values.system !== job.systemPrompt)
    differ.push(`--system ${quoted(values.system)} (the job's is ${quoted(job.systemPrompt)})`);
  const { provider } = job;
  // --provider has a default (demo): only another value says anything.
  const named = values.provider !== RUN_DEFAULTS.provider ? PROVIDERS[values.provider] : undefined;
  if (values.provider !== RUN_DEFAULTS.provider && !named)
    throw new UsageError(`--provider must be one of ${Object.keys(PROVIDERS).join(', ')}, not "${values.provider}".`);
  const jobKey = provider.kind === 'openai' ? keySlotOf(provider) : null;
  if (named && (named.kind !== provider.kind || (named.kind === 'openai' && named.keyId !== jobKey)))
    differ.push(
      `--provider ${values.provider} (the job's provider is ${provider.kind}${jobKey ? `, with the ${jobKey} key` : ''})`,
    );
  if (provider.kind !== 'demo') {
    const address = values['base-url'] ?? (named?.kind === provider.kind ? named.baseUrl : undefined);
    if (address && !sameAddress(address, provider.baseUrl))
      differ.push(
        `${values['base-url'] !== undefined ? '--base-url' : `--provider ${values.provider}'s address`} ${quoted(address)} (the job's is ${quoted(provider.baseUrl)})`,
      );
  }
  const byColumn = values.column !== undefined || values['column-model'] !== undefined;
  if (!byColumn && values.model !== undefined && values.model !== provider.model)
    differ.push(`--model ${quoted(values.model)} (the job's is ${quoted(provider.model)})`);
  const jobVersion = provider.kind === 'openai' ? provider.azureApiVersion : undefined;
  const version = values['api-version'] ?? (named?.kind === provider.kind ? named.azureApiVersion : undefined);
  if (version !== undefined && version !== jobVersion)
    differ.push(`--api-version ${quoted(version)} (the job's is ${jobVersion ? quoted(jobVersion) : 'none'})`);
  if (values['http-header']) {
    // The job's headers come back as the job shows them; the flags' are shown the same way.
    const entries = (headers: Record<string, string> | undefined): string =>
      JSON.stringify(
        Object.entries(headers ?? {})
          .map(([name, value]) => [name.toLowerCase(), value])
          .sort(),
      );
    const given = shownProvider({
      kind: 'openai',
      baseUrl: '',
      model: '',
      headers: headersFromFlags(values['http-header']),
    });
    const jobHeaders = provider.kind === 'openai' ? provider.headers : undefined;
    if (given.kind === 'openai' && entries(given.headers) !== entries(jobHeaders))
      differ.push(`--http-header (the job's headers are ${Object.keys(jobHeaders ?? {}).join(', ') || 'none'})`);
  }
  if (values['keep-empty'] === true && job.counts.skipped > 0)
    differ.push(`--keep-empty (the job skipped ${job.counts.skipped} rows with nothing to fill in)`);
  return differ;
}

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run "rowbot help" for the options.`);
  }
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not "${raw}".`,
    );
  }
  return n;
}

function decimal(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, not "${raw}".`);
  return n;
}

const SETTING_FLAGS: Partial<Record<keyof RunSettings, string>> = {
  temperature: '--temperature',
  topP: '--top-p',
  stop: '--stop',
  jsonOutput: '--json-schema',
};

/** The same rules as the app's: a flag out of range is named, with what it allows. */
function checkSettings(settings: Partial<RunSettings>): Partial<RunSettings> {
  const checked = runSettingsSchema.partial().safeParse(settings);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0];
  const key = issue?.path[0] as keyof RunSettings | undefined;
  const flag = (key && SETTING_FLAGS[key]) ?? `--${String(key ?? 'option')}`;
  const range = key === 'temperature' ? ' (from 0 to 2)' : key === 'topP' ? ' (above 0, at most 1)' : '';
  throw new UsageError(`${flag}${range}: ${issue?.message ?? 'not allowed'}.`);
}

/**
 * `--json-schema FILE`: the answer's fields, each its own column. The file is a JSON Schema
 * (`{"type":"object","properties":{"name":{"type":"string"}}}`) or the short form `{"name":"string"}`.
 */
async function jsonOutputFromFile(file: string): Promise<JsonOutput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`Cannot read the JSON schema file "${file}".`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The JSON schema file "${file}" is not valid JSON (${(error as Error).message}).`);
  }
  if (!isJsonObject(parsed)) {
    throw new UsageError(
      `The JSON schema file "${file}" must hold an object, like {"title": "string", "score": "number"}.`,
    );
  }
  const properties = isJsonObject(parsed.properties) ? parsed.properties : parsed;
  const fields = Object.entries(properties).map(([name, spec]) => {
    const type = typeof spec === 'string' ? spec : isJsonObject(spec) ? spec.type : undefined;
    const mapped = type === 'integer' ? 'number' : type;
    if (mapped !== 'string' && mapped !== 'number' && mapped !== 'boolean') {
      throw new UsageError(
        `Field "${name}" in "${file}" has type ${JSON.stringify(type ?? null)}: each field must be a string, number or boolean (it becomes one column).`,
      );
    }
    return { name, type: mapped } as const;
  });
  if (fields.length === 0) throw new UsageError(`The JSON schema file "${file}" names no fields.`);
  return { fields };
}

function settingsFromFlags(values: Values): Partial<RunSettings> {
  const settings: Partial<RunSettings> = {};
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, MAX_CONCURRENCY);
  if (concurrency !== undefined) settings.concurrency = concurrency;
  const rpm = wholeNumber('--rpm', values.rpm, 1, 100_000_000);
  if (rpm !== undefined) settings.requestsPerMinute = rpm;
  const tpm = wholeNumber('--tpm', values.tpm, 1, 100_000_000);
  if (tpm !== undefined) settings.tokensPerMinute = tpm;
  const attempts = wholeNumber('--max-attempts', values['max-attempts'], 1, 100);
  if (attempts !== undefined) settings.maxAttempts = attempts;
  const maxTokens = wholeNumber('--max-tokens', values['max-tokens'], 1, 1_000_000);
  if (maxTokens !== undefined) settings.maxOutputTokens = maxTokens;
  if (values['max-cost'] !== undefined) {
    const dollars = Number(values['max-cost'].replace(/^\$/, ''));
    if (!Number.isFinite(dollars) || dollars <= 0) {
      throw new UsageError(
        `--max-cost must be an amount in US dollars above zero, e.g. 5 or 0.50, not "${values['max-cost']}".`,
      );
    }
    settings.maxCost = dollars;
  }
  if (!values.cache) settings.useCache = false;
  if (values.batch) settings.batch = true;
  const temperature = decimal('--temperature', values.temperature);
  if (temperature !== undefined) settings.temperature = temperature;
  const topP = decimal('--top-p', values['top-p']);
  if (topP !== undefined) settings.topP = topP;
  if (values.stop) settings.stop = values.stop;
  if (values['json-mode']) settings.jsonOutput = { fields: [] };
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
      throw new UsageError(`--timeout must be a number of seconds from 1 to 3600, not "${values.timeout}".`);
    }
    settings.timeoutSeconds = seconds;
  }
  if (values['rate-limit-patience'] !== undefined) {
    const minutes = Number(values['rate-limit-patience']);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 10_080) {
      throw new UsageError(
        `--rate-limit-patience must be a number of minutes above zero (at most 10080, a week), not "${values['rate-limit-patience']}".`,
      );
    }
    settings.rateLimitPatienceMinutes = minutes;
  }
  return settings;
}

function providerFromFlags(values: Values): { provider: ProviderConfig; keyEnv: string } {
  const id = values.provider;
  const preset = PROVIDERS[id];
  if (!preset) throw new UsageError(`--provider must be one of ${Object.keys(PROVIDERS).join(', ')}, not "${id}".`);
  const { kind } = preset;
  if (kind === 'demo') return { provider: { kind: 'demo', model: values.model ?? 'demo' }, keyEnv: '' };
  const baseUrl = values['base-url'] ?? preset.baseUrl;
  if (!httpUrl.safeParse(baseUrl).success) {
    throw new UsageError(
      `--base-url must be an http:// or https:// address such as ${preset.baseUrl}, not "${baseUrl}".`,
    );
  }
  if (!values.model)
    throw new UsageError(
      `--model is required with --provider ${kind} (for example --model ${kind === 'openai' ? 'gpt-4o-mini' : 'claude-sonnet-4-20250514'}).`,
    );
  const keyEnv = values['api-key-env'] ?? preset.keyEnv;
  if (values['api-version'] !== undefined && id !== 'azure') {
    throw new UsageError('--api-version is for --provider azure only.');
  }
  if (kind === 'anthropic') {
    if (values['http-header'])
      throw new UsageError('--http-header works with OpenAI-compatible providers, not anthropic.');
    return { provider: { kind, baseUrl, model: values.model }, keyEnv };
  }
  const apiVersion = values['api-version'] ?? preset.azureApiVersion;
  if (hasPlaceholders(baseUrl)) {
    throw new UsageError(
      'Azure OpenAI needs your deployment’s address: --base-url https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT',
    );
  }
  return {
    provider: {
      kind: 'openai',
      baseUrl,
      model: values.model,
      keyId: preset.keyId,
      ...(apiVersion ? { azureApiVersion: apiVersion } : {}),
      ...(values['http-header'] ? { headers: headersFromFlags(values['http-header']) } : {}),
    },
    keyEnv,
  };
}

/** `--http-header "Name: value"`, as many as needed, for gateways that want their own. */
function headersFromFlags(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+):\s*(.*)$/.exec(line);
    if (!match?.[1]) throw new UsageError(`--http-header must look like "Name: value", not "${line}".`);
    headers[match[1]] = match[2] ?? '';
  }
  return headers;
}

/**
 * Where this command may send its key besides the service's own address: each --allow-key-to
 * SLOT=ADDRESS, and the --base-url typed on the same command line (the user gives both the key and
 * the address). An address stored in a resumed job is not on the command line, so it needs one of them.
 */
function keyAllowances(values: Values): KeyAllowance[] {
  const allowances = (values['allow-key-to'] ?? []).map((text) => {
    try {
      return parseKeyAllowance(text);
    } catch (error) {
      throw new UsageError(`--allow-key-to: ${(error as Error).message}`);
    }
  });
  const typed = values['base-url'] === undefined ? null : originOf(values['base-url']);
  if (typed !== null) allowances.push(...KEY_IDS.map((keyId) => ({ keyId, origin: typed })));
  return allowances;
}

/** --out-delimiter comma|semicolon|tab, as the separator; undefined when left out (the input file's). */
function outDelimiter(values: Values): ExportDelimiter | undefined {
  const given = values['out-delimiter'];
  if (given === undefined) return undefined;
  const found = EXPORT_DELIMITERS.find((d) => d.name === given.trim().toLowerCase());
  if (!found) throw new UsageError(`--out-delimiter must be comma, semicolon or tab, not "${given}".`);
  return found.id;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  const flagged = settingsFromFlags(values);
  if (values['json-schema']) flagged.jsonOutput = await jsonOutputFromFile(values['json-schema']);
  const settings = checkSettings(flagged);
  if (values.out) {
    try {
      formatFromPath(values.out);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (!(EXPORT_ROWS as readonly string[]).includes(values.rows)) {
    throw new UsageError(`--rows must be all, done or failed, not "${values.rows}".`);
  }
  if (values['write-back'] && !values.out?.toLowerCase().endsWith('.xlsx')) {
    throw new UsageError('--write-back needs --out FILE.xlsx: it writes your own workbook with the results added.');
  }
  if (outDelimiter(values) !== undefined && (!values.out || formatFromPath(values.out) !== 'csv')) {
    throw new UsageError(
      `--out-delimiter sets the separator of a CSV file: use it with --out FILE.csv${values.out ? `, not with ${values.out}` : ''}.`,
    );
  }
  let apiKey: string | undefined;
  const maxRows = wholeNumber('--max-rows', values['max-rows'], 1, 100_000_000);
  const engine = new Engine({
    dbFile: values.db ?? defaultDbFile(),
    resolveApiKey: () => apiKey,
    allowKeyTo: keyAllowances(values),
    maxRows,
    processName: 'rowbot run',
  });
  try {
    let jobId: string;
    if (values.resume) {
      jobId = values.resume;
      let job: ReturnType<Engine['getJob']>;
      try {
        job = engine.getJob(jobId);
      } catch {
        const given = [
          ...positionals,
          ...RESUME_KEEPS.filter((flag) => values[flag] !== undefined && values[flag] !== RUN_DEFAULTS[flag]).map(
            (flag) => `--${flag}`,
          ),
        ];
        throw new UsageError(
          `There is no job ${jobId} in this database. Check the id, or pass the same --db as before.${given.length > 0 ? ` (A resumed job keeps its file, prompt and provider: leave out ${given.join(', ')}, or give the job's own.)` : ''}`,
        );
      }
      const differ = await resumeDifferences(values, positionals, job);
      if (differ.length > 0) {
        throw new UsageError(
          `A resumed job keeps its file, prompt and provider, and ${differ.length === 1 ? 'this differs' : 'these differ'} from job ${jobId}: ${differ.join('; ')}. Leave ${differ.length === 1 ? 'it' : 'them'} out (or give the job's own), or start a new job. Settings such as --concurrency or --max-cost can change.`,
        );
      }
      // Refused while another Rowbot runs it, before its settings or rows are touched.
      engine.claimJob(jobId);
      if (values['retry-failed'] && !values.batch && job.settings.batch) {
        // Failed rows of a batch job are retried live, unless --batch sends them in a new batch.
        if (job.batches.some((batch) => !BATCH_ENDED.has(batch.phase)))
          throw new UsageError(
            `Job ${jobId} still has a batch at the provider. Collect it first (rowbot run --resume ${jobId}), then retry the failed rows.`,
          );
        settings.batch = false;
      }
      if (Object.keys(settings).length > 0) engine.updateJobSettings(jobId, settings);
      if (values['retry-failed']) engine.retryRows(jobId, 'failed');
      const { provider } = engine.getJob(jobId);
      const keyEnv = values['api-key-env'] ?? keyEnvOf(provider);
      if (keyEnv) apiKey = process.env[keyEnv];
    } else {
      const created = await createFromFlags(engine, values, positionals, settings, (key) => (apiKey = key));
      if (created === null) return EXIT.allDone;
      jobId = created;
    }
    return await runJob(engine, jobId, values);
  } catch (error) {
    if (error instanceof RowbotError && error.code !== 'INTERNAL') throw new UsageError(error.message);
    throw error;
  } finally {
    await engine.close();
  }
}

async function createFromFlags(
  engine: Engine,
  values: Values,
  positionals: string[],
  settings: Partial<RunSettings>,
  setKey: (key: string | undefined) => void,
): Promise<string | null> {
  const [file] = positionals;
  if (!file) throw new UsageError('Name the spreadsheet to run, e.g. rowbot run products.csv --template "…{{name}}…".');
  const columnFlags = {
    template: await templateFromFlags(values),
    column: values.column,
    columnModel: values['column-model'],
  };
  // The flags' own mistakes are told before the file is read.
  if (columnsFromFlags(columnFlags) === null)
    throw new UsageError(
      'Give a prompt with --template "…{{column}}…" or --template-file FILE, or AI columns with --column NAME=TEMPLATE.',
    );
  const { provider, keyEnv } = providerFromFlags(values);
  const key = keyEnv ? process.env[keyEnv] : undefined;
  if (provider.kind !== 'demo' && !key && keyEnv && provider.baseUrl === PROVIDERS[values.provider]?.baseUrl) {
    throw new UsageError(
      `No API key: set the ${keyEnv} environment variable (or name another one with --api-key-env).`,
    );
  }
  setKey(key);
  const importOptions = importOptionsFromFlags(values, (message) => {
    throw new UsageError(message);
  });
  const preview = await engine.importFile(file, importOptions);
  const fields = settings.jsonOutput?.fields.map((field) => field.name) ?? [];
  const plans = columnsFromFlags(columnFlags, preview.columns, fields) ?? [];
  for (const note of preview.notes) console.error(`note: ${note}`);
  const input = jobInput(plans, {
    sheetId: preview.sheetId,
    systemPrompt: values.system ?? '',
    provider,
    settings,
    skipEmptyRows: !values['keep-empty'],
  });
  if (values.estimate) {
    printEstimate(engine.estimateJob(input), values.json, plans.length);
    return null;
  }
  return engine.createJob(input).id;
}

/**
 * The job the columns make: the first is the job's prompt (named, unless it is `output`), the
 * others follow with the same system prompt and provider, each with its own model if it has one.
 */
function jobInput(
  plans: readonly ColumnPlan[],
  base: Omit<CreateJobInput, 'template' | 'name' | 'columnName' | 'moreColumns'>,
): Omit<CreateJobInput, 'name'> {
  const [first, ...more] = plans as [ColumnPlan, ...ColumnPlan[]];
  const modelOf = (plan: ColumnPlan): ProviderConfig =>
    plan.model === undefined ? base.provider : { ...base.provider, model: plan.model };
  const moreColumns = more.map((plan): NewColumn => ({
    name: plan.name,
    template: plan.template,
    systemPrompt: base.systemPrompt ?? '',
    provider: modelOf(plan),
  }));
  return {
    ...base,
    provider: modelOf(first),
    template: first.template,
    ...(first.name === FIRST_COLUMN_NAME ? {} : { columnName: first.name }),
    ...(moreColumns.length > 0 ? { moreColumns } : {}),
  };
}

async function runJob(engine: Engine, jobId: string, values: Values): Promise<number> {
  const began = performance.now();
  const before = engine.getJob(jobId).counts.done;
  const stopProgress = showProgress(engine, jobId, began, before, values.json);
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write(
      '\nPausing: nothing more is sent; requests in flight get a moment to finish (press Ctrl+C again to quit at once)…\n',
    );
    engine.pauseJob(jobId);
    // Answers on their way are worth a moment; a slow request is not worth the user's wait.
    setTimeout(() => engine.abandonInFlight(jobId), SIGINT_GRACE_MS).unref();
  };
  process.on('SIGINT', onSigint);
  engine.startJob(jobId);
  if (values.detach) {
    // --batch --detach: once every batch is at the provider, say how to collect it, and go.
    const sent = await engine.batchesSent(jobId);
    process.off('SIGINT', onSigint);
    stopProgress();
    const resume = `rowbot run --resume ${jobId}${values.db ? ` --db ${values.db}` : ''}`;
    if (sent.status === 'paused') {
      console.error(`\n${sent.pauseReason ?? 'Paused.'}`);
      return EXIT.someFailed;
    }
    console.error(
      `\nSent ${sent.batches.reduce((n, b) => n + b.requests, 0).toLocaleString('en-US')} rows in ${sent.batches.length === 1 ? 'a batch' : `${sent.batches.length} batches`}; the provider answers within 24 hours. To collect the results: ${resume}${values.out ? ` --out ${values.out}` : ''}`,
    );
    console.log(jobId);
    return EXIT.allDone;
  }
  const summary = await engine.waitForJob(jobId);
  process.off('SIGINT', onSigint);
  stopProgress();
  const wallSeconds = (performance.now() - began) / 1000;
  if (values.out) {
    const exportOptions: Partial<ExportOptions> = {
      rows: values.rows as ExportRows,
      bom: values.bom,
      writeBack: values['write-back'],
      delimiter: outDelimiter(values),
    };
    const { notes } = await engine.exportTo(jobId, values.out, exportOptions);
    for (const note of notes) console.error(note);
  }

  const { done, failed, total } = summary.counts;
  const resume = `rowbot run --resume ${jobId}${values.db ? ` --db ${values.db}` : ''}`;
  // A job of several AI columns counts cells (a row's answer in one column); one of one column, rows.
  const columns = (summary as Partial<Pick<JobSummary, 'columnStats'>>).columnStats ?? [];
  const several = columns.length > 1;
  const unit = several ? 'cells' : 'rows';
  const perColumn = columnCountsText(summary);
  if (summary.status === 'paused') {
    console.error(`\n${summary.pauseReason ?? 'Paused.'}\n${done} of ${total} ${unit} done. To continue: ${resume}`);
  } else {
    console.error(
      `\n${done} of ${total} ${unit} done, ${failed} failed.${values.out ? ` Results saved to ${values.out}.` : ''}`,
    );
  }
  if (perColumn !== null) console.error(`By column: ${perColumn}`);
  if (summary.status !== 'paused' && failed > 0) console.error(`To retry the failed ${unit}: ${resume} --retry-failed`);
  if (summary.cutOff > 0) {
    const limit = summary.settings.maxOutputTokens;
    const what = several ? 'cell' : 'row';
    console.error(
      `${summary.cutOff === 1 ? `1 ${what} was` : `${summary.cutOff} ${what}s were`} cut off at the output limit${limit === null ? '' : ` (--max-tokens ${limit})`}: ${summary.cutOff === 1 ? 'its answer is' : 'their answers are'} incomplete. To run them again with a higher limit, open the job in the app (rowbot serve) and choose Retry cut-off rows.`,
    );
  }
  if (values.json) {
    console.log(
      JSON.stringify({
        jobId,
        status: summary.status,
        rows: several ? Math.round(total / columns.length) : total,
        ...(several ? { cells: total } : {}),
        done,
        failed,
        cutOff: summary.cutOff,
        wallSeconds: Math.round(wallSeconds * 1000) / 1000,
        promptTokens: summary.usage.promptTokens,
        completionTokens: summary.usage.completionTokens,
        cost: summary.usage.cost,
        out: values.out ?? null,
        ...(several
          ? {
              columns: columns.map((column) => ({
                name: column.name,
                model: column.model,
                done: column.counts.done,
                failed: column.counts.failed,
                total: column.counts.total,
                cost: column.usage.cost,
              })),
            }
          : {}),
      }),
    );
  }
  if (interrupted) return EXIT.interrupted;
  // Skipped rows (nothing to fill in) are not failures.
  return failed === 0 && summary.status === 'completed' ? EXIT.allDone : EXIT.someFailed;
}

/**
 * On a terminal, one progress line redrawn in place (it shows a rate-limit wait with its countdown).
 * Otherwise (a log, a pipe, --json) a line on stderr each time a rate-limit wait begins, so a job
 * that is waiting never looks stuck.
 */
function showProgress(engine: Engine, jobId: string, began: number, startDone: number, quiet: boolean): () => void {
  const redraw = !quiet && process.stderr.isTTY;
  let last = 0;
  let noticedWait: string | null = null;
  const unsubscribe = engine.on((message) => {
    if (message.name !== 'job' || message.payload.id !== jobId) return;
    if (!redraw) {
      const until = message.payload.live?.waitingUntil ?? null;
      const wait = rateLimitWaitText(message.payload.live);
      // A wait that ends later than the one already told is a new wait.
      if (until && wait && (noticedWait === null || Date.parse(until) - Date.parse(noticedWait) > 1000)) {
        noticedWait = until;
        process.stderr.write(`rowbot: ${wait}\n`);
      }
      return;
    }
    const now = performance.now();
    if (now - last < 100) return;
    last = now;
    process.stderr.write(`\r${progressLine(message.payload, began, startDone, now)}\u001b[K`);
  });
  return unsubscribe;
}

/** `--estimate`: what the run would send, cost and take; nothing is sent. */
function printEstimate(estimate: JobEstimate, json: boolean, columnCount = 1): void {
  if (json) {
    console.log(JSON.stringify(estimate));
    return;
  }
  const money = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`;
  const tokens = `${estimate.promptTokens.toLocaleString('en-US')} prompt tokens${estimate.tokensEstimated ? ' (estimated: no tokenizer for this model)' : ''}`;
  // With several AI columns, what is sent is cells: a row's request in each column.
  console.log(
    `${columnCount > 1 ? `Cells to send (${columnCount} AI columns):` : 'Rows to send:'} ${estimate.rows.toLocaleString('en-US')}${estimate.skipped ? ` (${estimate.skipped} skipped: nothing to fill in)` : ''}`,
  );
  console.log(
    `Tokens:       ${tokens}; ${estimate.outputTokens[0].toLocaleString('en-US')}–${estimate.outputTokens[1].toLocaleString('en-US')} output tokens`,
  );
  console.log(
    `Cost:         ${estimate.cost ? `${money(estimate.cost[0])}–${money(estimate.cost[1])}` : 'no price known for this model'}`,
  );
  const { price } = estimate;
  console.log(
    `Price:        ${
      price
        ? `${price.model}: $${price.input} in, $${price.output} out per million tokens (${price.source === 'shipped' ? `list price checked ${estimate.pricesCheckedOn}` : 'your price'})`
        : 'none known: add the model in the app under Settings → Prices'
    }`,
  );
  console.log(`Time:         ${formatDuration(estimate.seconds[0])}–${formatDuration(estimate.seconds[1])}`);
}
