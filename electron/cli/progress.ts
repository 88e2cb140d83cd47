import type { JobSummary } from '../../shared/api.ts';
import { rateLimitWaitText } from '../../shared/live.ts';

const WIDTH = 28;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** One line: bar, counts, rows per second and ETA, redrawn in place on a terminal. */
export function progressLine(job: JobSummary, startedAt: number, startDone: number, now = performance.now()): string {
  const { done, failed, total } = job.counts;
  const finished = done + failed;
  const filled = total === 0 ? WIDTH : Math.round((finished / total) * WIDTH);
  const elapsed = (now - startedAt) / 1000;
  const rate = elapsed > 0.5 ? (finished - startDone) / elapsed : 0;
  // The engine's figure follows the settings and the provider's waits; the average since the start, before it has one.
  const left = job.live?.secondsLeft ?? (rate > 0 ? (total - finished) / rate : null);
  const eta = left === null ? '—' : formatDuration(left);
  const wait = rateLimitWaitText(job.live);
  const waiting = wait ? `  ${wait}` : '';
  return (
    `[${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${finished.toLocaleString('en-US')}/${total.toLocaleString('en-US')}` +
    `  ✓ ${done.toLocaleString('en-US')}  ✗ ${failed.toLocaleString('en-US')}  ${rate.toFixed(1)} rows/s  ETA ${eta}${waiting}`
  );
}
