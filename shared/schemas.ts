/**
 * Runtime schemas for every command's input: the backend validates each call before it
 * acts. Kept apart from api.ts so the preload and the UI do not carry a validator.
 */
import { z } from 'zod';
import {
  MAX_CONCURRENCY,
  MAX_UPLOAD_BASE64_CHARS,
  type CommandInputs,
  type CommandName,
  type ProviderConfig,
} from './api.ts';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');

export const providerConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo'), model: z.string().min(1).max(200) }).strict(),
  z
    .object({
      kind: z.literal('openai'),
      baseUrl: z
        .string()
        .max(2000)
        .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
          message: 'must be an http:// or https:// address',
        }),
      model: z.string().min(1).max(200),
    })
    .strict(),
]) satisfies z.ZodType<ProviderConfig, unknown>;

const jobRef = z.object({ jobId: id }).strict();

export const commandInputs = {
  listJobs: z.object({}).strict(),
  importUpload: z
    .object({
      fileName: z.string().min(1).max(260),
      dataBase64: z.string().max(MAX_UPLOAD_BASE64_CHARS),
    })
    .strict(),
  importDialog: z.object({}).strict(),
  createJob: z
    .object({
      sheetId: id,
      name: z.string().max(200).optional(),
      template: z.string().max(100_000),
      systemPrompt: z.string().max(100_000).default(''),
      provider: providerConfigSchema,
      concurrency: z.number().int().min(1).max(MAX_CONCURRENCY),
    })
    .strict(),
  startJob: jobRef,
  getJob: jobRef,
  getRows: jobRef,
  exportJob: z.object({ jobId: id, format: z.literal('csv') }).strict(),
} satisfies { [K in CommandName]: z.ZodType<unknown, CommandInputs[K]> };

/** A command's input after validation and defaults. */
export type ParsedCommandInput<K extends CommandName> = z.output<(typeof commandInputs)[K]>;
