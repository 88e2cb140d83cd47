import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyStatus } from '../../shared/api.ts';
import type { KeyId } from '../../shared/providers.ts';
import { RowbotError } from '../../shared/errors.ts';
import { KEY_PROVIDERS, envKey, keyStatuses, type KeyStore } from '../engine/keys.ts';

/** The part of Electron's safeStorage this store uses (a test double stands in for it in Node). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

type Saved = Partial<Record<KeyId, string>>;

/**
 * API keys encrypted with the OS keychain (Electron safeStorage) in a small JSON file in
 * the user-data folder. Keys are decrypted only to make a request; the UI only ever learns
 * whether one is set and its last four characters. Environment variables are a fallback.
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
    const sealed = this.#saved[provider];
    if (sealed) {
      try {
        return this.#safe.decryptString(Buffer.from(sealed, 'base64'));
      } catch {
        // A key from another user account or machine cannot be opened: treat it as unset.
        return undefined;
      }
    }
    return envKey(this.#env, provider);
  }

  set(provider: KeyId, key: string): void {
    if (!this.#safe.isEncryptionAvailable()) {
      throw new RowbotError(
        'FORBIDDEN',
        'Rowbot cannot store the key safely: this system offers no keychain. Set it in the environment instead (OPENAI_API_KEY or ANTHROPIC_API_KEY) and restart Rowbot.',
      );
    }
    this.#saved = { ...this.#saved, [provider]: this.#safe.encryptString(key).toString('base64') };
    this.#store();
  }

  clear(provider: KeyId): void {
    const { [provider]: _removed, ...rest } = this.#saved;
    this.#saved = rest;
    this.#store();
  }

  status(): KeyStatus[] {
    return keyStatuses(this.#env, (provider) => (this.#saved[provider] ? this.get(provider) : undefined), 'saved');
  }

  #load(): Saved {
    try {
      const value: unknown = JSON.parse(readFileSync(this.#file, 'utf8'));
      if (typeof value !== 'object' || value === null) return {};
      const saved: Saved = {};
      for (const provider of KEY_PROVIDERS) {
        const sealed = (value as Record<string, unknown>)[provider];
        if (typeof sealed === 'string') saved[provider] = sealed;
      }
      return saved;
    } catch {
      return {};
    }
  }

  #store(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.#saved), { mode: 0o600 });
    renameSync(temp, this.#file);
  }
}
