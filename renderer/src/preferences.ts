import { useSyncExternalStore } from 'react';
import type { ProviderKind } from '../../shared/api.ts';
import { presetById } from '../../shared/providers.ts';

export type Theme = 'system' | 'light' | 'dark';

/** An address and a model, remembered per service (OpenAI, Groq, Anthropic, …). */
export interface ServiceChoice {
  baseUrl: string;
  model: string;
}

export interface Preferences {
  theme: Theme;
  /** The kind of provider new jobs start with. */
  provider: ProviderKind;
  /** With `openai`: which OpenAI-compatible service (a preset id: openai, groq, ollama, azure, …). */
  service: string;
  /** The address and model last used or set in Settings, per preset id; missing: the preset's own. */
  services: Record<string, ServiceChoice>;
  concurrency: number;
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  provider: 'demo',
  service: 'openai',
  services: {},
  concurrency: 4,
};

/** What a service starts with: the user's remembered choice, else the preset's address and example model. */
export function serviceChoice(preferences: Preferences, presetId: string): ServiceChoice {
  const preset = presetById(presetId);
  return preferences.services[presetId] ?? { baseUrl: preset?.baseUrl ?? '', model: preset?.exampleModel ?? '' };
}

/** The preset id behind a provider kind: Anthropic has its own; OpenAI-compatible ones are chosen. */
export function serviceOf(kind: ProviderKind, service: string): string {
  return kind === 'anthropic' ? 'anthropic' : service;
}

/** Preferences saved before services were remembered one by one had one OpenAI and one Anthropic pair. */
function upgrade(stored: Record<string, unknown>): Partial<Preferences> {
  const { openaiBaseUrl, openaiModel, anthropicBaseUrl, anthropicModel, ...rest } = stored;
  const services: Record<string, ServiceChoice> = { ...(rest.services as Record<string, ServiceChoice> | undefined) };
  if (typeof openaiBaseUrl === 'string' && typeof openaiModel === 'string') {
    services.openai ??= { baseUrl: openaiBaseUrl, model: openaiModel };
  }
  if (typeof anthropicBaseUrl === 'string' && typeof anthropicModel === 'string') {
    services.anthropic ??= { baseUrl: anthropicBaseUrl, model: anthropicModel };
  }
  return { ...(rest as Partial<Preferences>), services };
}

const KEY = 'rowbot.preferences';
const listeners = new Set<() => void>();
let cached: Preferences | null = null;

function read(): Preferences {
  if (cached) return cached;
  try {
    cached = {
      ...DEFAULT_PREFERENCES,
      ...upgrade(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>),
    };
  } catch {
    cached = DEFAULT_PREFERENCES;
  }
  return cached;
}

export function savePreferences(patch: Partial<Preferences>): void {
  cached = { ...read(), ...patch };
  localStorage.setItem(KEY, JSON.stringify(cached));
  applyTheme(cached.theme);
  for (const listener of listeners) listener();
}

const systemDark = window.matchMedia('(prefers-color-scheme: dark)');
systemDark.addEventListener('change', () => applyTheme());

/** Sets data-theme to light or dark (the system's choice for "system"); the CSS has one set of dark tokens. */
export function applyTheme(theme: Theme = read().theme): void {
  const resolved = theme === 'system' ? (systemDark.matches ? 'dark' : 'light') : theme;
  document.documentElement.dataset.theme = resolved;
  document.documentElement.dataset.themeChoice = theme;
}

/** Defaults and appearance, kept on this computer (never keys: those stay in the backend). */
export function usePreferences(): Preferences {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, read);
}
