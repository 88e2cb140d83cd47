import { useSyncExternalStore } from 'react';
import type { ProviderKind } from '../../shared/api.ts';

export type Theme = 'system' | 'light' | 'dark';

export interface Preferences {
  theme: Theme;
  provider: ProviderKind;
  openaiBaseUrl: string;
  openaiModel: string;
  anthropicBaseUrl: string;
  anthropicModel: string;
  concurrency: number;
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  provider: 'demo',
  openaiBaseUrl: 'https://api.openai.com/v1',
  openaiModel: 'gpt-4o-mini',
  anthropicBaseUrl: 'https://api.anthropic.com/v1',
  anthropicModel: 'claude-sonnet-4-20250514',
  concurrency: 4,
};

const KEY = 'rowbot.preferences';
const listeners = new Set<() => void>();
let cached: Preferences | null = null;

function read(): Preferences {
  if (cached) return cached;
  try {
    cached = { ...DEFAULT_PREFERENCES, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Preferences>) };
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
