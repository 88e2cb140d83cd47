import { JSON_FIELD_TYPES, type JsonFieldType, type RunSettings } from '../../../shared/api.ts';

export type AnswerSettings = Pick<
  RunSettings,
  'temperature' | 'topP' | 'stop' | 'maxOutputTokens' | 'maxCost' | 'jsonOutput'
>;

interface Props {
  value: AnswerSettings;
  onChange: (value: AnswerSettings) => void;
  /** What the chosen model would refuse in these settings (a reasoning model's temperature), said beside them. */
  problem?: string | null;
  /** An AI column's options: no budget (a job's, not a column's). */
  column?: boolean;
}

function numberOrNull(text: string): number | null {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? null : n;
}

/** Sampling, length, budget and JSON output, folded away until needed. */
export function AnswerOptions({ value, onChange, problem = null, column = false }: Props) {
  const set = (patch: Partial<AnswerSettings>): void => onChange({ ...value, ...patch });
  const fields = value.jsonOutput?.fields ?? [];
  const mode = value.jsonOutput === null ? 'text' : fields.length === 0 ? 'json' : 'fields';

  return (
    <details className="answer-options">
      <summary>
        {column ? 'Answer options: length, creativity, JSON' : 'Answer options: length, creativity, budget, JSON'}
      </summary>
      <div className={column ? 'field-row three' : 'field-row four'}>
        <label className="field">
          <span>Max answer length (tokens)</span>
          <input
            type="number"
            min={1}
            placeholder="model default"
            value={value.maxOutputTokens ?? ''}
            onChange={(event) => set({ maxOutputTokens: numberOrNull(event.target.value) })}
          />
        </label>
        <label className="field">
          <span>Temperature (0–2)</span>
          <input
            type="number"
            min={0}
            max={2}
            step={0.1}
            placeholder="default"
            value={value.temperature ?? ''}
            onChange={(event) => set({ temperature: numberOrNull(event.target.value) })}
          />
        </label>
        <label className="field">
          <span>Top P (0–1)</span>
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            placeholder="default"
            value={value.topP ?? ''}
            onChange={(event) => set({ topP: numberOrNull(event.target.value) })}
          />
        </label>
        {!column && (
          <label className="field">
            <span>Budget ($, optional)</span>
            <input
              type="number"
              min={0}
              step={0.5}
              placeholder="no cap"
              value={value.maxCost ?? ''}
              onChange={(event) => set({ maxCost: numberOrNull(event.target.value) })}
            />
          </label>
        )}
      </div>
      {problem && (
        <p role="alert" className="warning-text small">
          {problem}
        </p>
      )}
      <label className="field">
        <span>Stop at (up to four, separated by |)</span>
        <input
          type="text"
          placeholder="e.g. ###"
          value={value.stop.join(' | ')}
          onChange={(event) =>
            set({
              stop: event.target.value
                .split('|')
                .map((s) => s.trim())
                .filter(Boolean)
                .slice(0, 4),
            })
          }
        />
      </label>
      <fieldset className="plain">
        <legend>Answer format</legend>
        <label className="choice">
          <input
            type="radio"
            name="answer-format"
            checked={mode === 'text'}
            onChange={() => set({ jsonOutput: null })}
          />
          <span>Text</span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="answer-format"
            checked={mode === 'json'}
            onChange={() => set({ jsonOutput: { fields: [] } })}
          />
          <span>Any JSON object</span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="answer-format"
            checked={mode === 'fields'}
            onChange={() => set({ jsonOutput: { fields: [{ name: 'answer', type: 'string' }] } })}
          />
          <span>JSON with these fields (each becomes its own column)</span>
        </label>
      </fieldset>
      {mode === 'fields' && (
        <div className="json-fields" role="group" aria-label="JSON fields">
          {fields.map((field, i) => (
            <div key={i} className="json-field">
              <input
                type="text"
                aria-label={`Field ${i + 1} name`}
                value={field.name}
                onChange={(event) =>
                  set({
                    jsonOutput: { fields: fields.map((f, j) => (j === i ? { ...f, name: event.target.value } : f)) },
                  })
                }
              />
              <select
                aria-label={`Field ${i + 1} type`}
                value={field.type}
                onChange={(event) =>
                  set({
                    jsonOutput: {
                      fields: fields.map((f, j) => (j === i ? { ...f, type: event.target.value as JsonFieldType } : f)),
                    },
                  })
                }
              >
                {JSON_FIELD_TYPES.map((type) => (
                  <option key={type} value={type}>
                    {type === 'string' ? 'text' : type === 'number' ? 'number' : 'yes/no'}
                  </option>
                ))}
              </select>
              <button
                type="button"
                aria-label={`Remove field ${i + 1}`}
                onClick={() => set({ jsonOutput: { fields: fields.filter((_, j) => j !== i) } })}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              set({ jsonOutput: { fields: [...fields, { name: `field${fields.length + 1}`, type: 'string' }] } })
            }
          >
            Add field
          </button>
        </div>
      )}
    </details>
  );
}
