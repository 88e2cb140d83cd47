import type { KeyStatus } from '../../shared/api.ts';
import { KEY_ENV, KEY_IDS, type KeyId } from '../../shared/providers.ts';

/** Where API keys live: the OS keychain in the desktop app, memory and the environment elsewhere. */
export interface KeyStore {
  get(provider: KeyId): string | undefined;
  set(provider: KeyId, key: string): void;
  clear(provider: KeyId): void;
  status(): KeyStatus[];
}

export { KEY_ENV, KEY_IDS as KEY_PROVIDERS };

export function lastFour(key: string): string {
  return key.slice(-4);
}

/** The key in the provider's environment variable; an empty variable is no key. */
export function envKey(env: NodeJS.ProcessEnv, provider: KeyId): string | undefined {
  return env[KEY_ENV[provider]] || undefined;
}

/** Every key slot as Settings shows it: set or not, its last four characters, and where it comes from. */
export function keyStatuses(
  env: NodeJS.ProcessEnv,
  own: (provider: KeyId) => string | undefined,
  ownSource: 'saved' | 'session',
): KeyStatus[] {
  return KEY_IDS.map((provider) => {
    const ownKey = own(provider);
    const key = ownKey ?? envKey(env, provider);
    return {
      provider,
      set: Boolean(key),
      lastFour: key ? lastFour(key) : null,
      source: ownKey ? ownSource : key ? 'environment' : null,
      envVar: KEY_ENV[provider],
    };
  });
}

/** Keys typed in this session, kept in memory only, over keys from the environment. For the CLI and `rowbot serve`. */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<KeyId, string>();
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  get(provider: KeyId): string | undefined {
    return this.#keys.get(provider) ?? envKey(this.#env, provider);
  }

  set(provider: KeyId, key: string): void {
    this.#keys.set(provider, key);
  }

  clear(provider: KeyId): void {
    this.#keys.delete(provider);
  }

  status(): KeyStatus[] {
    return keyStatuses(this.#env, (provider) => this.#keys.get(provider), 'session');
  }
}
