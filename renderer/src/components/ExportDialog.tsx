import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { JobDetail } from '../../../shared/api.ts';
import {
  EXPORT_DELIMITERS,
  defaultExportDelimiter,
  type ExportDelimiter,
  type ExportFormat,
  type ExportRows,
} from '../../../shared/sheets.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatCount } from '../format.ts';
import { EXPORT_REQUEST } from '../menu.ts';

const FORMATS: { id: ExportFormat; label: string; hint: string }[] = [
  { id: 'csv', label: 'CSV', hint: 'Opens in Excel, Google Sheets, Numbers' },
  { id: 'xlsx', label: 'Excel (.xlsx)', hint: 'A new workbook' },
  { id: 'jsonl', label: 'JSON lines', hint: 'One JSON object per row, for programs' },
];

/** Export: format and which rows; a native <dialog> for focus trapping and Escape for free. */
export function ExportButton({ job, onResult }: { job: JobDetail; onResult: (message: string) => void }) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [rows, setRows] = useState<ExportRows>('all');
  const [bom, setBom] = useState(true);
  const imported = job.importSettings.delimiter;
  const [delimiter, setDelimiter] = useState<ExportDelimiter>(() => defaultExportDelimiter(imported));
  const [writeBack, setWriteBack] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const open = (): void => dialog.current?.showModal();
    window.addEventListener(EXPORT_REQUEST, open);
    return () => window.removeEventListener(EXPORT_REQUEST, open);
  }, []);
  const canWriteBack = job.importSettings.format === 'xlsx' && job.importSettings.headerRow !== null;

  async function run(): Promise<void> {
    setBusy(true);
    try {
      const outcome = await api.exportJob({
        jobId: job.id,
        format,
        rows,
        bom,
        delimiter,
        writeBack: canWriteBack && format === 'xlsx' && writeBack,
      });
      dialog.current?.close();
      const notes = outcome.kind === 'cancelled' ? '' : (outcome.notes ?? []).map((note) => ` ${note}`).join('');
      if (outcome.kind === 'download') {
        const link = document.createElement('a');
        link.href = outcome.url;
        link.download = outcome.fileName;
        document.body.append(link);
        link.click();
        link.remove();
        onResult(`Downloading ${outcome.fileName}.${notes}`);
      } else if (outcome.kind === 'saved') {
        onResult(`Saved to ${outcome.path}.${notes}`);
      }
    } catch (e) {
      onResult(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const { counts } = job;
  return (
    <>
      <button type="button" onClick={() => dialog.current?.showModal()}>
        Export…
      </button>
      <dialog ref={dialog} className="export-dialog" aria-labelledby="export-title">
        <h2 id="export-title">Export results</h2>
        <Choices
          legend="Format"
          name="export-format"
          value={format}
          onChange={setFormat}
          options={FORMATS.map((option) => ({
            id: option.id,
            label: option.label,
            hint: <span className="muted small">{option.hint}</span>,
          }))}
        />
        <Choices
          legend="Rows"
          name="export-rows"
          value={rows}
          onChange={setRows}
          options={[
            { id: 'all', label: `All rows (${formatCount(counts.total)})` },
            { id: 'done', label: `Only done (${formatCount(counts.done)})` },
            { id: 'failed', label: `Only failed (${formatCount(counts.failed)})` },
          ]}
        />
        {format === 'csv' && (
          <Choices
            legend="Separator"
            name="export-delimiter"
            value={delimiter}
            onChange={setDelimiter}
            options={EXPORT_DELIMITERS.map((option) => ({
              id: option.id,
              label: option.label,
              hint: option.id === imported ? <span className="muted small">as in the imported file</span> : null,
            }))}
          />
        )}
        {format === 'csv' && (
          <label className="choice">
            <input type="checkbox" checked={bom} onChange={(event) => setBom(event.target.checked)} />
            <span>
              Mark the file as UTF-8 <span className="muted small">(so Excel shows accents right)</span>
            </span>
          </label>
        )}
        {format === 'xlsx' && canWriteBack && (
          <label className="choice">
            <input type="checkbox" checked={writeBack} onChange={(event) => setWriteBack(event.target.checked)} />
            <span>
              Add the results to my own workbook{' '}
              <span className="muted small">(“{job.importSettings.sheet}”, other sheets kept)</span>
            </span>
          </label>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" className="primary" disabled={busy} onClick={() => void run()}>
            {busy ? 'Exporting…' : 'Export'}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** One group of radio buttons: a legend, and each choice with its label and an optional quiet hint. */
function Choices<T extends string>({
  legend,
  name,
  value,
  onChange,
  options,
}: {
  legend: string;
  name: string;
  value: T;
  onChange: (value: T) => void;
  options: { id: T; label: string; hint?: ReactNode }[];
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option.id} className="choice">
          <input type="radio" name={name} checked={value === option.id} onChange={() => onChange(option.id)} />
          <span>
            {option.label}
            {option.hint ? <> {option.hint}</> : null}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
