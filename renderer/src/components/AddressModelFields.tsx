import { useId } from 'react';
import { ModelCombobox } from './ModelCombobox.tsx';

/** Whether an OpenAI-compatible address looks like it misses its version part (`…/v1`). */
export function missesVersion(baseUrl: string): boolean {
  if (!URL.canParse(baseUrl.trim())) return false;
  const { pathname } = new URL(baseUrl.trim());
  return !/\/v\d[\w.-]*(\/|$)/.test(pathname) && !/\/openai(\/|$)/.test(pathname);
}

/**
 * The API address and the model name of a service, side by side: in New job, and in Settings
 * for the defaults. `models`, when given, are the service's models (from Test connection), offered
 * in a visible list beside the model field; `openModels` opens that list at once (the typed model
 * is not among them). `openAiCompatible` adds a hint when the address has no `/v1`.
 */
export function AddressModelFields({
  baseUrl,
  model,
  onBaseUrl,
  onModel,
  models,
  openModels = false,
  addressPlaceholder,
  openAiCompatible = false,
}: {
  baseUrl: string;
  model: string;
  onBaseUrl: (value: string) => void;
  onModel: (value: string) => void;
  models?: readonly string[];
  openModels?: boolean;
  addressPlaceholder?: string;
  openAiCompatible?: boolean;
}) {
  const hintId = useId();
  const versionHint = openAiCompatible && missesVersion(baseUrl);
  return (
    <div className="field-row">
      <div className="field">
        <label className="field-label" htmlFor={`${hintId}-address`}>
          API address
        </label>
        <input
          id={`${hintId}-address`}
          type="url"
          spellCheck={false}
          value={baseUrl}
          placeholder={addressPlaceholder}
          aria-describedby={hintId}
          onChange={(event) => onBaseUrl(event.target.value)}
        />
        <span id={hintId} className={versionHint ? 'field-hint warning-text' : 'field-hint muted'}>
          {versionHint
            ? 'This address has no /v1 at the end. Most OpenAI-compatible services need it, e.g. http://localhost:8000/v1 — add it if the connection test fails.'
            : 'The service’s API address, starting with http:// or https://'}
        </span>
      </div>
      {models && models.length > 0 ? (
        <div className="field">
          <span aria-hidden="true">Model</span>
          <ModelCombobox
            key={`${models.join('\n')}|${openModels}`}
            value={model}
            models={models}
            onChange={onModel}
            open={openModels}
          />
          <span className="field-hint muted">
            {models.length === 1 ? 'The service has 1 model' : `The service has ${models.length} models`}: pick one from
            the list (▾ or the arrow keys), or type a name.
          </span>
        </div>
      ) : (
        <label className="field">
          <span>Model</span>
          <input
            type="text"
            spellCheck={false}
            value={model}
            role={models ? 'combobox' : undefined}
            aria-expanded={models ? false : undefined}
            onChange={(event) => onModel(event.target.value)}
          />
        </label>
      )}
    </div>
  );
}
