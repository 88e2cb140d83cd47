import { useEffect, useId, useRef, useState } from 'react';
import type { AiColumn, JobDetail, ProviderConfig } from '../../../shared/api.ts';
import { modelLabel } from '../cells.ts';
import { errorMessage } from '../format.ts';
import { ServiceModelFields } from './ServiceModelFields.tsx';

/** A small native modal dialog with a form: mounted to open, unmounted when closed. */
function FormDialog({
  title,
  submitLabel,
  children,
  onSubmit,
  onClose,
}: {
  title: string;
  submitLabel: string;
  children: React.ReactNode;
  /** Rejects with what went wrong, shown in the dialog. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="export-dialog" aria-labelledby={titleId} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          onSubmit().then(
            () => dialog.current?.close(),
            (e: unknown) => {
              setError(errorMessage(e));
              setBusy(false);
            },
          );
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {error && (
          <p role="alert" className="error-box">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function RenameDialog({
  column,
  onRename,
  onClose,
}: {
  column: AiColumn;
  onRename: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(column.name);
  return (
    <FormDialog
      title={`Rename ${column.name}`}
      submitLabel="Rename"
      onSubmit={() => onRename(name.trim())}
      onClose={onClose}
    >
      <label className="field">
        <span>New name</span>
        <input type="text" value={name} autoFocus onChange={(event) => setName(event.target.value)} />
      </label>
      <p className="muted small">Prompts that use {`{{${column.name}}}`} follow the new name.</p>
    </FormDialog>
  );
}

/** Duplicates a column with another model: both answers side by side, marked where they differ. */
export function CompareDialog({
  job,
  column,
  onCompare,
  onClose,
}: {
  job: JobDetail;
  column: AiColumn;
  onCompare: (name: string, provider: ProviderConfig) => Promise<void>;
  onClose: () => void;
}) {
  const [provider, setProvider] = useState<ProviderConfig>(column.provider);
  const [name, setName] = useState('');
  const suggested = `${column.name} (${modelLabel({ ...column, provider })})`.slice(0, 64);
  const same = provider.kind === column.provider.kind && modelLabel({ ...column, provider }) === modelLabel(column);
  return (
    <FormDialog
      title={`Compare ${column.name} with another model`}
      submitLabel="Add comparison column"
      onSubmit={async () => {
        if (same) throw new Error(`Choose a model other than ${modelLabel(column)} to compare with.`);
        await onCompare(name.trim() || suggested.replace(/[{}]/g, ''), provider);
      }}
      onClose={onClose}
    >
      <p className="muted small">
        A copy of {column.name} with the same prompt, answered by another model, right beside it. Where both answers are
        short (labels, yes/no, JSON fields), cells that differ are marked and the header counts how often they agree.
      </p>
      <ServiceModelFields job={job} provider={provider} onChange={setProvider} />
      <label className="field">
        <span>Name of the new column</span>
        <input type="text" value={name} placeholder={suggested} onChange={(event) => setName(event.target.value)} />
      </label>
    </FormDialog>
  );
}
