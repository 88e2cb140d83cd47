import type { JobStatus, RowStatus } from '../../../shared/api.ts';

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
