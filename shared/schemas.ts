/**
 * Runtime schemas for every command's input: the backend validates each call before it
 * acts. Kept apart from api.ts so the preload and the UI do not carry a validator.
 */
import { z } from 'zod';
import {
  JSON_FIELD_TYPES,
  MAX_AI_COLUMNS,
  MAX_CONCURRENCY,
  MAX_UPLOAD_BASE64_CHARS,
  type CommandInputs,
  type CommandName,
  type ProviderConfig,
  type RunSettings,
} from './api.ts';
import { KEY_IDS, KEY_NAMES, keyOriginProblem, MAX_KEY_ORIGINS } from './providers.ts';
import {
  ENCODINGS,
  EXPORT_DELIMITERS,
  EXPORT_FORMATS,
  EXPORT_ROWS,
  IMPORT_FORMATS,
  type EncodingId,
  type ExportDelimiter,
  type ImportOptions,
} from './sheets.ts';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');

export const httpUrl = z
  .string()
  .max(2000)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an http:// or https:// address',
  });

const model = z.string().trim().min(1, 'is required').max(200);

/** Headers the HTTP client sets itself: a gateway header may not replace them. */
const CLIENT_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'accept',
]);

/** A gateway's extra request headers (RFC 9110 token names, one-line values), at most 20. */
const extraHeaders = z
  .record(
    z.string(),
    z
      .string()
      .max(8192)
      .regex(/^[^\r\n\0]*$/, 'must be one line'),
  )
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'allows at most 20 headers' });
    for (const name of names) {
      // zod words a bad record key only as "Invalid key in record": say what is wrong with it.
      const problem = !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(name)
        ? 'must be a header name: letters, digits and - _ .'
        : CLIENT_HEADERS.has(name.toLowerCase())
          ? 'is set by Rowbot itself'
          : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [name] });
    }
  });

export const providerConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo'), model }).strict(),
  z
    .object({
      kind: z.literal('openai'),
      baseUrl: httpUrl,
      model,
      keyId: z.enum(KEY_IDS).nullable().optional(),
      // Azure OpenAI's api-version query, e.g. 2024-10-21 or 2025-04-01-preview.
      azureApiVersion: z
        .string()
        .trim()
        .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'must be a date like 2024-10-21 (or 2025-04-01-preview)')
        .optional(),
      headers: extraHeaders.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('anthropic'), baseUrl: httpUrl, model }).strict(),
]) satisfies z.ZodType<ProviderConfig, unknown>;

const perMinute = z.number().int('must be a whole number').positive('must be above zero').max(100_000_000).nullable();

export const runSettingsSchema = z
  .object({
    concurrency: z.number().int('must be a whole number').min(1).max(MAX_CONCURRENCY),
    autoConcurrency: z.boolean(),
    requestsPerMinute: perMinute,
    tokensPerMinute: perMinute,
    maxAttempts: z.number().int().min(1).max(100),
    timeoutSeconds: z.number().min(1).max(3600),
    rateLimitPatienceMinutes: z.number().gt(0, 'must be above zero').max(10_080),
    maxOutputTokens: z.number().int().min(1).max(1_000_000).nullable(),
    maxCost: z.number().positive('must be above zero').max(1_000_000).nullable(),
    useCache: z.boolean(),
    batch: z.boolean(),
    temperature: z.number().min(0).max(2).nullable(),
    topP: z.number().gt(0, 'must be above zero').max(1).nullable(),
    stop: z.array(z.string().min(1).max(100)).max(4, 'allows at most four stop sequences'),
    jsonOutput: z
      .object({
        fields: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .trim()
                  .regex(/^[A-Za-z_][A-Za-z0-9_ -]{0,63}$/, 'must be a short name of letters, digits, _ or -'),
                type: z.enum(JSON_FIELD_TYPES),
              })
              .strict(),
          )
          .max(50),
      })
      .strict()
      .nullable(),
  })
  .strict() satisfies z.ZodType<RunSettings, unknown>;

const jobRef = z.object({ jobId: id }).strict();

/** An AI column's name: what its header says, what templates use ({{summary}}) and what exports call it. */
export const columnName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^{}\r\n\t]+$/, 'must be one line without { or }');

const columnOptions = runSettingsSchema
  .pick({ jsonOutput: true, maxOutputTokens: true, temperature: true, topP: true, stop: true })
  .partial();

const newColumn = z
  .object({
    name: columnName,
    template: z.string().max(100_000),
    systemPrompt: z.string().max(100_000).optional(),
    provider: providerConfigSchema.optional(),
    options: columnOptions.optional(),
    useCorrections: z.boolean().optional(),
  })
  .strict();

const colId = z.number().int().min(0).max(10_000);

export const importOptionsSchema = z
  .object({
    format: z.enum(IMPORT_FORMATS).optional(),
    encoding: z.enum(ENCODINGS.map((e) => e.id) as [EncodingId, ...EncodingId[]]).optional(),
    delimiter: z.string().length(1, 'must be one character').optional(),
    hasHeader: z.boolean().optional(),
    sheet: z.string().min(1).max(200).optional(),
    keepTitleRows: z.boolean().optional(),
  })
  .strict() satisfies z.ZodType<ImportOptions, unknown>;

const keyProvider = z.enum(KEY_IDS);

/** An address a key may go to: an http(s) origin, no path, no user name or password. Kept lower-cased. */
const keyOrigin = z
  .string()
  .max(2000)
  .superRefine((value, context) => {
    const problem = keyOriginProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem.replace(/^“[^”]*” /, '') });
  })
  .transform((value) => new URL(value.trim()).origin);

const createJobInput = z
  .object({
    sheetId: id,
    name: z.string().max(200).optional(),
    template: z.string().max(100_000),
    systemPrompt: z.string().max(100_000).default(''),
    provider: providerConfigSchema,
    settings: runSettingsSchema.partial().default({}),
    skipEmptyRows: z.boolean().default(true),
    columnName: columnName.optional(),
    moreColumns: z
      .array(newColumn)
      .max(MAX_AI_COLUMNS - 1, `allows at most ${MAX_AI_COLUMNS} AI columns`)
      .optional(),
  })
  .strict();

/** Dollars per million tokens; the dearest models cost well under this. */
const perMillion = z.number().finite().min(0, 'cannot be negative').max(10_000, 'is over $10,000 per million tokens');
const priceModel = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'needs a model name')
  .max(200)
  .regex(/^[^\s]+$/, 'must be one word (no spaces), like gpt-4o-mini');

export const commandInputs = {
  listJobs: z.object({}).strict(),
  getKeys: z.object({}).strict(),
  setKey: z
    .object({
      provider: keyProvider,
      key: z
        .string()
        .trim()
        .min(8, 'looks too short for an API key')
        .max(500)
        .regex(/^[\x21-\x7e]+$/, 'must be one word of plain characters (no spaces)'),
      origins: z.array(keyOrigin).max(MAX_KEY_ORIGINS, `takes at most ${MAX_KEY_ORIGINS} addresses`).optional(),
    })
    .strict()
    .superRefine(({ provider, origins }, context) => {
      if (provider === 'custom' && (origins ?? []).length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['origins'],
          message: `needs the address of your server: the ${KEY_NAMES.custom} key is sent only to the addresses saved with it, such as http://10.0.0.5:8000`,
        });
      }
    }),
  clearKey: z.object({ provider: keyProvider }).strict(),
  getPrices: z.object({}).strict(),
  setPrice: z
    .object({ model: priceModel, input: perMillion, cachedInput: perMillion.nullable(), output: perMillion })
    .strict(),
  resetPrice: z.object({ model: priceModel }).strict(),
  estimateJob: createJobInput.omit({ name: true }),
  testConnection: z.object({ provider: providerConfigSchema }).strict(),
  importUpload: z
    .object({
      fileName: z.string().min(1).max(260),
      dataBase64: z.string().max(MAX_UPLOAD_BASE64_CHARS),
      options: importOptionsSchema.optional(),
    })
    .strict(),
  importDialog: z.object({ options: importOptionsSchema.optional() }).strict(),
  reimport: z.object({ sourceId: id, options: importOptionsSchema }).strict(),
  createJob: createJobInput,
  startJob: jobRef,
  sampleJob: z.object({ jobId: id, rows: z.number().int().min(1).max(1000).optional() }).strict(),
  projectJob: jobRef,
  pauseJob: jobRef,
  cancelJob: jobRef,
  retryRows: z
    .object({
      jobId: id,
      rows: z.union([z.literal('failed'), z.array(z.number().int().min(0)).min(1).max(1_000_000)]),
    })
    .strict(),
  retryCutOff: z.object({ jobId: id, maxOutputTokens: runSettingsSchema.shape.maxOutputTokens.unwrap() }).strict(),
  updateJobSettings: z.object({ jobId: id, settings: runSettingsSchema.partial() }).strict(),
  sendRestAsBatch: jobRef,
  editJob: z
    .object({
      jobId: id,
      template: z.string().max(100_000).optional(),
      systemPrompt: z.string().max(100_000).optional(),
      provider: providerConfigSchema.optional(),
      settings: runSettingsSchema.partial().optional(),
      rerun: z.enum(['rest', 'all']),
    })
    .strict(),
  renameJob: z.object({ jobId: id, name: z.string().trim().min(1, 'must not be empty').max(200) }).strict(),
  duplicateJob: jobRef,
  deleteJob: jobRef,
  getJob: jobRef,
  getRows: jobRef,
  getRow: z.object({ jobId: id, index: z.number().int().min(0), col: colId.optional() }).strict(),
  getTimeline: jobRef,
  exportJob: z
    .object({
      jobId: id,
      format: z.enum(EXPORT_FORMATS),
      rows: z.enum(EXPORT_ROWS),
      bom: z.boolean().optional(),
      delimiter: z.enum(EXPORT_DELIMITERS.map((d) => d.id) as [ExportDelimiter, ...ExportDelimiter[]]).optional(),
      writeBack: z.boolean().optional(),
    })
    .strict(),
  addColumn: z.object({ jobId: id, column: newColumn, after: colId.optional() }).strict(),
  updateColumn: z
    .object({
      jobId: id,
      col: colId,
      name: columnName.optional(),
      template: z.string().max(100_000).optional(),
      systemPrompt: z.string().max(100_000).optional(),
      provider: providerConfigSchema.optional(),
      options: columnOptions.optional(),
      useCorrections: z.boolean().optional(),
    })
    .strict(),
  moveColumn: z.object({ jobId: id, col: colId, position: z.number().int().min(0).max(MAX_AI_COLUMNS) }).strict(),
  removeColumn: z.object({ jobId: id, col: colId }).strict(),
  duplicateColumn: z
    .object({ jobId: id, col: colId, name: columnName.optional(), provider: providerConfigSchema.optional() })
    .strict(),
  runCells: z
    .object({
      jobId: id,
      which: z.enum(['stale', 'failed', 'all']),
      col: colId.optional(),
      rows: z.array(z.number().int().min(0)).min(1).max(1_000_000).optional(),
    })
    .strict(),
  editCell: z
    .object({ jobId: id, index: z.number().int().min(0), col: colId, output: z.string().max(1_000_000) })
    .strict(),
  previewColumnPrompt: z.object({ jobId: id, col: colId, index: z.number().int().min(0).optional() }).strict(),
} satisfies { [K in CommandName]: z.ZodType<unknown, CommandInputs[K]> };

/** A command's input after validation and defaults. */
export type ParsedCommandInput<K extends CommandName> = z.output<(typeof commandInputs)[K]>;
