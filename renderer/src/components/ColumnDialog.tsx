import { useEffect, useId, useMemo, useRef, useState } from 'react';
import {
  MAX_EXAMPLES,
  type AiColumn,
  type ColumnOptions,
  type JobDetail,
  type NewColumn,
  type ProviderConfig,
  type RowView,
} from '../../../shared/api.ts';
import { reasoningModelProblem } from '../../../shared/providers.ts';
import {
  columnNameProblem,
  columnTemplateProblem,
  jsonFieldText,
  namedColumns,
  templateSlots,
} from '../../../shared/columns.ts';
import { useApi } from '../api.ts';
import { cellOf } from '../cells.ts';
import { errorMessage, plural } from '../format.ts';
import { AnswerOptions, type AnswerSettings } from './AnswerOptions.tsx';
import { ServiceModelFields } from './ServiceModelFields.tsx';
import { TemplateEditor } from './TemplateEditor.tsx';

/** What the dialog saves: a new column, or changes to one. */
export interface ColumnDraft extends NewColumn {
  systemPrompt: string;
  provider: ProviderConfig;
  options: ColumnOptions;
  useCorrections: boolean;
}

interface Props {
  job: JobDetail;
  /** The column edited; undefined: a new one, added last. */
  column?: AiColumn;
  /** The job's rows, for the prompt preview (AI columns to the left included). */
  rows: readonly RowView[] | null;
  /** Saves; `run`: run its cells (new or stale) right after. Rejects with what went wrong. */
  onSave: (draft: ColumnDraft, run: boolean) => Promise<void>;
  onClose: () => void;
}

/** A column's answer options as the form shows them: its own, else the job's. */
function answerSettingsOf(job: JobDetail, options: ColumnOptions): AnswerSettings {
  const { settings } = job;
  return {
    temperature: options.temperature !== undefined ? options.temperature : settings.temperature,
    topP: options.topP !== undefined ? options.topP : settings.topP,
    stop: options.stop ?? settings.stop,
    maxOutputTokens: options.maxOutputTokens !== undefined ? options.maxOutputTokens : settings.maxOutputTokens,
    maxCost: null,
    jsonOutput: options.jsonOutput !== undefined ? options.jsonOutput : settings.jsonOutput,
  };
}

/**
 * Add an AI column, or edit one's prompt, service, model and answer options. Its prompt may use the
 * sheet's columns and the AI columns to its left. Mounted to open (a native modal <dialog>: focus
 * kept inside, Escape closes), unmounted when closed.
 */
export function ColumnDialog({ job, column, rows, onSave, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const first = job.aiColumns[0];
  const [name, setName] = useState(column?.name ?? '');
  const [template, setTemplate] = useState(column?.template ?? '');
  const [systemPrompt, setSystemPrompt] = useState(column?.systemPrompt ?? '');
  const [provider, setProvider] = useState<ProviderConfig>(column?.provider ?? first?.provider ?? job.provider);
  const [answer, setAnswer] = useState<AnswerSettings>(() => answerSettingsOf(job, column?.options ?? {}));
  const [useCorrections, setUseCorrections] = useState(column?.useCorrections ?? false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [touchedName, setTouchedName] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  // The names a prompt may use: the sheet's columns, then the AI columns to this one's left, each
  // followed by the fields of its JSON answers ({{triage.language}}), as the engine has them.
  const at = column ? job.aiColumns.findIndex((c) => c.id === column.id) : job.aiColumns.length;
  const named = useMemo(() => namedColumns(job), [job]);
  const slots = useMemo(() => templateSlots([], named.slice(0, at)), [named, at]);
  const placeholders = useMemo(() => [...job.columns, ...slots.map((slot) => slot.name)], [job.columns, slots]);
  const sampleRows = useMemo(
    () =>
      (rows ?? []).slice(0, 3).map((row) => [
        ...row.values,
        ...slots.map(({ col, field }) => {
          const output = cellOf(row, col ?? -1)?.output ?? null;
          if (output === null) return '(not answered yet)';
          return field === null ? output : jsonFieldText(output, field);
        }),
      ]),
    [rows, slots],
  );

  const corrected = column ? (job.columnStats.find((stat) => stat.id === column.id)?.edited ?? 0) : 0;
  const problemOfName = columnNameProblem(
    name,
    job.columns,
    job.aiColumns.filter((c) => c.id !== column?.id).map((c) => c.name),
  );
  const problemOfTemplate = columnTemplateProblem(
    template,
    name.trim() || 'this column',
    job.columns,
    named.slice(0, at),
    named.slice(column ? at + 1 : at),
  );
  const samplingProblem = reasoningModelProblem(provider, answer);
  const blocker =
    problemOfName ??
    problemOfTemplate ??
    (provider.kind !== 'demo' && provider.model.trim() === '' ? 'Choose a model.' : null) ??
    samplingProblem;

  async function save(run: boolean): Promise<void> {
    setTouchedName(true);
    if (blocker) {
      setError(blocker);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const options: ColumnOptions = {
        jsonOutput: answer.jsonOutput,
        maxOutputTokens: answer.maxOutputTokens,
        temperature: answer.temperature,
        topP: answer.topP,
        stop: answer.stop,
      };
      await onSave({ name: name.trim(), template, systemPrompt, provider, options, useCorrections }, run);
      dialog.current?.close();
    } catch (e) {
      setError(errorMessage(e));
      setSaving(false);
    }
  }

  return (
    <dialog ref={dialog} className="export-dialog column-dialog" aria-labelledby={titleId} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save(false);
        }}
      >
        <h2 id={titleId}>{column ? `Edit ${column.name}` : 'Add AI column'}</h2>
        <p className="muted small">
          {column
            ? 'Answers already given become stale (marked, kept) until you run the stale cells.'
            : 'A new column of answers, one per row. Its prompt may use the sheet’s columns and the AI columns to its left.'}
        </p>
        <label className="field">
          <span>Column name</span>
          <input
            type="text"
            value={name}
            placeholder="e.g. summary, category, sentiment"
            aria-invalid={touchedName && problemOfName ? true : undefined}
            onBlur={() => setTouchedName(name !== '')}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        {touchedName && problemOfName && (
          <p className="error-text small" role="alert">
            {problemOfName}
          </p>
        )}
        <TemplateEditor
          columns={placeholders}
          aiColumns={slots.map((slot) => slot.name)}
          sampleRows={sampleRows}
          template={template}
          onChange={setTemplate}
        />
        <details className="system-prompt">
          <summary>System prompt (optional)</summary>
          <label className="field">
            <span>System prompt</span>
            <textarea value={systemPrompt} rows={2} onChange={(event) => setSystemPrompt(event.target.value)} />
          </label>
        </details>
        <ServiceModelFields job={job} provider={provider} onChange={setProvider} />
        <AnswerOptions value={answer} onChange={setAnswer} problem={samplingProblem} column />
        <label className="setting checkbox">
          <input
            type="checkbox"
            checked={useCorrections}
            onChange={(event) => setUseCorrections(event.target.checked)}
          />
          <span>Use my corrections as examples (answers you edited by hand in this column are shown to the model)</span>
        </label>
        {useCorrections &&
          (column?.useCorrections ? (
            <CorrectionsPreview jobId={job.id} col={column.id} />
          ) : (
            <p className="muted small" role="note">
              {column && corrected > 0
                ? `${plural(corrected, 'answer')} of this column ${corrected === 1 ? 'was' : 'were'} corrected by hand: the most recent ${Math.min(corrected, MAX_EXAMPLES)} go before each prompt as examples. Save, then open this dialog again to see the prompt with them.`
                : 'Once the column has answers, correct a few by hand (open a cell, Edit answer): they are sent as examples before each prompt.'}
            </p>
          ))}
        <div className="dialog-footer">
          {error && (
            <p role="alert" className="error-box">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" disabled={saving}>
              {column ? 'Save' : 'Add column'}
            </button>
            <button type="button" className="primary" disabled={saving} onClick={() => void save(true)}>
              {column ? 'Save and run stale cells' : 'Add and run'}
            </button>
          </div>
        </div>
      </form>
    </dialog>
  );
}

/** The exact prompt the column sends for its first row now, with the examples block, as saved. */
function CorrectionsPreview({ jobId, col }: { jobId: string; col: number }) {
  const api = useApi();
  const [preview, setPreview] = useState<{ prompt: string; systemPrompt: string; examples: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    api.previewColumnPrompt({ jobId, col, index: 0 }).then(
      (answer) => {
        if (!stale) setPreview(answer);
      },
      (e: unknown) => {
        if (!stale) setError(errorMessage(e));
      },
    );
    return () => {
      stale = true;
    };
  }, [api, jobId, col]);
  if (error) return <p className="error-text small">{error}</p>;
  if (!preview) return <p className="muted small">Loading the prompt…</p>;
  return (
    <section className="prompt-preview" aria-label="Prompt with examples">
      <h3>
        Row 1’s prompt as saved, with {plural(preview.examples, 'corrected answer')} as{' '}
        {preview.examples === 1 ? 'an example' : 'examples'}
      </h3>
      {preview.examples === 0 && (
        <p className="muted small">No corrections yet: open a cell of this column and press Edit answer.</p>
      )}
      {preview.systemPrompt && <pre className="text-block system">{preview.systemPrompt}</pre>}
      <pre className="text-block">{preview.prompt}</pre>
    </section>
  );
}
