import type { KeyStatus, ProviderConfig } from '../../shared/api.ts';
import { KEY_ENV, KEY_IDS, KEY_NAMES, KEY_ORIGINS, keyMayGoTo, originOf, type KeyId } from '../../shared/providers.ts';

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

/** The environment variable listing the addresses a key may go to besides its service's own. */
export const ALLOW_KEY_ENV = 'ROWBOT_ALLOW_KEY_TO';

/** The user's word that a key slot's key may go to one more address (origin, or `https://*.domain`). */
export interface KeyAllowance {
  keyId: KeyId;
  origin: string;
}

/** The key slot a provider's requests carry: its preset's (null for servers that need none), else its kind's. */
export function keySlotOf(config: ProviderConfig): KeyId | null {
  if (config.kind === 'demo') return null;
  if (config.kind === 'anthropic') return 'anthropic';
  return config.keyId === undefined ? 'openai' : config.keyId;
}

/**
 * `SLOT=ORIGIN`, e.g. `openai=https://gateway.example.com` or `custom=http://10.0.0.5:8000`; in the
 * environment variable, several separated by spaces or commas. Throws with a plain message.
 */
export function parseKeyAllowance(text: string): KeyAllowance {
  const match = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(text);
  const keyId = match?.[1]?.toLowerCase() as KeyId | undefined;
  const address = match?.[2] ?? '';
  const wild = /^(https?:\/\/)\*\.(.+)$/i.exec(address);
  const origin = wild ? originOf(`${wild[1]}${wild[2]}`) : originOf(address);
  if (!keyId || !KEY_IDS.includes(keyId) || origin === null) {
    throw new Error(
      `"${text}" is not a key allowance: write SLOT=ADDRESS, such as openai=https://gateway.example.com, with SLOT one of ${KEY_IDS.join(', ')}.`,
    );
  }
  return { keyId, origin: wild ? origin.replace('://', '://*.') : origin };
}

/** The allowances in `ROWBOT_ALLOW_KEY_TO`; a malformed one is reported and left out. */
export function envKeyAllowances(env: NodeJS.ProcessEnv, report: (message: string) => void): KeyAllowance[] {
  const allowances: KeyAllowance[] = [];
  for (const part of (env[ALLOW_KEY_ENV] ?? '').split(/[\s,]+/).filter(Boolean)) {
    try {
      allowances.push(parseKeyAllowance(part));
    } catch (error) {
      report(`${ALLOW_KEY_ENV}: ${(error as Error).message}`);
    }
  }
  return allowances;
}

/**
 * Why the key of `keyId` must not go to `address`, or null when it may: a saved or environment key
 * is sent only to its own service's address and to the addresses the user allowed for it.
 */
export function keyDestinationProblem(
  keyId: KeyId,
  address: string,
  allowances: readonly KeyAllowance[],
): string | null {
  const allowed = allowances.filter((a) => a.keyId === keyId).map((a) => a.origin);
  if (keyMayGoTo(keyId, address, allowed)) return null;
  const target = originOf(address) ?? address;
  const own = [...KEY_ORIGINS[keyId], ...allowed];
  const where =
    own.length > 0 ? `only to ${own.join(', ')}` : 'only to addresses you allowed for it, and you have allowed none';
  return `Rowbot sends your ${KEY_NAMES[keyId]} key ${where}, not to ${target}, so nothing was sent. If you trust ${target} with this key, allow it: start Rowbot with the environment variable ${ALLOW_KEY_ENV}="${keyId}=${target}" (rowbot run also takes --allow-key-to ${keyId}=${target}). Otherwise choose the service's own address.`;
}
