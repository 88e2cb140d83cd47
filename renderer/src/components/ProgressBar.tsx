import type { JobCounts } from '../../../shared/api.ts';
import { formatCount } from '../format.ts';

/**
 * One segment per state, side by side. Each is the bar's full width, scaled and moved into place:
 * a change of transform glides on the compositor, where a change of width would lay out and
 * paint the page on every frame of the glide (most of the page's work while a big job runs).
 */
function segments(counts: JobCounts): { name: string; share: number; start: number }[] {
  const total = Math.max(1, counts.total);
  let start = 0;
  return (['done', 'skipped', 'failed', 'running'] as const).map((name) => {
    const share = counts[name] / total;
    const segment = { name, share, start };
    start += share;
    return segment;
  });
}

export function ProgressBar({ counts, label }: { counts: JobCounts; label: string }) {
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
      {segments(counts).map(({ name, share, start }) => (
        <span
          key={name}
          className={`progress-${name}`}
          style={{ transform: `translateX(${start * 100}%) scaleX(${share})` }}
        />
      ))}
    </div>
  );
}
