import type { ProviderConfig } from './api.ts';
/** Ready-made providers: most speak OpenAI's chat completions API at their own address. */

export const KEY_IDS = ['openai', 'anthropic', 'azure', 'openrouter', 'groq', 'together', 'gemini', 'custom'] as const;
export type KeyId = (typeof KEY_IDS)[number];

export const KEY_ENV: Record<KeyId, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  azure: 'AZURE_OPENAI_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  groq: 'GROQ_API_KEY',
  together: 'TOGETHER_API_KEY',
  gemini: 'GEMINI_API_KEY',
  custom: 'ROWBOT_API_KEY',
};

export const KEY_NAMES: Record<KeyId, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  azure: 'Azure OpenAI',
  openrouter: 'OpenRouter',
  groq: 'Groq',
  together: 'Together AI',
  gemini: 'Google Gemini',
  custom: 'Other OpenAI-compatible API',
};

/** The Azure OpenAI api-version Rowbot sends unless told otherwise (GA, with structured outputs). */
export const AZURE_API_VERSION = '2024-10-21';

export interface ProviderPreset {
  id: string;
  label: string;
  kind: 'openai' | 'anthropic';
  baseUrl: string;
  /** Which saved key it uses; null for servers on this computer that need none. */
  keyId: KeyId | null;
  exampleModel: string;
  hint: string;
  /** Azure OpenAI only. */
  azureApiVersion?: string;
}

export const PROVIDER_PRESETS: ProviderPreset[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    kind: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    keyId: 'openai',
    exampleModel: 'gpt-4o-mini',
    hint: 'GPT models',
  },
  {
    id: 'anthropic',
    label: 'Anthropic',
    kind: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    keyId: 'anthropic',
    exampleModel: 'claude-sonnet-4-20250514',
    hint: 'Claude models',
  },
  {
    id: 'ollama',
    label: 'Ollama (this computer)',
    kind: 'openai',
    baseUrl: 'http://localhost:11434/v1',
    keyId: null,
    exampleModel: 'llama3.1',
    hint: 'Free, runs locally',
  },
  {
    id: 'lmstudio',
    label: 'LM Studio (this computer)',
    kind: 'openai',
    baseUrl: 'http://localhost:1234/v1',
    keyId: null,
    exampleModel: 'local-model',
    hint: 'Free, runs locally',
  },
  {
    id: 'vllm',
    label: 'vLLM server',
    kind: 'openai',
    baseUrl: 'http://localhost:8000/v1',
    keyId: null,
    exampleModel: 'meta-llama/Llama-3.1-8B-Instruct',
    hint: 'Your own server',
  },
  {
    id: 'openrouter',
    label: 'OpenRouter',
    kind: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    keyId: 'openrouter',
    exampleModel: 'openai/gpt-4o-mini',
    hint: 'Many models, one key',
  },
  {
    id: 'groq',
    label: 'Groq',
    kind: 'openai',
    baseUrl: 'https://api.groq.com/openai/v1',
    keyId: 'groq',
    exampleModel: 'llama-3.1-8b-instant',
    hint: 'Very fast open models',
  },
  {
    id: 'together',
    label: 'Together AI',
    kind: 'openai',
    baseUrl: 'https://api.together.xyz/v1',
    keyId: 'together',
    exampleModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    hint: 'Open models',
  },
  {
    id: 'gemini',
    label: 'Google Gemini',
    kind: 'openai',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    keyId: 'gemini',
    exampleModel: 'gemini-2.0-flash',
    hint: 'Through its OpenAI-compatible endpoint',
  },
  {
    id: 'azure',
    label: 'Azure OpenAI',
    kind: 'openai',
    // Placeholders the user replaces: Azure has no one address, each resource and deployment has its own.
    baseUrl: 'https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT',
    keyId: 'azure',
    exampleModel: 'gpt-4o-mini',
    hint: 'Your own deployment',
    azureApiVersion: AZURE_API_VERSION,
  },
  {
    id: 'custom',
    label: 'Other (OpenAI-compatible)',
    kind: 'openai',
    baseUrl: '',
    keyId: 'custom',
    exampleModel: '',
    hint: 'Any server that speaks chat completions',
  },
];

/** True while an address still holds a preset's placeholders (Azure's RESOURCE and DEPLOYMENT). */
export function hasPlaceholders(baseUrl: string): boolean {
  return /\/\/RESOURCE\.|\/DEPLOYMENT(\/|$)/.test(baseUrl);
}

export function presetById(id: string): ProviderPreset | undefined {
  return PROVIDER_PRESETS.find((preset) => preset.id === id);
}

/**
 * OpenAI's reasoning models think before they answer and refuse sampling settings: the o-series
 * (o1, o3, o4-mini… and their dated releases), gpt-5, gpt-5-mini, gpt-5-nano, gpt-5-pro and the
 * codex models. Not gpt-5-chat-latest (a chat model), nor gpt-5.1 and later, whose reasoning
 * effort defaults to `none` and which then take a temperature, unless they are -pro or -codex
 * releases. Sources: https://platform.openai.com/docs/guides/reasoning ("Limitations"); openai-node
 * src/resources/shared.ts (`Reasoning.effort`, commit 7a3c26e4: "gpt-5.1 defaults to none … All
 * models before gpt-5.1 default to medium … gpt-5-pro … only supports high"). A vendor prefix as
 * OpenRouter writes it (`openai/o3-mini`) is ignored.
 */
export function isReasoningModel(model: string): boolean {
  const id = model
    .trim()
    .toLowerCase()
    .replace(/^openai\//, '');
  if (/^o\d+(?:$|-)/.test(id) || id.startsWith('codex-mini')) return true;
  if (/^gpt-5(?:$|-)/.test(id)) return !/-chat(?:$|-)/.test(id);
  return /^gpt-5\.\d+-(?:pro|codex)(?:$|-)/.test(id);
}

/**
 * Why a job cannot run as set, said before the run rather than by every row's 400: a reasoning
 * model takes no temperature or top-p but their default, 1 (OpenAI and Azure answer "Unsupported
 * value: 'temperature' does not support 0.7 with this model. Only the default (1) value is
 * supported."). Null when nothing is wrong.
 */
export function reasoningModelProblem(
  provider: { kind: string; model: string },
  settings: { temperature: number | null; topP: number | null },
): string | null {
  if (provider.kind !== 'openai' || !isReasoningModel(provider.model)) return null;
  const set = [
    settings.temperature !== null && settings.temperature !== 1 ? `temperature ${settings.temperature}` : null,
    settings.topP !== null && settings.topP !== 1 ? `top-p ${settings.topP}` : null,
  ].filter((part) => part !== null);
  if (set.length === 0) return null;
  return `“${provider.model}” is a reasoning model: it takes no temperature or top-p, and the provider would refuse every row with ${set.join(' and ')}. Clear the temperature and top-p (in the CLI, leave out --temperature and --top-p), or choose another model.`;
}

/** The request field that carries the output limit. */
export type OutputLimitField = 'max_completion_tokens' | 'max_tokens';

/** Services whose API reference takes `max_completion_tokens`, by the host of their address. */
const MAX_COMPLETION_TOKENS_HOSTS = new Set(['api.openai.com', 'api.groq.com']);

/**
 * `max_tokens` is deprecated at OpenAI and refused by its reasoning models ("This value is now
 * deprecated in favor of `max_completion_tokens`, and is not compatible with o-series models",
 * openai-node src/resources/chat/completions/completions.ts); Azure OpenAI's reasoning models take
 * only `max_completion_tokens` (https://learn.microsoft.com/azure/foundry/openai/how-to/reasoning);
 * Groq documents `max_tokens` as "Deprecated in favor of `max_completion_tokens`" (groq-python
 * src/groq/types/chat/completion_create_params.py). So they get `max_completion_tokens`: OpenAI by
 * its address or its key (a gateway in front of OpenAI passes the field on), Azure by its
 * api-version, Groq by its address. Every other server keeps `max_tokens`, the field all of them
 * read: Ollama's /v1 has no other (ollama/ollama openai/openai.go, ChatCompletionRequest), and
 * OpenRouter, Together AI, Gemini's compatible endpoint, LM Studio and vLLM document `max_tokens`.
 */
export function outputLimitField(config: {
  baseUrl: string;
  keyId?: KeyId | null;
  azureApiVersion?: string;
}): OutputLimitField {
  if (config.azureApiVersion || config.keyId === 'openai' || config.keyId === 'azure') return 'max_completion_tokens';
  return MAX_COMPLETION_TOKENS_HOSTS.has(hostOf(config.baseUrl)) ? 'max_completion_tokens' : 'max_tokens';
}

function hostOf(address: string): string {
  try {
    return new URL(address).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * Where each saved or environment key may be sent: its own service's addresses (https, default
 * port). A leading `*.` stands for any subdomain: Azure OpenAI has one host per resource, all under
 * Microsoft's domains. The "custom" slot has no service of its own, so its key goes only where the
 * user allowed it (`ROWBOT_ALLOW_KEY_TO`, `rowbot run --allow-key-to`). Anyone who can start a job
 * (the serve token, a job written into the database) could otherwise point it at their own server
 * and receive the key.
 */
export const KEY_ORIGINS: Record<KeyId, readonly string[]> = {
  openai: ['https://api.openai.com'],
  anthropic: ['https://api.anthropic.com'],
  azure: ['https://*.openai.azure.com', 'https://*.cognitiveservices.azure.com', 'https://*.services.ai.azure.com'],
  openrouter: ['https://openrouter.ai'],
  groq: ['https://api.groq.com'],
  together: ['https://api.together.xyz'],
  gemini: ['https://generativelanguage.googleapis.com'],
  custom: [],
};

/** `scheme://host[:port]` of an address, lower-cased, its default port left out; null when it is not an http(s) URL. */
export function originOf(address: string): string | null {
  try {
    const url = new URL(address.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** Whether `address` is at `pattern`: an origin, or `scheme://*.domain[:port]` for its subdomains. */
export function originMatches(pattern: string, address: string): boolean {
  const origin = originOf(address);
  if (origin === null) return false;
  const wild = /^(https?):\/\/\*\.(.+)$/i.exec(pattern.trim());
  if (!wild) return originOf(pattern) === origin;
  const base = originOf(`${wild[1]}://${wild[2]}`);
  if (base === null) return false;
  const at = new URL(origin);
  const want = new URL(base);
  return at.protocol === want.protocol && at.port === want.port && at.hostname.endsWith(`.${want.hostname}`);
}

/** Whether the key of `keyId` may be sent to `address`: its service's own, or one the user allowed for it. */
export function keyMayGoTo(keyId: KeyId, address: string, allowed: readonly string[] = []): boolean {
  return [...KEY_ORIGINS[keyId], ...allowed].some((pattern) => originMatches(pattern, address));
}

/** At most this many addresses may be saved with one key. */
export const MAX_KEY_ORIGINS = 20;

/**
 * Why `text` cannot be saved as an address a key may go to, or null when it can: an http(s)
 * origin (`https://gateway.example.com`, `http://10.0.0.5:8000`), without a user name or password,
 * a path, a query or a `*`. A key goes to every path of an origin, so a path would only mislead.
 */
export function keyOriginProblem(text: string): string | null {
  const trimmed = text.trim();
  if (!URL.canParse(trimmed)) return `“${trimmed}” is not a web address: write it like https://gateway.example.com`;
  const url = new URL(trimmed);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `“${trimmed}” must start with https:// or http://`;
  if (url.username || url.password) return `“${trimmed}” must not hold a user name or password`;
  if (url.hostname.includes('*')) return `“${trimmed}” must name one server, without *`;
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(trimmed)) {
    return `“${trimmed}” must be the server’s address only, without a path: ${url.origin}`;
  }
  return null;
}

/**
 * The addresses typed in Settings ("Also send this key to", one per line) as origins: blank lines
 * and repeats dropped, a pasted API address (`http://10.0.0.5:8000/v1`) cut to its server. The
 * first line that is no web address, or holds a password, is the problem.
 */
export function keyOriginsFromLines(text: string): { origins: string[]; problem: string | null } {
  const origins: string[] = [];
  for (const line of text.split(/[\r\n]+/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const origin = originOf(trimmed);
    const problem = origin === null ? keyOriginProblem(trimmed) : keyOriginProblem(origin);
    if (problem !== null || origin === null)
      return { origins, problem: problem ?? `“${trimmed}” is not a web address` };
    if (new URL(trimmed).username || new URL(trimmed).password) {
      return { origins, problem: `“${trimmed}” must not hold a user name or password` };
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  if (origins.length > MAX_KEY_ORIGINS) {
    return { origins, problem: `Give at most ${MAX_KEY_ORIGINS} addresses.` };
  }
  return { origins, problem: null };
}

/** Every address a key may go to: its service's own, then the given ones, each once. */
export function keyDestinations(keyId: KeyId, ...allowed: (readonly string[])[]): string[] {
  return [...new Set([...KEY_ORIGINS[keyId], ...allowed.flat()])];
}

/**
 * Which Batch API a provider offers, or null: OpenAI's Files + Batches (OpenAI itself, and Azure
 * OpenAI and Groq, which speak it the same way) or Anthropic's Message Batches. Together, OpenRouter,
 * Mistral and Gemini speak other protocols, and local servers have none (docs/batch-apis.md §3).
 */
export function batchKindOf(provider: ProviderConfig): 'openai' | 'anthropic' | null {
  if (provider.kind === 'anthropic') return 'anthropic';
  if (provider.kind !== 'openai') return null;
  const slot = provider.keyId === undefined ? 'openai' : provider.keyId;
  return slot === 'openai' || slot === 'azure' || slot === 'groq' ? 'openai' : null;
}
