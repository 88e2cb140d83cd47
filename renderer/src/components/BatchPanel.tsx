import { useEffect, useState } from 'react';
import { BATCH_ENDED, type BatchView, type JobSummary } from '../../../shared/api.ts';
import { formatCost, formatCount, formatDuration } from '../format.ts';

/** What a batch is doing, in the user's words; `in_progress` with how far the provider says it is. */
export function batchPhaseText(batch: BatchView): string {
  switch (batch.phase) {
    case 'sending':
      return 'Sending the rows to the provider';
    case 'checking':
      return 'The provider is checking the file';
    case 'in_progress': {
      const counted = batch.succeeded + batch.errored;
      return counted > 0
        ? `In progress: ${formatCount(counted)} of ${formatCount(batch.requests)}`
        : `In progress (${formatCount(batch.requests)} rows)`;
    }
    case 'finishing':
      return 'Finishing';
    case 'canceling':
      return 'Canceling at the provider';
    case 'collecting':
      return 'Collecting the results';
    case 'done':
      return 'Done';
    case 'expired':
      return 'Expired: the provider did not finish within 24 hours';
    case 'canceled':
      return 'Canceled';
    case 'failed':
      return 'Failed';
    case 'not sent':
      return 'Not sent: its rows went back to the queue';
  }
}

const BAD: ReadonlySet<BatchView['phase']> = new Set(['expired', 'canceled', 'failed', 'not sent']);

/** The current time, moved on every `ms` while `ticking`. */
function useNow(ms: number, ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms, ticking]);
  return now;
}

function since(iso: string | null, now: number): string | null {
  if (!iso) return null;
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  return Number.isFinite(seconds) ? formatDuration(seconds) : null;
}

/**
 * A batch job's batches at the provider: each one's state in words, the time since it was sent,
 * and, for the job, the rows collected so far and the cost at the batch price.
 */
export function BatchPanel({ job }: { job: Pick<JobSummary, 'batches' | 'counts' | 'usage'> }) {
  const { batches, counts, usage } = job;
  const open = batches.some((batch) => !BATCH_ENDED.has(batch.phase));
  const now = useNow(1000, open);
  const collected = counts.done + counts.failed;
  const sent = batches.reduce((sum, batch) => sum + (batch.phase === 'not sent' ? 0 : batch.requests), 0);
  return (
    <section className="batch-panel" aria-label="Batches at the provider">
      <p className="batch-summary">
        <strong>Batch at the provider</strong>
        <span className="tabular">
          {formatCount(collected)} of {formatCount(counts.total - counts.skipped)} rows collected
        </span>
        <span className="tabular">
          {usage.cost === null
            ? 'cost unknown: no price for this model'
            : `${formatCost(usage.cost)}${open ? ' so far' : ''}, at the batch price (about half)`}
        </span>
        {open && <span className="muted">Results come within 24 hours; you can close Rowbot meanwhile.</span>}
      </p>
      <ol className="batch-list">
        {batches.map((batch, i) => {
          const age = since(
            batch.submittedAt,
            BATCH_ENDED.has(batch.phase) && batch.endedAt ? Date.parse(batch.endedAt) : now,
          );
          return (
            <li key={batch.id} className={`batch batch-${batch.phase.replace(' ', '-')}`}>
              <span className="batch-name">
                Batch {i + 1}
                {batches.length > 1 && sent > 0 ? ` · ${formatCount(batch.requests)} rows` : ''}
              </span>
              <span className={`batch-phase${BAD.has(batch.phase) ? ' warning-text' : ''}`}>
                {batchPhaseText(batch)}
              </span>
              {age !== null && (
                <span className="muted tabular">
                  {BATCH_ENDED.has(batch.phase) ? `took ${age}` : `sent ${age} ago`}
                </span>
              )}
              {batch.error && <span className="error-text">{batch.error}</span>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
