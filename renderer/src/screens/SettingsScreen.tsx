import { useEffect, useState } from 'react';
import type { KeyStatus } from '../../../shared/api.ts';
import { PROVIDER_PRESETS, presetById } from '../../../shared/providers.ts';
import { AddressModelFields } from '../components/AddressModelFields.tsx';
import { KeyRow } from '../components/KeyRow.tsx';
import { PriceTable } from '../components/PriceTable.tsx';
import { RowsAtOnceField } from '../components/RowsAtOnceField.tsx';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';
import {
  savePreferences,
  serviceChoice,
  serviceOf,
  usePreferences,
  type ServiceChoice,
  type Theme,
} from '../preferences.ts';

export function SettingsScreen({ section }: { section?: 'prices' }) {
  const api = useApi();
  const preferences = usePreferences();
  const [keys, setKeys] = useState<KeyStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.getKeys({}).then(setKeys, (e: unknown) => setError(errorMessage(e)));
  }, [api]);

  // Opened from "change prices" elsewhere: go straight to that section.
  useEffect(() => {
    if (section) document.getElementById(section)?.scrollIntoView({ block: 'start' });
  }, [section]);

  return (
    <div className="wizard settings">
      <h1>Settings</h1>

      <section className="step" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <p className="muted small">
          {api.platform === 'electron'
            ? 'Keys are encrypted with your system’s keychain. Once saved, a key is never shown again: only its last four characters.'
            : 'In the browser version, a key you type here is kept only while `rowbot serve` runs. To keep one, start it with the key in OPENAI_API_KEY or ANTHROPIC_API_KEY.'}{' '}
          Each key is sent only to its own service’s address and to the addresses you save with it (your company’s
          gateway, or your own server). To change where a key goes, type it again.
        </p>
        {error && (
          <p role="alert" className="error-box">
            {error}
          </p>
        )}
        {keys?.map((status) => (
          <KeyRow key={status.provider} status={status} onChange={setKeys} />
        ))}
      </section>

      <section className="step" aria-labelledby="defaults-title">
        <h2 id="defaults-title">Defaults for new jobs</h2>
        <DefaultService />
        <RowsAtOnceField value={preferences.concurrency} onChange={(concurrency) => savePreferences({ concurrency })} />
      </section>

      <section className="step" id="prices" aria-labelledby="prices-title">
        <h2 id="prices-title">Prices</h2>
        <PriceTable />
      </section>

      <section className="step" aria-labelledby="look-title">
        <h2 id="look-title">Appearance</h2>
        <fieldset className="plain">
          <legend className="visually-hidden">Theme</legend>
          {(
            [
              ['system', 'Follow the system'],
              ['light', 'Light'],
              ['dark', 'Dark'],
            ] as [Theme, string][]
          ).map(([id, label]) => (
            <label key={id} className="choice">
              <input
                type="radio"
                name="theme"
                checked={preferences.theme === id}
                onChange={() => savePreferences({ theme: id })}
              />
              <span>{label}</span>
            </label>
          ))}
        </fieldset>
      </section>
    </div>
  );
}

/** Which service a new job starts with, and the address and model it starts with for it. */
function DefaultService() {
  const preferences = usePreferences();
  const current = preferences.provider === 'demo' ? 'demo' : serviceOf(preferences.provider, preferences.service);
  const preset = presetById(current);
  const choice = serviceChoice(preferences, current);
  const change = (patch: Partial<ServiceChoice>): void =>
    savePreferences({ services: { ...preferences.services, [current]: { ...choice, ...patch } } });

  return (
    <>
      <label className="field">
        <span>Service</span>
        <select
          value={current}
          onChange={(event) => {
            const next = presetById(event.target.value);
            if (!next) savePreferences({ provider: 'demo' });
            else if (next.kind === 'anthropic') savePreferences({ provider: 'anthropic' });
            else savePreferences({ provider: 'openai', service: next.id });
          }}
        >
          <option value="demo">Demo (offline) — sample answers, free</option>
          {PROVIDER_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label} — {p.hint}
            </option>
          ))}
        </select>
      </label>
      {preset && (
        <AddressModelFields
          baseUrl={choice.baseUrl}
          model={choice.model}
          onBaseUrl={(baseUrl) => change({ baseUrl })}
          onModel={(model) => change({ model })}
          addressPlaceholder={current === 'custom' ? 'http://your-server:8000/v1' : 'https://…/v1'}
          openAiCompatible={preset.kind === 'openai' && preset.id !== 'azure'}
        />
      )}
      {preset && preferences.services[current] && (
        <button
          type="button"
          className="link"
          onClick={() => {
            const { [current]: _forgotten, ...rest } = preferences.services;
            savePreferences({ services: rest });
          }}
        >
          Use {preset.label}’s own address and model
        </button>
      )}
    </>
  );
}
