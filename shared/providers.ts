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
