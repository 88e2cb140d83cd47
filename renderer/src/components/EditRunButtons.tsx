import { useEffect, useId, useRef, useState } from 'react';
import type { JobDetail, JobEditInput } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatCost, plural } from '../format.ts';
import { navigate } from '../router.ts';

type Edit = Omit<JobEditInput, 'jobId' | 'rerun'>;

/**
 * The run buttons of the edit form: "Run the rest" keeps the answers the job has and runs the
 * other rows with the changes; "Run all again" sends every row again, after saying how many
 * answered rows that is and what they cost the first time.
 */
export function EditRunButtons({
  job,
  edit,
  blocker,
  batch,
}: {
  job: JobDetail;
  edit: Edit;
  blocker: string | null;
  batch: boolean;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const answered = job.counts.done;
  const rest = job.counts.total - job.counts.done - job.counts.skipped;
  const running = job.status === 'running';
  // What the answered rows cost the first time: what sending them again may cost.
  const again = job.usage.cost !== null && answered > 0 ? job.usage.cost : null;
  const how = batch ? ' as a batch' : '';

  /** Saves the changes; then starts the job, unless `start` is false (it waits for Start). */
  async function run(rerun: 'rest' | 'all', start = true): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await api.editJob({ jobId: job.id, ...edit, rerun });
      if (start) await api.startJob({ jobId: job.id });
      navigate({ screen: 'job', jobId: job.id });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  const disabled = busy || running || blocker !== null;
  return (
    <>
      {error && (
        <p role="alert" className="error-box">
          {error}
        </p>
      )}
      {running && (
        <p className="banner banner-warning" role="status">
          This job is running: pause it on its page before you change it.
        </p>
      )}
      <p className="muted small edit-summary">
        {answered === 0
          ? `No row has an answer yet: ${plural(rest, 'row')} run with your changes.`
          : rest === 0
            ? `Every row has an answer. “Run all again” sends them again with your changes.`
            : `${plural(answered, 'answered row')} keep ${answered === 1 ? 'its answer' : 'their answers'} with “Run the rest”; ${plural(rest, 'row')} run with your changes.`}
      </p>
      <div className="edit-run-buttons">
        {answered === 0 ? (
          // Nothing answered yet (a duplicate, a job never started): one run, no "again".
          <button type="button" className="primary large" disabled={disabled} onClick={() => void run('all')}>
            {busy ? 'Starting…' : `Run ${plural(rest, 'row')}${how}`}
          </button>
        ) : (
          <>
            <button
              type="button"
              className="primary large"
              disabled={disabled || rest === 0}
              onClick={() => void run('rest')}
            >
              {busy ? 'Starting…' : `Run the rest${how}`}
            </button>
            <button type="button" className="large" disabled={disabled} onClick={() => setConfirming(true)}>
              Run all again{how}…
            </button>
          </>
        )}
        <button
          type="button"
          className="link"
          disabled={disabled}
          onClick={() => void run('rest', false)}
          title="Keep the changes; the job waits on its page until you press Start"
        >
          Save without running
        </button>
      </div>
      {confirming && (
        <ConfirmRunAll
          total={job.counts.total}
          rest={rest}
          answered={answered}
          again={again}
          how={how}
          batch={batch}
          onClose={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run('all');
          }}
        />
      )}
    </>
  );
}

/**
 * "Run all again?": how many answered rows go again and what they may cost. A native modal
 * <dialog> (focus kept inside, Escape closes), mounted to open, as the other dialogs of the job.
 */
function ConfirmRunAll({
  total,
  rest,
  answered,
  again,
  how,
  batch,
  onClose,
  onConfirm,
}: {
  total: number;
  rest: number;
  answered: number;
  again: number | null;
  how: string;
  batch: boolean;
  onClose: () => void;
  onConfirm: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const textId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="export-dialog confirm-dialog"
      role="alertdialog"
      aria-labelledby={titleId}
      aria-describedby={textId}
      onClose={onClose}
    >
      <h2 id={titleId}>Run all {plural(total, 'row')} again?</h2>
      <p id={textId}>
        The {plural(answered, 'answered row')} {answered === 1 ? 'is' : 'are'} sent again{how} and{' '}
        {answered === 1 ? 'its answer is' : 'their answers are'} replaced.{' '}
        {again !== null
          ? `That may cost about ${formatCost(again)} more: about what the job has cost so far${batch ? ' (about half of that as a batch)' : ''}${rest > 0 ? `, besides the other ${plural(rest, 'row')}` : ''}.`
          : 'Rowbot has no price for this model, so it cannot tell what that costs.'}{' '}
        What they were billed before stays in the job’s cost.
      </p>
      <div className="dialog-actions">
        <button type="button" autoFocus onClick={() => dialog.current?.close()}>
          Keep the answers
        </button>
        <button type="button" className="primary" onClick={onConfirm}>
          Send {plural(answered, 'answered row')} again
        </button>
      </div>
    </dialog>
  );
}
