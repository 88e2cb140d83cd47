import type { KeyStatus, ProviderConfig } from '../../shared/api.ts';
import {
  KEY_ENV,
  KEY_IDS,
  KEY_NAMES,
  keyDestinations,
  keyMayGoTo,
  originOf,
  type KeyId,
} from '../../shared/providers.ts';

/**
 * Where API keys live: the OS keychain in the desktop app, memory and the environment elsewhere.
 * A saved key carries the addresses the user allowed for it when saving it: they are set, and
 * replaced, only together with the key, so whoever can call the API but does not know the key
 * cannot send it anywhere new.
 */
export interface KeyStore {
  get(provider: KeyId): string | undefined;
  /** Saves a key with the addresses it may go to besides its service's own (none when left out). */
  set(provider: KeyId, key: string, origins?: readonly string[]): void;
  /** The addresses saved with the key `get` returns; none for a key from the environment. */
  origins(provider: KeyId): readonly string[];
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

/** A key the user saved, with the addresses saved with it. */
export interface SavedKey {
  key: string;
  origins: readonly string[];
}

/**
 * Every key slot as Settings shows it: set or not, its last four characters, where it comes from,
 * and where it may be sent (its service's own addresses and those saved with it).
 */
export function keyStatuses(
  env: NodeJS.ProcessEnv,
  own: (provider: KeyId) => SavedKey | undefined,
  ownSource: 'saved' | 'session',
): KeyStatus[] {
  return KEY_IDS.map((provider) => {
    const saved = own(provider);
    const key = saved?.key ?? envKey(env, provider);
    const savedOrigins = [...(saved?.origins ?? [])];
    return {
      provider,
      set: Boolean(key),
      lastFour: key ? lastFour(key) : null,
      source: saved ? ownSource : key ? 'environment' : null,
      envVar: KEY_ENV[provider],
      origins: keyDestinations(provider, savedOrigins),
      savedOrigins,
    };
  });
}

/** Keys typed in this session, kept in memory only, over keys from the environment. For the CLI and `rowbot serve`. */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<KeyId, SavedKey>();
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  get(provider: KeyId): string | undefined {
    return this.#keys.get(provider)?.key ?? envKey(this.#env, provider);
  }

  set(provider: KeyId, key: string, origins: readonly string[] = []): void {
    this.#keys.set(provider, { key, origins: [...new Set(origins)] });
  }

  origins(provider: KeyId): readonly string[] {
    return this.#keys.get(provider)?.origins ?? [];
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

/** The origins `allowances` give the key of `keyId`. */
export function allowedOrigins(keyId: KeyId, allowances: readonly KeyAllowance[]): string[] {
  return allowances.filter((a) => a.keyId === keyId).map((a) => a.origin);
}

/**
 * Why the key of `keyId` must not go to `address`, or null when it may: a saved or environment key
 * is sent only to its own service's address, the addresses saved with it (`saved`), and those
 * allowed in the environment or on the command line (`allowances`). The advice fits where the key
 * came from: Settings for a key saved or typed in the app, the command line for `rowbot run`'s.
 */
export function keyDestinationProblem(
  keyId: KeyId,
  address: string,
  allowances: readonly KeyAllowance[],
  { saved = [], from = 'store' }: { saved?: readonly string[]; from?: 'store' | 'command line' } = {},
): string | null {
  const allowed = [...saved, ...allowedOrigins(keyId, allowances)];
  if (keyMayGoTo(keyId, address, allowed)) return null;
  const target = originOf(address) ?? address;
  const own = keyDestinations(keyId, allowed);
  const where =
    own.length > 0 ? `only to ${own.join(', ')}` : 'only to addresses you allowed for it, and you have allowed none';
  const cli = `--allow-key-to ${keyId}=${target}`;
  const env = `${ALLOW_KEY_ENV}="${keyId}=${target}"`;
  const advice =
    from === 'command line'
      ? `allow it: add ${cli} to the command, or set the environment variable ${env}.`
      : 'save the key again in Settings → API keys with this address added under “Also send this key to”.';
  return `Rowbot sends your ${KEY_NAMES[keyId]} key ${where}, not to ${target}, so nothing was sent. If you trust ${target} with this key, ${advice} Otherwise choose an address the key may go to.`;
}
