import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { ImportOutcome, SheetPreview } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';
import { IMPORT_REQUEST, takeImportRequest } from '../menu.ts';

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () =>
      reject(new Error(`Could not read "${file.name}". Check that the file is not open elsewhere.`));
    reader.readAsDataURL(file);
  });
}

/** Drag-and-drop or pick a file; native dialog in the desktop app, upload in the browser. */
export function FilePicker({ onImported }: { onImported: (preview: SheetPreview) => void }) {
  const api = useApi();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<ImportOutcome>): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const outcome = await action();
      if (outcome.kind === 'imported') onImported(outcome.preview);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  function upload(file: File): void {
    void run(async () => api.importUpload({ fileName: file.name, dataBase64: await readAsBase64(file) }));
  }

  function onDrop(event: DragEvent<HTMLDivElement>): void {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) upload(file);
  }

  function choose(): void {
    if (api.platform === 'electron') void run(() => api.importDialog({}));
    else input.current?.click();
  }

  // File › Import in the desktop menu opens the dialog straight away.
  useEffect(() => {
    const onRequest = (): void => {
      if (takeImportRequest()) choose();
    };
    onRequest();
    window.addEventListener(IMPORT_REQUEST, onRequest);
    return () => window.removeEventListener(IMPORT_REQUEST, onRequest);
  });

  return (
    <div>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="dropzone-title">{busy ? 'Reading the file…' : 'Drop a spreadsheet here'}</p>
        <p className="muted">or</p>
        <button type="button" className="primary" onClick={choose} disabled={busy}>
          Choose a file…
        </button>
        <input
          ref={input}
          type="file"
          accept=".csv,.tsv,.txt,.xlsx,.json,.jsonl,.ndjson"
          aria-label="Spreadsheet file"
          className="visually-hidden"
          tabIndex={-1}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) upload(file);
            event.target.value = '';
          }}
        />
        <p className="muted small">
          Excel (.xlsx), CSV or TSV, JSON or JSON lines. Rowbot detects the rest; you can change it.
        </p>
      </div>
      {error && (
        <p role="alert" className="error-box">
          {error}
        </p>
      )}
    </div>
  );
}
