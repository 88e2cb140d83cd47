import type { JobSummary } from '../../../shared/api.ts';
import { rateLimitWaitText } from '../../../shared/live.ts';
import { formatCompact, formatCost, formatCount, formatDuration } from '../format.ts';
import type { LiveSample } from '../hooks/useLiveSamples.ts';
import { hrefOf } from '../router.ts';
import { LiveChart } from './LiveChart.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/**
 * How far, how fast, how much on the left; the last ten minutes beside it. `cells`: the counts are
 * cells (a job with several AI columns), and say so.
 */
export function JobOverview({ job, samples, cells }: { job: JobSummary; samples: LiveSample[]; cells: boolean }) {
  const { counts, live, usage } = job;
  const finished = counts.done + counts.failed + counts.skipped;
  const remaining = counts.queued + counts.running;
  const perMinute = live?.rowsPerMinute ?? 0;
  // The engine's own figure: it follows the concurrency in use, the latency, the limits and any wait.
  const eta = job.status === 'running' && !job.settings.batch ? (live?.secondsLeft ?? null) : null;
  // The engine sends the job every second while it runs, so the countdown moves.
  const waitText = job.status === 'running' ? rateLimitWaitText(live) : null;
  const costPerRow = usage.cost !== null && counts.done > 0 ? usage.cost / counts.done : null;
  const estimatedTotal = costPerRow === null ? null : usage.cost! + costPerRow * remaining;

  return (
    <div className="job-overview">
      <div className="job-progress">
        <ProgressBar counts={counts} label="Job progress" />
        <p className="progress-text" aria-live="polite">
          <span className="tabular strong">
            {formatCount(finished)} / {formatCount(counts.total)}
            {cells && ' cells'}
          </span>
          <span className="ok">✓ {formatCount(counts.done)} done</span>
          <span className="bad">✗ {formatCount(counts.failed)} failed</span>
          {job.cutOff > 0 && <span className="warning-text">{formatCount(job.cutOff)} cut off</span>}
          {counts.skipped > 0 && <span className="muted">{formatCount(counts.skipped)} skipped</span>}
          {job.status === 'running' && !job.settings.batch && <span className="muted">ETA {formatDuration(eta)}</span>}
        </p>
        {live ? (
          <p className="stats-line tabular">
            <span>{formatCount(perMinute)} rows/min</span>
            <span>{formatCompact(live.tokensPerMinute)} tokens/min</span>
            <span>
              {usage.cost === null ? <NoPrice /> : `${formatCost(usage.cost)} so far`}
              {estimatedTotal !== null && remaining > 0 && (
                <span className="muted"> (est. total {formatCost(estimatedTotal)})</span>
              )}
            </span>
            {live.rateLimited > 0 && <span className="warning-text">{formatCount(live.rateLimited)} × 429</span>}
            {waitText && (
              <span className="warning-text" role="status">
                {waitText}
              </span>
            )}
          </p>
        ) : (
          <p className="stats-line tabular">
            <span>
              {formatCompact(usage.promptTokens + usage.completionTokens)} tokens used (
              {formatCompact(usage.promptTokens)} in, {formatCompact(usage.completionTokens)} out)
            </span>
            <span>{usage.cost === null ? <NoPrice /> : `cost ${formatCost(usage.cost)}`}</span>
          </p>
        )}
      </div>

      {samples.length >= 2 && <LiveChart samples={samples} />}
    </div>
  );
}

/** A cost we cannot tell, and where to fix that: answers so far are priced as soon as the price is added. */
function NoPrice() {
  return (
    <>
      cost unknown: no price for this model.{' '}
      <a href={hrefOf({ screen: 'settings', section: 'prices' })}>Add its price</a>
    </>
  );
}
