import { useEffect, useId, useRef, useState } from 'react';
import { Tabs } from 'radix-ui';
import type { AiColumn, RowDetail, RowResult, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { cellOf, waitingOn } from '../cells.ts';
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

/** A cell: a row and one of its AI columns. */
export interface CellRef {
  index: number;
  col: number;
}

interface Props {
  jobId: string;
  /** The cell shown; null: the drawer is closed. */
  at: CellRef | null;
  /** The rows as the table has them: the drawer shows its row from there at once, and live. */
  live: LiveRows;
  columns: string[];
  aiColumns: readonly AiColumn[];
  /** The job's output limit now, when the answer does not say where it stopped. */
  outputLimit: number | null;
  /** The job runs: an answer cannot be edited now. */
  running: boolean;
  onPickColumn: (col: number) => void;
  onClose: () => void;
  onRetry: (at: CellRef) => void;
  onRegenerate: (at: CellRef) => void;
  /** Saves an answer corrected by hand; rejects with the reason it could not. */
  onEdit: (at: CellRef, output: string) => Promise<void>;
  /** Opens "Retry cut-off rows with a higher limit…". */
  onRetryCutOff: () => void;
}

/** Where an answer was cut off: the tokens its request wrote, else the job's limit. */
function cutOffAt(cell: RowDetail | null, outputLimit: number | null): number | null {
  const answered = cell?.attemptLog.findLast((attempt) => attempt.outcome === 'done');
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
 * Everything about one cell: the row's values, the exact prompt sent, the full answer, each attempt;
 * with several AI columns, tabs switch between the row's cells. A native modal <dialog> (focus kept
 * inside, the page behind inert, Escape closes): a scripted modal would lock scrolling with an
 * inline <style>, which the UI's Content-Security-Policy refuses.
 *
 * The cell as the table has it shows at once and stays live (status, answer, error); the prompt
 * and the attempts come from the backend, fetched again when the cell's status changes.
 */
export function RowDrawer(props: Props) {
  const { jobId, at, live, aiColumns, outputLimit, running } = props;
  const api = useApi();
  const [fetched, setFetched] = useState<RowDetail | null>(null);
  const [failure, setFailure] = useState<{ at: CellRef; message: string } | null>(null);
  const index = at?.index ?? null;
  const col = at?.col ?? aiColumns[0]?.id ?? 0;
  const liveRow = useLiveRow(live, index);
  const liveCell = liveRow ? cellOf(liveRow, col) : undefined;
  const status = liveCell?.status;
  const edited = liveCell?.edited;
  const output = liveCell?.output;
  // A detail fetched for another cell is never shown, not even for a moment.
  const detail = fetched !== null && fetched.index === index && fetched.col === col ? fetched : null;
  const error = failure !== null && failure.at.index === index && failure.at.col === col ? failure.message : null;
  const cell: RowResult | null = liveCell ?? detail;
  const values = liveRow?.values ?? detail?.values ?? null;
  const column = aiColumns.find((c) => c.id === col);
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
    api.getRow({ jobId, index, col }).then(
      (answer) => {
        if (stale) return;
        setFetched(answer);
        setFailure(null);
      },
      (e: unknown) => {
        if (!stale) setFailure({ at: { index, col }, message: errorMessage(e) });
      },
    );
    return () => {
      stale = true;
    };
  }, [api, jobId, index, col, status, edited, output]);

  const waiting = liveRow && column && cell?.status === 'queued' ? waitingOn(liveRow, column, aiColumns) : null;
  const body = index !== null && cell && values && (
    <CellBody
      key={`${index}:${col}`}
      {...props}
      at={{ index, col }}
      cell={cell}
      detail={detail}
      values={values}
      row={liveRow}
      waitingFor={waiting?.name ?? null}
      outputLimit={outputLimit}
      running={running}
    />
  );

  return (
    <dialog
      ref={dialog}
      className="drawer"
      aria-labelledby={titleId}
      onClose={props.onClose}
      // The drawer fills the dialog box: a click on the dialog itself is a click on the backdrop.
      onClick={(event) => {
        if (event.target === event.currentTarget) event.currentTarget.close();
      }}
    >
      {index !== null && (
        <div className="drawer-box">
          <div className="drawer-head">
            <h2 id={titleId}>Row {formatCount(index + 1)}</h2>
            {cell && <RowBadge row={cell} />}
            <button type="button" className="close" aria-label="Close" onClick={() => dialog.current?.close()}>
              ✕
            </button>
          </div>
          {error && (
            <p role="alert" className="error-box">
              {error}
            </p>
          )}
          {aiColumns.length > 1 ? (
            <Tabs.Root
              className="drawer-tabs"
              value={String(col)}
              onValueChange={(value) => props.onPickColumn(Number(value))}
            >
              <Tabs.List className="tab-list" aria-label="AI column">
                {aiColumns.map((c) => (
                  <Tabs.Trigger key={c.id} value={String(c.id)} className="tab">
                    {c.name}
                  </Tabs.Trigger>
                ))}
              </Tabs.List>
              <Tabs.Content value={String(col)} className="drawer-body">
                {body}
              </Tabs.Content>
            </Tabs.Root>
          ) : (
            <div className="drawer-body">{body}</div>
          )}
        </div>
      )}
    </dialog>
  );
}

function CellBody({
  at,
  cell,
  detail,
  values,
  row,
  waitingFor,
  columns,
  aiColumns,
  outputLimit,
  running,
  onRetry,
  onRegenerate,
  onEdit,
  onRetryCutOff,
}: Props & {
  at: CellRef;
  cell: RowResult;
  detail: RowDetail | null;
  values: string[];
  row: RowView | null;
  waitingFor: string | null;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [editError, setEditError] = useState<string | null>(null);
  const busy = cell.status === 'running' || cell.status === 'queued';
  const leftColumns = aiColumns.slice(
    0,
    aiColumns.findIndex((c) => c.id === at.col),
  );

  async function save(text: string): Promise<void> {
    setSaving(true);
    setEditError(null);
    try {
      await onEdit(at, text);
      setDraft(null);
    } catch (e) {
      setEditError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <div className="drawer-actions">
        {cell.status === 'failed' && (
          <button type="button" className="primary" onClick={() => onRetry(at)}>
            {aiColumns.length > 1 ? 'Retry this cell' : 'Retry this row'}
          </button>
        )}
        <button
          type="button"
          disabled={busy}
          title={busy ? 'It is waiting or running already' : undefined}
          onClick={() => onRegenerate(at)}
        >
          Regenerate this cell
        </button>
        {draft === null && (
          <button
            type="button"
            disabled={running || busy}
            title={running ? 'Pause the job to edit an answer' : busy ? 'It is waiting or running' : undefined}
            onClick={() => setDraft(cell.output ?? '')}
          >
            Edit answer
          </button>
        )}
      </div>
      {isCutOff(cell) && <CutOffNote at={cutOffAt(detail, outputLimit)} onRetry={onRetryCutOff} />}
      {cell.error && (
        <section>
          <h3>Error</h3>
          <p className="error-box">{cell.error}</p>
        </section>
      )}
      <section>
        <h3>
          Answer
          {cell.edited && <span className="cell-tag tag-edited">edited</span>}
          {cell.stale && <span className="cell-tag tag-stale">stale</span>}
        </h3>
        {draft !== null ? (
          <form
            className="edit-answer"
            onSubmit={(event) => {
              event.preventDefault();
              void save(draft);
            }}
          >
            <label className="field">
              <span>Corrected answer</span>
              <textarea value={draft} rows={6} onChange={(event) => setDraft(event.target.value)} autoFocus />
            </label>
            <p className="muted small">
              Kept when the column runs again. Columns that use this answer become stale; with “Use my corrections as
              examples” on, the model sees it as an example.
            </p>
            {editError && (
              <p role="alert" className="error-box">
                {editError}
              </p>
            )}
            <div className="dialog-actions">
              <button type="button" onClick={() => setDraft(null)}>
                Cancel
              </button>
              <button type="submit" className="primary" disabled={saving}>
                {saving ? 'Saving…' : 'Save'}
              </button>
            </div>
          </form>
        ) : cell.output === null ? (
          <p className="muted">{waitingFor ? `Waiting on ${waitingFor}.` : 'No answer yet.'}</p>
        ) : (
          <pre className="text-block">{cell.output}</pre>
        )}
      </section>
      <section>
        <h3>Prompt sent</h3>
        {detail ? (
          detail.prompt === '' && waitingFor ? (
            <p className="muted">Not sent yet: it waits for {waitingFor}.</p>
          ) : (
            <>
              {detail.systemPrompt && <pre className="text-block system">{detail.systemPrompt}</pre>}
              <pre className="text-block">{detail.prompt}</pre>
            </>
          )
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
              <dd>{values[i] ?? ''}</dd>
            </div>
          ))}
          {row &&
            leftColumns.map((c) => (
              <div key={`ai:${c.id}`}>
                <dt>{c.name}</dt>
                <dd>{cellOf(row, c.id)?.output ?? '—'}</dd>
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
    </>
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
