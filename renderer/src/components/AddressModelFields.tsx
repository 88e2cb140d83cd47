import { useId } from 'react';

/**
 * The API address and the model name of a service, side by side: in New job, and in Settings
 * for the defaults. `models`, when given, are offered as suggestions (from Test connection).
 */
export function AddressModelFields({
  baseUrl,
  model,
  onBaseUrl,
  onModel,
  models,
  addressPlaceholder,
}: {
  baseUrl: string;
  model: string;
  onBaseUrl: (value: string) => void;
  onModel: (value: string) => void;
  models?: readonly string[];
  addressPlaceholder?: string;
}) {
  const listId = useId();
  return (
    <div className="field-row">
      <label className="field">
        <span>API address</span>
        <input
          type="url"
          spellCheck={false}
          value={baseUrl}
          placeholder={addressPlaceholder}
          onChange={(event) => onBaseUrl(event.target.value)}
        />
      </label>
      <label className="field">
        <span>Model</span>
        <input
          type="text"
          spellCheck={false}
          value={model}
          list={models ? listId : undefined}
          onChange={(event) => onModel(event.target.value)}
        />
        {models && (
          <datalist id={listId}>
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        )}
      </label>
    </div>
  );
}
