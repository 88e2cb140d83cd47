import { useState } from 'react';
import type { SheetPreview } from '../../../shared/api.ts';
import {
  DELIMITERS,
  ENCODINGS,
  FORMAT_LABELS,
  type EncodingId,
  type ImportOptions,
  type ImportSettings,
} from '../../../shared/sheets.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';

export interface Reimport {
  busy: boolean;
  error: string | null;
  /** The settings in use, with a choice being applied shown at once. */
  settings: ImportSettings;
  apply: (patch: ImportOptions) => Promise<void>;
}

/** Imports the file again with one setting changed and every other choice kept. */
export function useReimport(preview: SheetPreview, onChange: (next: SheetPreview) => void): Reimport {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Show the new choice at once while the file is read again.
  const [draft, setDraft] = useState<ImportOptions>({});
  const settings = { ...preview.settings, ...draft };

  async function apply(patch: ImportOptions): Promise<void> {
    setBusy(true);
    setError(null);
    setDraft(patch);
    const current: ImportOptions = {
      format: settings.format,
      ...(settings.encoding ? { encoding: settings.encoding } : {}),
      ...(settings.delimiter ? { delimiter: settings.delimiter } : {}),
      ...(settings.sheet ? { sheet: settings.sheet } : {}),
      hasHeader: settings.hasHeader,
      ...(settings.keepTitleRows ? { keepTitleRows: true } : {}),
    };
    try {
      onChange(await api.reimport({ sourceId: preview.sourceId, options: { ...current, ...patch } }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setDraft({});
    }
  }

  return { busy, error, settings, apply };
}

/** What the import detected, each setting changeable: changing one imports the file again. */
export function ImportSettingsBar({ reimport }: { reimport: Reimport }) {
  const { busy, error, settings, apply } = reimport;

  return (
    <div className="import-settings" aria-busy={busy}>
      <span className="setting-static">
        <span className="muted small">Format</span> {FORMAT_LABELS[settings.format]}
      </span>
      {settings.sheetNames.length > 0 && (
        <label className="setting">
          <span>Sheet</span>
          <select
            value={settings.sheet ?? ''}
            disabled={busy}
            onChange={(event) => void apply({ sheet: event.target.value })}
          >
            {settings.sheetNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      {settings.encoding && (
        <label className="setting">
          <span>Encoding</span>
          <select
            value={settings.encoding}
            disabled={busy}
            onChange={(event) => void apply({ encoding: event.target.value as EncodingId })}
          >
            {ENCODINGS.map((encoding) => (
              <option key={encoding.id} value={encoding.id}>
                {encoding.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {settings.delimiter && (
        <label className="setting">
          <span>Separator</span>
          <select
            value={settings.delimiter}
            disabled={busy}
            onChange={(event) => void apply({ delimiter: event.target.value })}
          >
            {DELIMITERS.map((delimiter) => (
              <option key={delimiter.id} value={delimiter.id}>
                {delimiter.label}
              </option>
            ))}
            {!DELIMITERS.some((d) => d.id === settings.delimiter) && (
              <option value={settings.delimiter}>{`“${settings.delimiter}”`}</option>
            )}
          </select>
        </label>
      )}
      <label className="setting checkbox">
        <input
          type="checkbox"
          checked={settings.hasHeader}
          disabled={busy}
          onChange={(event) => void apply({ hasHeader: event.target.checked })}
        />
        <span>First row is the header</span>
      </label>
      {/* Kept title rows can be left out again; ones left out are kept from the preview itself. */}
      {settings.hasHeader && settings.keepTitleRows && (
        <label className="setting checkbox">
          <input
            type="checkbox"
            checked={!settings.keepTitleRows}
            disabled={busy}
            onChange={(event) => void apply({ keepTitleRows: !event.target.checked })}
          />
          <span>Leave out a title above the table</span>
        </label>
      )}
      {busy && <span className="muted small">Reading the file again…</span>}
      {error && (
        <p role="alert" className="error-box">
          {error}
        </p>
      )}
    </div>
  );
}
