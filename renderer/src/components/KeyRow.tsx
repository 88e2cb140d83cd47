import { useEffect, useId, useRef, useState } from 'react';
import type { KeyStatus } from '../../../shared/api.ts';
import { KEY_NAMES, KEY_ORIGINS, keyOriginsFromLines, originOf, type KeyId } from '../../../shared/providers.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';
import { usePreferences } from '../preferences.ts';

/**
 * An address New job found the key may not go to, offered once to Settings: the key's row opens
 * with it added to "Also send this key to". Only a suggestion: nothing changes until the user types
 * the key again and saves it.
 */
let offered: { keyId: KeyId; origin: string } | null = null;

export function offerKeyAddress(keyId: KeyId, address: string): void {
  const origin = originOf(address);
  offered = origin === null ? null : { keyId, origin };
}

function offerFor(keyId: KeyId): string | null {
  return offered?.keyId === keyId ? offered.origin : null;
}

/** An address as people read it: https:// left out, http:// kept (it is worth noticing). */
export function shownAddress(origin: string): string {
  return origin.replace(/^https:\/\//, '');
}

/** "Sent only to api.openai.com, gateway.example.com": where the key may go now. */
export function sentTo(status: KeyStatus): string {
  return status.origins.length > 0
    ? `Sent only to ${status.origins.map(shownAddress).join(', ')}`
    : 'Sent nowhere yet: save it with your server’s address';
}

/** One key slot in Settings: its status, where it is sent, and a form to save it with its addresses. */
export function KeyRow({ status, onChange }: { status: KeyStatus; onChange: (keys: KeyStatus[]) => void }) {
  const api = useApi();
  const preferences = usePreferences();
  const custom = status.provider === 'custom';
  const name = KEY_NAMES[status.provider];
  const fieldId = useId();
  const keyInput = useRef<HTMLInputElement>(null);
  const row = useRef<HTMLDivElement>(null);
  const [offer] = useState(() => offerFor(status.provider));
  const [draft, setDraft] = useState('');
  // Null until the user edits it: then it follows the saved addresses and the last server used.
  const [edited, setEdited] = useState<string | null>(null);
  const addresses = edited ?? startingAddresses(status, offer, preferences);
  const [error, setError] = useState<string | null>(null);
  const showAddresses = draft.trim() !== '' || offer !== null;

  // Sent here from New job: show this row and put the cursor where the key goes.
  useEffect(() => {
    if (offer === null) return;
    // Offered once: the next visit to Settings starts as usual.
    offered = null;
    row.current?.scrollIntoView({ block: 'center' });
    keyInput.current?.focus();
  }, [offer]);

  async function act(action: () => Promise<KeyStatus[]>): Promise<void> {
    setError(null);
    try {
      const next = await action();
      onChange(next);
      setDraft('');
      setEdited(startingAddresses(next.find((k) => k.provider === status.provider) ?? status, null, preferences));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  function save(): void {
    const { origins, problem } = keyOriginsFromLines(addresses);
    if (problem) {
      setError(problem);
      return;
    }
    if (custom && origins.length === 0) {
      setError(
        `Type the address of your server under “Send this key to”, such as http://10.0.0.5:8000: Rowbot sends this key only to the addresses you save with it.`,
      );
      return;
    }
    void act(() => api.setKey({ provider: status.provider, key: draft, origins }));
  }

  const own = KEY_ORIGINS[status.provider].map(shownAddress).join(', ');
  return (
    <div className="key-row" ref={row}>
      <div className="key-status">
        <strong>{name}</strong>
        <span className="muted small">
          {status.set
            ? `Set (…${status.lastFour})${status.source === 'environment' ? ` from ${status.envVar}` : status.source === 'session' ? ', for this session' : ''}`
            : 'Not set'}
        </span>
        <span className="muted small key-destinations">{sentTo(status)}</span>
      </div>
      <form
        className="key-form"
        aria-label={`${name} key`}
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.trim()) save();
        }}
      >
        <div className="key-form-line">
          <input
            ref={keyInput}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            placeholder={status.set ? 'Replace the key' : 'Paste the key'}
            aria-label={`${name} API key`}
            onChange={(event) => {
              setDraft(event.target.value);
              setError(null);
            }}
          />
          <button type="submit" disabled={!draft.trim()}>
            Save key
          </button>
          {status.set && status.source !== 'environment' && (
            <button type="button" onClick={() => void act(() => api.clearKey({ provider: status.provider }))}>
              Remove
            </button>
          )}
        </div>
        {offer !== null && edited === null && (
          <p className="banner banner-warning key-offer" role="status">
            {shownAddress(offer)} is added below, from New job. Type the key again and save it to send the key there
            too.
          </p>
        )}
        {showAddresses && (
          <div className="field key-addresses">
            <label htmlFor={fieldId}>
              {custom
                ? 'Send this key to (addresses, one per line; required)'
                : 'Also send this key to (addresses, one per line)'}
            </label>
            <textarea
              id={fieldId}
              rows={2}
              spellCheck={false}
              value={addresses}
              placeholder={custom ? 'http://10.0.0.5:8000' : 'https://gateway.example.com'}
              aria-describedby={`${fieldId}-hint`}
              onChange={(event) => {
                setEdited(event.target.value);
                // What the row said was about the text before this edit.
                setError(null);
              }}
            />
            <p id={`${fieldId}-hint`} className="muted small key-hint">
              {custom
                ? 'The address of your service’s server. Rowbot sends this key there and nowhere else.'
                : `Besides ${own}. Only addresses you trust with this key, such as your company’s gateway; leave empty for ${own} only.`}{' '}
              To change these later, type the key again.
            </p>
          </div>
        )}
      </form>
      {error && (
        <p role="alert" className="error-text small">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * What "Also send this key to" starts with: the addresses saved with the key (saving replaces
 * them), the one New job offered, and for "Other OpenAI-compatible" with none yet, the server of
 * the address last used for it.
 */
function startingAddresses(
  status: KeyStatus,
  offer: string | null,
  preferences: ReturnType<typeof usePreferences>,
): string {
  const lines = [...status.savedOrigins];
  if (offer !== null && !lines.includes(offer)) lines.push(offer);
  if (lines.length === 0 && status.provider === 'custom') {
    const last = originOf(preferences.services.custom?.baseUrl ?? '');
    if (last !== null) lines.push(last);
  }
  return lines.join('\n');
}
