import { useId, useState } from 'react';
import type { ConnectionTest, JobDetail, ProviderConfig } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';
import { AddressModelFields } from './AddressModelFields.tsx';

/** Where a provider sends its requests, as a service's name says it. */
function serviceKey(provider: ProviderConfig): string {
  return provider.kind === 'demo' ? 'demo' : `${provider.kind}|${provider.baseUrl}`;
}

function serviceLabel(provider: ProviderConfig): string {
  if (provider.kind === 'demo') return 'Demo (offline): sample answers, free';
  const host = URL.canParse(provider.baseUrl) ? new URL(provider.baseUrl).host : provider.baseUrl;
  return `${provider.kind === 'anthropic' ? 'Anthropic' : 'OpenAI-compatible'} at ${host}`;
}

/**
 * An AI column's service and model: one of the services the job's columns use already (their key
 * and address as set up for the job), or the offline demo; then the address and the model, with the
 * service's models offered once the connection is tested.
 */
export function ServiceModelFields({
  job,
  provider,
  onChange,
}: {
  job: JobDetail;
  provider: ProviderConfig;
  onChange: (provider: ProviderConfig) => void;
}) {
  const api = useApi();
  const id = useId();
  const [connection, setConnection] = useState<ConnectionTest | null>(null);
  const [testing, setTesting] = useState(false);
  const services = new Map<string, ProviderConfig>();
  for (const candidate of [job.provider, ...job.aiColumns.map((c) => c.provider), provider]) {
    if (!services.has(serviceKey(candidate))) services.set(serviceKey(candidate), candidate);
  }
  if (!services.has('demo')) services.set('demo', { kind: 'demo', model: 'demo' });

  async function test(): Promise<void> {
    setTesting(true);
    try {
      setConnection(await api.testConnection({ provider }));
    } catch (e) {
      setConnection({ ok: false, message: errorMessage(e), models: [] });
    } finally {
      setTesting(false);
    }
  }

  return (
    <fieldset className="plain service-fields">
      <legend>Service and model</legend>
      <label className="field">
        <span>Service</span>
        <select
          id={`${id}-service`}
          value={serviceKey(provider)}
          onChange={(event) => {
            const chosen = services.get(event.target.value);
            if (!chosen) return;
            setConnection(null);
            // Another service keeps the model typed so far unless it is the demo's.
            onChange(
              chosen.kind === 'demo'
                ? chosen
                : { ...chosen, model: provider.kind === 'demo' ? chosen.model : provider.model },
            );
          }}
        >
          {[...services.entries()].map(([key, candidate]) => (
            <option key={key} value={key}>
              {serviceLabel(candidate)}
            </option>
          ))}
        </select>
      </label>
      {provider.kind !== 'demo' && (
        <>
          <AddressModelFields
            baseUrl={provider.baseUrl}
            model={provider.model}
            onBaseUrl={(baseUrl) => onChange({ ...provider, baseUrl })}
            onModel={(model) => onChange({ ...provider, model })}
            models={connection?.models ?? []}
            openAiCompatible={provider.kind === 'openai' && !provider.azureApiVersion}
          />
          <div className="connection">
            <button type="button" onClick={() => void test()} disabled={testing}>
              {testing ? 'Testing…' : 'Test connection and list models'}
            </button>
            <ConnectionResult connection={connection} />
          </div>
        </>
      )}
    </fieldset>
  );
}

/** What Test connection answered, in words, with a tick or a cross. */
export function ConnectionResult({ connection }: { connection: ConnectionTest | null }) {
  if (!connection) return null;
  return (
    <span role="status" className={connection.ok ? 'ok-text' : 'error-text'}>
      {connection.ok ? '✓ ' : '✗ '}
      {connection.message}
    </span>
  );
}
