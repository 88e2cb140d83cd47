import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyStatus } from '../../shared/api.ts';
import { originOf, type KeyId } from '../../shared/providers.ts';
import { RowbotError } from '../../shared/errors.ts';
import { KEY_PROVIDERS, envKey, keyStatuses, type KeyStore, type SavedKey } from '../engine/keys.ts';

/** The part of Electron's safeStorage this store uses (a test double stands in for it in Node). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * One key as the file holds it, sealed (base64 of safeStorage's encryption). Version 2 seals
 * `{"key": …, "origins": […]}` together, so the addresses a key may go to cannot be changed in the
 * file without the keychain; a key kept from version 1 (`keyOnly`) sealed the key alone and goes
 * only to its service's own addresses until it is saved again.
 */
interface SealedKey {
  sealed: string;
  keyOnly?: true;
}

type Saved = Partial<Record<KeyId, SealedKey>>;

/** The file: version 2. Version 1 (before addresses were saved with keys) was `{ "<slot>": "<sealed key>" }`. */
const FILE_VERSION = 2;

/**
 * API keys encrypted with the OS keychain (Electron safeStorage) in a small JSON file in
 * the user-data folder, each with the addresses the user allowed for it when saving it. Keys are
 * decrypted only to make a request or to say they are set; the UI only ever learns whether one is
 * set, its last four characters and where it may go. Environment variables are a fallback.
 */
export class SafeStorageKeyStore implements KeyStore {
  readonly #file: string;
  readonly #safe: SafeStorageLike;
  readonly #env: NodeJS.ProcessEnv;
  #saved: Saved;

  constructor(file: string, safe: SafeStorageLike, env: NodeJS.ProcessEnv = process.env) {
    this.#file = file;
    this.#safe = safe;
    this.#env = env;
    this.#saved = this.#load();
  }

  get(provider: KeyId): string | undefined {
    if (this.#saved[provider]) return this.#open(provider)?.key;
    return envKey(this.#env, provider);
  }

  origins(provider: KeyId): readonly string[] {
    return this.#open(provider)?.origins ?? [];
  }

  set(provider: KeyId, key: string, origins: readonly string[] = []): void {
    if (!this.#safe.isEncryptionAvailable()) {
      throw new RowbotError(
        'FORBIDDEN',
        'Rowbot cannot store the key safely: this system offers no keychain. Set it in the environment instead (OPENAI_API_KEY or ANTHROPIC_API_KEY) and restart Rowbot.',
      );
    }
    const plain = JSON.stringify({ key, origins: [...new Set(origins)] });
    this.#saved = { ...this.#saved, [provider]: { sealed: this.#safe.encryptString(plain).toString('base64') } };
    this.#store();
  }

  clear(provider: KeyId): void {
    const { [provider]: _removed, ...rest } = this.#saved;
    this.#saved = rest;
    this.#store();
  }

  status(): KeyStatus[] {
    return keyStatuses(this.#env, (provider) => this.#open(provider), 'saved');
  }

  /** The saved key and its addresses; undefined when none is saved or it cannot be opened here. */
  #open(provider: KeyId): SavedKey | undefined {
    const entry = this.#saved[provider];
    if (!entry) return undefined;
    let plain: string;
    try {
      plain = this.#safe.decryptString(Buffer.from(entry.sealed, 'base64'));
    } catch {
      // A key from another user account or machine cannot be opened: treat it as unset.
      return undefined;
    }
    if (entry.keyOnly) return plain ? { key: plain, origins: [] } : undefined;
    return unsealed(plain);
  }

  #load(): Saved {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.#file, 'utf8'));
    } catch {
      return {};
    }
    if (typeof value !== 'object' || value === null) return {};
    const file = value as Record<string, unknown>;
    const saved: Saved = {};
    if (file.version === FILE_VERSION) {
      const keys = typeof file.keys === 'object' && file.keys !== null ? (file.keys as Record<string, unknown>) : {};
      for (const provider of KEY_PROVIDERS) {
        const entry = keys[provider] as Partial<SealedKey> | undefined;
        if (typeof entry?.sealed === 'string') {
          saved[provider] = entry.keyOnly === true ? { sealed: entry.sealed, keyOnly: true } : { sealed: entry.sealed };
        }
      }
      return saved;
    }
    // Version 1: the sealed keys alone, kept as they are; written back as version 2 at the next change.
    for (const provider of KEY_PROVIDERS) {
      const sealed = file[provider];
      if (typeof sealed === 'string') saved[provider] = { sealed, keyOnly: true };
    }
    return saved;
  }

  #store(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.tmp`;
    writeFileSync(temp, JSON.stringify({ version: FILE_VERSION, keys: this.#saved }), { mode: 0o600 });
    renameSync(temp, this.#file);
  }
}

/** `{"key": …, "origins": […]}` as sealed by `set`; anything else opens as no key. */
function unsealed(plain: string): SavedKey | undefined {
  try {
    const value = JSON.parse(plain) as { key?: unknown; origins?: unknown };
    if (typeof value.key !== 'string' || value.key === '') return undefined;
    const origins = Array.isArray(value.origins)
      ? value.origins.filter((origin): origin is string => typeof origin === 'string' && originOf(origin) === origin)
      : [];
    return { key: value.key, origins };
  } catch {
    return undefined;
  }
}
