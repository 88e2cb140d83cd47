import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { ModelPrice, PriceList, PriceListEntry } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatPerMillion } from '../format.ts';

/** What the user typed for one model's prices, as text until saved. */
interface Draft {
  model: string;
  input: string;
  cachedInput: string;
  output: string;
}

const EMPTY_DRAFT: Draft = { model: '', input: '', cachedInput: '', output: '' };

function draftOf(entry: PriceListEntry): Draft {
  return {
    model: entry.model,
    input: String(entry.input),
    cachedInput: entry.cachedInput === null ? '' : String(entry.cachedInput),
    output: String(entry.output),
  };
}

/** A box that is filled in wrong, and a sentence saying how to fill it. */
interface DraftProblem {
  field: keyof Draft;
  message: string;
}

/** The draft as a price, or what is wrong with it. */
function parseDraft(draft: Draft): ModelPrice | DraftProblem {
  const model = draft.model.trim().toLowerCase();
  if (!model) return { field: 'model', message: 'Type the model name, like gpt-4o-mini.' };
  if (/\s/.test(model)) return { field: 'model', message: 'A model name has no spaces, like gpt-4o-mini.' };
  const amount = (field: 'input' | 'cachedInput' | 'output', what: string): number | DraftProblem => {
    const text = draft[field].trim();
    const n = Number(text.replace(/^\$/, ''));
    return text === '' || !Number.isFinite(n) || n < 0
      ? { field, message: `Type the ${what} price in dollars per million tokens, like 0.15.` }
      : n;
  };
  const input = amount('input', 'input');
  if (typeof input !== 'number') return input;
  const output = amount('output', 'output');
  if (typeof output !== 'number') return output;
  const cachedInput = draft.cachedInput.trim() === '' ? null : amount('cachedInput', 'cached input');
  if (cachedInput !== null && typeof cachedInput !== 'number') return cachedInput;
  return { model, input, cachedInput, output };
}

const SOURCE_LABEL: Record<PriceListEntry['source'], string> = {
  shipped: '',
  edited: 'edited',
  added: 'yours',
};

/** Settings → Prices: the shipped list with its date, each price editable, the user's own models added. */
export function PriceTable() {
  const api = useApi();
  const [list, setList] = useState<PriceList | null>(null);
  const [editing, setEditing] = useState<Draft | null>(null);
  const [adding, setAdding] = useState<Draft>(EMPTY_DRAFT);
  const [error, setError] = useState<string | null>(null);
  /** The box the error is about, in the row being edited or the add form. */
  const [invalid, setInvalid] = useState<{ where: 'edit' | 'add'; field: keyof Draft } | null>(null);
  const errorId = useId();
  const table = useRef<HTMLTableElement>(null);
  const problemProps = (where: 'edit' | 'add', field: keyof Draft) =>
    invalid?.where === where && invalid.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
  const replacing = list?.prices.some((p) => p.model === adding.model.trim().toLowerCase()) ?? false;

  /** Leaves the row being edited; focus goes back to its Edit button, not to the top of the page. */
  const refocus = useRef<string | null>(null);
  function stopEditing(model: string): void {
    refocus.current = model;
    setEditing(null);
  }
  useEffect(() => {
    if (refocus.current === null || editing !== null) return;
    table.current?.querySelector<HTMLButtonElement>(`button[data-edit="${CSS.escape(refocus.current)}"]`)?.focus();
    refocus.current = null;
  }, [editing]);

  useEffect(() => {
    api.getPrices({}).then(setList, (e: unknown) => setError(errorMessage(e)));
  }, [api]);

  async function save(where: 'edit' | 'add', draft: Draft, done: () => void): Promise<void> {
    const price = parseDraft(draft);
    if ('field' in price) {
      setError(price.message);
      setInvalid({ where, field: price.field });
      return;
    }
    setError(null);
    setInvalid(null);
    try {
      setList(await api.setPrice(price));
      done();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function reset(model: string): Promise<void> {
    setError(null);
    try {
      setList(await api.resetPrice({ model }));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const onEditKey = (event: KeyboardEvent): void => {
    if (!editing) return;
    if (event.key === 'Enter') void save('edit', editing, () => stopEditing(editing.model));
    if (event.key === 'Escape') stopEditing(editing.model);
  };

  return (
    <>
      <p className="muted small">
        What Rowbot works out costs with, in US dollars per million tokens. A price covers the model’s dated releases
        too (gpt-4o-mini covers gpt-4o-mini-2024-07-18), but not other models whose names start the same (o3 does not
        cover o3-pro).
        {list && ` The list prices were checked on ${list.checkedOn}. `}
        Providers change their prices: if yours differ, or your model is missing, change or add it here. It applies at
        once, to estimates and to the jobs that are running.
      </p>
      {error && (
        <p role="alert" className="error-box" id={errorId}>
          {error}
        </p>
      )}
      <div className="price-scroll">
        <table className="jobs-table price-table" ref={table}>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Input <span className="unit">$ / 1M</span>
              </th>
              <th scope="col" className="num">
                Cached input <span className="unit">$ / 1M</span>
              </th>
              <th scope="col" className="num">
                Output <span className="unit">$ / 1M</span>
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list?.prices.map((entry) =>
              editing?.model === entry.model ? (
                <tr key={entry.model} className="price-editing">
                  <th scope="row">{entry.model}</th>
                  {(['input', 'cachedInput', 'output'] as const).map((field) => (
                    <td key={field} className="num">
                      <input
                        type="text"
                        inputMode="decimal"
                        className="price-input"
                        aria-label={`${field === 'cachedInput' ? 'Cached input' : field === 'input' ? 'Input' : 'Output'} price of ${entry.model}`}
                        placeholder={field === 'cachedInput' ? 'as input' : ''}
                        value={editing[field]}
                        autoFocus={field === 'input'}
                        {...problemProps('edit', field)}
                        onKeyDown={onEditKey}
                        onChange={(event) => setEditing({ ...editing, [field]: event.target.value })}
                      />
                    </td>
                  ))}
                  <td>
                    <div className="price-actions">
                      <button
                        type="button"
                        className="primary"
                        onClick={() => void save('edit', editing, () => stopEditing(editing.model))}
                      >
                        Save
                      </button>
                      <button type="button" onClick={() => stopEditing(editing.model)}>
                        Cancel
                      </button>
                    </div>
                  </td>
                </tr>
              ) : (
                <tr key={entry.model}>
                  <th scope="row">
                    {entry.model}
                    {entry.source !== 'shipped' && (
                      <span className="badge badge-ready">{SOURCE_LABEL[entry.source]}</span>
                    )}
                  </th>
                  <td className="num">{formatPerMillion(entry.input)}</td>
                  <td className="num">{formatPerMillion(entry.cachedInput)}</td>
                  <td className="num">{formatPerMillion(entry.output)}</td>
                  <td>
                    <div className="price-actions">
                      <button
                        type="button"
                        aria-label={`Edit the price of ${entry.model}`}
                        data-edit={entry.model}
                        onClick={() => {
                          setError(null);
                          setEditing(draftOf(entry));
                        }}
                      >
                        Edit
                      </button>
                      {entry.source !== 'shipped' && (
                        <button
                          type="button"
                          aria-label={`${entry.source === 'edited' ? 'Reset the price of' : 'Remove'} ${entry.model}`}
                          onClick={() => void reset(entry.model)}
                        >
                          {entry.source === 'edited' ? 'Reset' : 'Remove'}
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
      <form
        className="price-add"
        aria-label="Add a model’s price"
        onSubmit={(event) => {
          event.preventDefault();
          void save('add', adding, () => setAdding(EMPTY_DRAFT));
        }}
      >
        <label className="field">
          <span>Model name</span>
          <input
            type="text"
            spellCheck={false}
            placeholder="e.g. llama-3.3-70b"
            value={adding.model}
            {...problemProps('add', 'model')}
            onChange={(event) => setAdding({ ...adding, model: event.target.value })}
          />
        </label>
        {(
          [
            ['input', 'Input $ / 1M', ''],
            ['cachedInput', 'Cached input $ / 1M', 'optional'],
            ['output', 'Output $ / 1M', ''],
          ] as const
        ).map(([field, label, placeholder]) => (
          <label key={field} className="field">
            <span>{label}</span>
            <input
              type="text"
              inputMode="decimal"
              placeholder={placeholder}
              value={adding[field]}
              {...problemProps('add', field)}
              onChange={(event) => setAdding({ ...adding, [field]: event.target.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={!adding.model.trim()}>
          {replacing ? 'Replace price' : 'Add price'}
        </button>
        {replacing && (
          <p className="muted small price-add-note" role="status">
            {adding.model.trim().toLowerCase()} is already in the list: its price will be replaced.
          </p>
        )}
      </form>
    </>
  );
}
