import type { KeyStatus, ProviderKind } from '../../shared/api.ts';

/** Where API keys live: the OS keychain in the desktop app, memory and the environment elsewhere. */
export interface KeyStore {
  get(provider: ProviderKind): string | undefined;
  set(provider: ProviderKind, key: string): void;
  clear(provider: ProviderKind): void;
  status(): KeyStatus[];
}

export const KEY_PROVIDERS = ['openai', 'anthropic'] as const satisfies readonly ProviderKind[];
export const KEY_ENV: Record<(typeof KEY_PROVIDERS)[number], string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

export function lastFour(key: string): string {
  return key.slice(-4);
}

/** Keys typed in this session, kept in memory only, over keys from the environment. For the CLI and `rowbot serve`. */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<ProviderKind, string>();
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  get(provider: ProviderKind): string | undefined {
    if (provider === 'demo') return undefined;
    return this.#keys.get(provider) ?? (this.#env[KEY_ENV[provider]] || undefined);
  }

  set(provider: ProviderKind, key: string): void {
    this.#keys.set(provider, key);
  }

  clear(provider: ProviderKind): void {
    this.#keys.delete(provider);
  }

  status(): KeyStatus[] {
    return KEY_PROVIDERS.map((provider) => {
      const saved = this.#keys.get(provider);
      const fromEnv = this.#env[KEY_ENV[provider]];
      const key = saved ?? fromEnv;
      return {
        provider,
        set: Boolean(key),
        lastFour: key ? lastFour(key) : null,
        source: saved ? 'session' : fromEnv ? 'environment' : null,
        envVar: KEY_ENV[provider],
      };
    });
  }
}
