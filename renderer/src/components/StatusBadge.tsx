import type { JobStatus, JobSummary, RowResult, RowStatus } from '../../../shared/api.ts';
import { formatCount } from '../format.ts';

const LABELS: Record<RowStatus | JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
  ready: 'Ready',
  paused: 'Paused',
  canceled: 'Canceled',
  completed: 'Completed',
};

/** Colour plus a word: never colour alone. */
export function StatusBadge({ status }: { status: RowStatus | JobStatus }) {
  return <span className={`badge badge-${status}`}>{LABELS[status]}</span>;
}

/**
 * A job's badge. A job that ended with failed rows is not a green "Completed": it says how many
 * failed, in amber, so nobody takes it for a clean run.
 */
export function JobBadge({ job }: { job: Pick<JobSummary, 'status' | 'counts'> }) {
  if (job.status === 'completed' && job.counts.failed > 0) {
    return <span className="badge badge-finished-failed">{finishedText(job.counts.failed)}</span>;
  }
  return <StatusBadge status={job.status} />;
}

/** "Finished, 23 failed". */
export function finishedText(failed: number): string {
  return `Finished, ${formatCount(failed)} failed`;
}

/** A done row whose answer stopped at the output limit: it is there, but incomplete. */
export function isCutOff(row: Pick<RowResult, 'status' | 'finish'>): boolean {
  return row.status === 'done' && row.finish === 'length';
}

/** A row's badge: its status, or what kind of done it is (from the cache, cut off). */
export function RowBadge({ row }: { row: Pick<RowResult, 'status' | 'finish' | 'cached'> }) {
  if (row.cached && row.status === 'done') {
    return (
      <span className="badge badge-cached" title="An identical earlier request was answered: reused, nothing sent">
        Cached
      </span>
    );
  }
  if (isCutOff(row)) {
    return (
      <span className="badge badge-cut-off" title="The answer stopped at the output limit: it is incomplete">
        Cut off
      </span>
    );
  }
  return <StatusBadge status={row.status} />;
}
