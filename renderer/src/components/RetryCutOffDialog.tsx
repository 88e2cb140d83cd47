import { useEffect, useId, useRef, useState } from 'react';
import type { JobDetail, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatCount, plural } from '../format.ts';
import { isCutOff } from './StatusBadge.tsx';

/** The most output tokens a job may ask for (the run settings' own bound). */
const MOST_TOKENS = 1_000_000;

/** Twice the limit they were cut off at: enough for most answers, without asking for the moon. */
export function suggestedLimit(limit: number | null, longestCutOff: number): number {
  return Math.min(MOST_TOKENS, Math.max(256, 2 * (limit ?? longestCutOff)));
}

/** Where a job with no limit of its own stopped: the longest cut-off answer, in tokens. */
function longestCutOff(rows: readonly RowView[]): number {
  let most = 0;
  for (const row of rows) {
    for (const cell of row.cells) if (isCutOff(cell)) most = Math.max(most, cell.completionTokens ?? 0);
  }
  return most;
}

/** Whole numbers like 4096, 4,096 or 4k; undefined when unreadable. */
function tokens(text: string): number | undefined {
  const trimmed = text.replace(/[,\s_]/g, '');
  const n = Number(trimmed.replace(/k$/i, '000'));
  return trimmed !== '' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

interface Props {
  job: JobDetail;
  /** The job's rows as the table has them, for a first suggestion. */
  rows: readonly RowView[];
  onClose: () => void;
  onResult: (message: string) => void;
}

/**
 * Raises the job's output limit and sends its cut-off rows back to the queue. Mounted to open
 * (a native modal <dialog>: focus kept inside, Escape closes), unmounted when closed.
 */
export function RetryCutOffDialog({ job, rows, onClose, onResult }: Props) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const limit = job.settings.maxOutputTokens;
  const [text, setText] = useState(() => String(suggestedLimit(limit, longestCutOff(rows))));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hintId = useId();
  const problemId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  function check(): number | null {
    const value = tokens(text);
    if (value === undefined) return fail('Type a whole number of tokens, like 2048.');
    if (limit !== null && value <= limit) {
      return fail(`Choose more than ${formatCount(limit)}: these answers were cut off at that limit.`);
    }
    if (value > MOST_TOKENS) return fail(`Rowbot asks for at most ${formatCount(MOST_TOKENS)} output tokens.`);
    setProblem(null);
    return value;
  }

  function fail(message: string): null {
    setProblem(message);
    return null;
  }

  async function submit(): Promise<void> {
    const value = check();
    if (value === null) return;
    setBusy(true);
    try {
      const { requeued } = await api.retryCutOff({ jobId: job.id, maxOutputTokens: value });
      onResult(
        `${plural(requeued, 'cut-off row')} sent back to the queue with an output limit of ${formatCount(value)} tokens.`,
      );
      onClose();
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="export-dialog retry-dialog" aria-labelledby={`${hintId}-title`} onClose={onClose}>
      <h2 id={`${hintId}-title`}>Retry cut-off rows</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <p id={hintId} className="dialog-text">
          {plural(job.cutOff, 'answer')} stopped at the output limit
          {limit === null ? '' : ` of ${formatCount(limit)} tokens`}, so {job.cutOff === 1 ? 'it is' : 'they are'}{' '}
          incomplete. With a higher limit {job.cutOff === 1 ? 'that row runs' : 'those rows run'} again; what the
          cut-off answers cost stays in this job’s cost.
        </p>
        <label className="field">
          <span>Max output tokens</span>
          <input
            type="text"
            inputMode="numeric"
            className="tabular"
            value={text}
            aria-invalid={problem !== null || undefined}
            aria-describedby={problem === null ? hintId : `${problemId} ${hintId}`}
            onChange={(event) => {
              setText(event.target.value);
              setProblem(null);
            }}
          />
        </label>
        {problem && (
          <p id={problemId} role="alert" className="error-text small">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Sending…' : `Retry ${plural(job.cutOff, 'row')}`}
          </button>
        </div>
      </form>
    </dialog>
  );
}
