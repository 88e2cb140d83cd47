import { BATCH_ENDED, type ColumnSummary, type JobSummary } from '../../shared/api.ts';
import { rateLimitWaitText } from '../../shared/live.ts';

const WIDTH = 28;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A job's AI columns as the progress shows them (none from an engine that does not list them). */
function columnsOf(job: JobSummary): readonly ColumnSummary[] {
  return (job as Partial<Pick<JobSummary, 'columnStats'>>).columnStats ?? [];
}

/**
 * Each AI column's cells finished, when the job has more than one: "summary 1,200/5,000 · label
 * 300/5,000 (✗ 2)". Null for a job of one column, whose counts are its rows.
 */
export function columnCountsText(job: JobSummary): string | null {
  const columns = columnsOf(job);
  if (columns.length < 2) return null;
  return columns
    .map(({ name, counts }) => {
      const finished = counts.done + counts.failed;
      const failed = counts.failed > 0 ? ` (✗ ${counts.failed.toLocaleString('en-US')})` : '';
      return `${name} ${finished.toLocaleString('en-US')}/${counts.total.toLocaleString('en-US')}${failed}`;
    })
    .join(' · ');
}

/**
 * One line: bar, counts, rate and ETA, redrawn in place on a terminal. The counts are cells (a
 * row's answer in one AI column): rows for a job of one column, cells and each column's for more.
 */
export function progressLine(job: JobSummary, startedAt: number, startDone: number, now = performance.now()): string {
  const { done, failed, total } = job.counts;
  const perColumn = columnCountsText(job);
  const unit = perColumn === null ? 'rows' : 'cells';
  const finished = done + failed;
  const filled = total === 0 ? WIDTH : Math.round((finished / total) * WIDTH);
  const elapsed = (now - startedAt) / 1000;
  const rate = elapsed > 0.5 ? (finished - startDone) / elapsed : 0;
  // The engine's figure follows the settings and the provider's waits; the average since the start, before it has one.
  const left = job.live?.secondsLeft ?? (rate > 0 ? (total - finished) / rate : null);
  const eta = left === null ? '—' : formatDuration(left);
  const wait = rateLimitWaitText(job.live) ?? batchText(job);
  const waiting = wait ? `  ${wait}` : '';
  return (
    `[${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${finished.toLocaleString('en-US')}/${total.toLocaleString('en-US')}` +
    `  ✓ ${done.toLocaleString('en-US')}  ✗ ${failed.toLocaleString('en-US')}  ${rate.toFixed(1)} ${unit}/s  ETA ${eta}` +
    `${perColumn === null ? '' : `  ${perColumn}`}${waiting}`
  );
}

/** A batch job's batches at the provider, in words: "batch in progress, 12,400 of 50,000 answered". */
export function batchText(job: JobSummary): string | null {
  const open = job.batches.filter((b) => !BATCH_ENDED.has(b.phase));
  if (open.length === 0) return null;
  const requests = open.reduce((n, b) => n + b.requests, 0);
  const answered = open.reduce((n, b) => n + b.succeeded + b.errored, 0);
  const words: Record<string, string> = {
    sending: 'sending the batch',
    checking: 'the provider is checking the batch',
    in_progress: 'batch in progress',
    finishing: 'the provider is finishing the batch',
    canceling: 'canceling the batch',
    collecting: 'collecting the results',
  };
  const phase = words[open[0]?.phase ?? ''] ?? 'batch at the provider';
  const many = open.length > 1 ? ` (${open.length} batches)` : '';
  return answered > 0
    ? `${phase}${many}, ${answered.toLocaleString('en-US')} of ${requests.toLocaleString('en-US')} answered`
    : `${phase}${many}, ${requests.toLocaleString('en-US')} rows`;
}
