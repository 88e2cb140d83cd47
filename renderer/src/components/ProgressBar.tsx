import type { JobCounts } from '../../../shared/api.ts';
import { formatCount } from '../format.ts';

export function ProgressBar({ counts, label }: { counts: JobCounts; label: string }) {
  const total = Math.max(1, counts.total);
  const finished = counts.done + counts.failed + counts.skipped;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={counts.total}
      aria-valuenow={finished}
      aria-valuetext={`${formatCount(finished)} of ${formatCount(counts.total)} rows finished`}
    >
      <span className="progress-done" style={{ width: `${(counts.done / total) * 100}%` }} />
      <span className="progress-skipped" style={{ width: `${(counts.skipped / total) * 100}%` }} />
      <span className="progress-failed" style={{ width: `${(counts.failed / total) * 100}%` }} />
      <span className="progress-running" style={{ width: `${(counts.running / total) * 100}%` }} />
    </div>
  );
}
