import { useEffect, useState } from 'react';
import { Dialog } from 'radix-ui';
import type { RowDetail, RowStatus } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage, formatCount, formatMs } from '../format.ts';
import { StatusBadge } from './StatusBadge.tsx';

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
  /** The row's status in the table: the drawer reloads when it changes. */
  status: RowStatus | undefined;
  columns: string[];
  onClose: () => void;
  onRetry: (index: number) => void;
}

/** Everything about one row: its values, the exact prompt sent, the full answer, each attempt. */
export function RowDrawer({ jobId, index, status, columns, onClose, onRetry }: Props) {
  const api = useApi();
  const [row, setRow] = useState<RowDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (index === null) return;
    let stale = false;
    api.getRow({ jobId, index }).then(
      (detail) => {
        if (!stale) setRow(detail);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [api, jobId, index, status]);

  return (
    <Dialog.Root open={index !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="drawer-overlay" />
        <Dialog.Content className="drawer" aria-describedby={undefined}>
          <div className="drawer-head">
            <Dialog.Title>Row {index === null ? '' : formatCount(index + 1)}</Dialog.Title>
            {row && <StatusBadge status={row.status} />}
            <Dialog.Close asChild>
              <button type="button" className="close" aria-label="Close">
                ✕
              </button>
            </Dialog.Close>
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
                {row.systemPrompt && <pre className="text-block system">{row.systemPrompt}</pre>}
                <pre className="text-block">{row.prompt}</pre>
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
                {row.attemptLog.length === 0 ? (
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
                      </tr>
                    </thead>
                    <tbody>
                      {row.attemptLog.map((attempt) => (
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
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            </div>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
