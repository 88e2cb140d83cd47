import { useEffect, useId, useRef, useState } from 'react';
import type { RowDetail, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatCost, formatCount, formatMs } from '../format.ts';
import type { LiveRows } from '../hooks/useJobRows.ts';
import { isCutOff, RowBadge } from './StatusBadge.tsx';

const OUTCOMES: Record<RowDetail['attemptLog'][number]['outcome'], string> = {
  done: 'Answered',
  retry: 'Error, tried again',
  rate_limited: 'Rate limited (429), waited',
  failed: 'Failed',
  stopped: 'Job paused',
  aborted: 'Canceled',
};

interface Props {
  jobId: string;
  index: number | null;
  /** The rows as the table has them: the drawer shows its row from there at once, and live. */
  live: LiveRows;
  columns: string[];
  /** The job's output limit now, when the answer does not say where it stopped. */
  outputLimit: number | null;
  onClose: () => void;
  onRetry: (index: number) => void;
  /** Opens "Retry cut-off rows with a higher limit…". */
  onRetryCutOff: () => void;
}

/** Where an answer was cut off: the tokens its request wrote, else the job's limit. */
function cutOffAt(row: RowDetail | null, outputLimit: number | null): number | null {
  const answered = row?.attemptLog.findLast((attempt) => attempt.outcome === 'done');
  return answered?.completionTokens ?? outputLimit;
}

/** Row `index` as the table has it now; re-renders whenever a batch changes that row. */
function useLiveRow(live: LiveRows, index: number | null): RowView | null {
  const [, setChanges] = useState(0);
  useEffect(() => {
    if (index === null) return;
    return live.subscribe((changed) => {
      if (changed.has(index)) setChanges((n) => n + 1);
    });
  }, [live, index]);
  return (index === null ? undefined : live.rows?.[index]) ?? null;
}

/**
 * Everything about one row: its values, the exact prompt sent, the full answer, each attempt. A
 * native modal <dialog> (focus kept inside, the page behind inert, Escape closes): a scripted modal
 * would lock scrolling with an inline <style>, which the UI's Content-Security-Policy refuses.
 *
 * The row as the table has it shows at once and stays live (status, answer, error); the prompt
 * and the attempts come from the backend, fetched again when the row's status changes.
 */
export function RowDrawer({ jobId, index, live, columns, outputLimit, onClose, onRetry, onRetryCutOff }: Props) {
  const api = useApi();
  const [fetched, setFetched] = useState<RowDetail | null>(null);
  const [failure, setFailure] = useState<{ index: number; message: string } | null>(null);
  const liveRow = useLiveRow(live, index);
  const status = liveRow?.status;
  // A detail fetched for another row is never shown, not even for a moment.
  const detail = fetched !== null && fetched.index === index ? fetched : null;
  const error = failure !== null && failure.index === index ? failure.message : null;
  const row: RowView | null = liveRow ?? detail;
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (index !== null && !element.open) element.showModal();
    else if (index === null && element.open) element.close();
  }, [index]);

  useEffect(() => {
    if (index === null) return;
    let stale = false;
    api.getRow({ jobId, index }).then(
      (answer) => {
        if (stale) return;
        setFetched(answer);
        setFailure(null);
      },
      (e: unknown) => {
        if (!stale) setFailure({ index, message: errorMessage(e) });
      },
    );
    return () => {
      stale = true;
    };
  }, [api, jobId, index, status]);

  return (
    <dialog
      ref={dialog}
      className="drawer"
      aria-labelledby={titleId}
      onClose={onClose}
      // The drawer fills the dialog box: a click on the dialog itself is a click on the backdrop.
      onClick={(event) => {
        if (event.target === event.currentTarget) event.currentTarget.close();
      }}
    >
      {index !== null && (
        <div className="drawer-box">
          <div className="drawer-head">
            <h2 id={titleId}>Row {formatCount(index + 1)}</h2>
            {row && <RowBadge row={row} />}
            <button type="button" className="close" aria-label="Close" onClick={() => dialog.current?.close()}>
              ✕
            </button>
          </div>
          {error && (
            <p role="alert" className="error-box">
              {error}
            </p>
          )}
          {row && (
            <div className="drawer-body">
              {row.status === 'failed' && (
                <div className="drawer-actions">
                  <button type="button" className="primary" onClick={() => onRetry(row.index)}>
                    Retry this row
                  </button>
                </div>
              )}
              {isCutOff(row) && <CutOffNote at={cutOffAt(detail, outputLimit)} onRetry={onRetryCutOff} />}
              {row.error && (
                <section>
                  <h3>Error</h3>
                  <p className="error-box">{row.error}</p>
                </section>
              )}
              <section>
                <h3>Answer</h3>
                {row.output === null ? (
                  <p className="muted">No answer yet.</p>
                ) : (
                  <pre className="text-block">{row.output}</pre>
                )}
              </section>
              <section>
                <h3>Prompt sent</h3>
                {detail ? (
                  <>
                    {detail.systemPrompt && <pre className="text-block system">{detail.systemPrompt}</pre>}
                    <pre className="text-block">{detail.prompt}</pre>
                  </>
                ) : (
                  <p className="muted">Loading…</p>
                )}
              </section>
              <section>
                <h3>Values</h3>
                <dl className="values">
                  {columns.map((column, i) => (
                    <div key={column}>
                      <dt>{column}</dt>
                      <dd>{row.values[i] ?? ''}</dd>
                    </div>
                  ))}
                </dl>
              </section>
              <section>
                <h3>Attempts</h3>
                {!detail ? (
                  <p className="muted">Loading…</p>
                ) : detail.attemptLog.length === 0 ? (
                  <p className="muted">Not sent yet.</p>
                ) : (
                  <table className="attempts">
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">Outcome</th>
                        <th scope="col">HTTP</th>
                        <th scope="col">Time</th>
                        <th scope="col">Tokens</th>
                        <th scope="col">Cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {detail.attemptLog.map((attempt) => (
                        <tr key={attempt.attempt}>
                          <td>{attempt.attempt}</td>
                          <td>
                            {OUTCOMES[attempt.outcome]}
                            {attempt.error && <div className="muted small">{attempt.error}</div>}
                          </td>
                          <td>{attempt.httpStatus ?? '—'}</td>
                          <td>{formatMs(attempt.latencyMs)}</td>
                          <td>
                            {attempt.promptTokens === null
                              ? '—'
                              : `${formatCount(attempt.promptTokens)} in · ${formatCount(attempt.completionTokens ?? 0)} out`}
                          </td>
                          <td className="tabular">{formatCost(attempt.cost)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            </div>
          )}
        </div>
      )}
    </dialog>
  );
}

function CutOffNote({ at, onRetry }: { at: number | null; onRetry: () => void }) {
  return (
    <div className="banner banner-warning cut-off-note" role="note">
      <p>Cut off at the output limit{at === null ? '' : ` (${formatCount(at)} tokens)`}: retry with a higher limit.</p>
      <button type="button" onClick={onRetry}>
        Retry cut-off rows with a higher limit…
      </button>
    </div>
  );
}
