import { useEffect, useMemo, useState } from 'react';
import type { JobDetail, RowStatus, RowView } from '../../../shared/api.ts';
import { ExportButton } from '../components/ExportDialog.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { RowsTable } from '../components/RowsTable.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useApi } from '../api.ts';
import { useJobRows } from '../hooks/useJobRows.ts';
import { errorMessage, formatCount } from '../format.ts';

type Filter = 'all' | RowStatus;
const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'running', label: 'Running' },
  { id: 'done', label: 'Done' },
  { id: 'failed', label: 'Failed' },
  { id: 'queued', label: 'Queued' },
  { id: 'skipped', label: 'Skipped' },
];

export function JobScreen({ jobId }: { jobId: string }) {
  const api = useApi();
  const [job, setJob] = useState<JobDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>('all');
  const [exportMessage, setExportMessage] = useState<string | null>(null);
  const { rows, error: rowsError } = useJobRows(jobId);

  useEffect(() => {
    api.getJob({ jobId }).then(setJob, (e: unknown) => setError(errorMessage(e)));
    return api.on('job', (summary) => {
      if (summary.id === jobId) setJob((current) => (current ? { ...current, ...summary } : current));
    });
  }, [api, jobId]);

  const visible = useMemo<RowView[]>(
    () => (rows && filter !== 'all' ? rows.filter((row) => row.status === filter) : (rows ?? [])),
    [rows, filter],
  );

  const failure = error ?? rowsError;
  if (failure) {
    return (
      <p role="alert" className="error-box">
        {failure} <a href="#/jobs">Back to jobs</a>
      </p>
    );
  }
  if (!job) return <p className="muted">Loading…</p>;
  const { counts } = job;
  const finished = counts.done + counts.failed + counts.skipped;

  return (
    <div className="job-view">
      <div className="job-header">
        <div className="job-title">
          <a href="#/jobs" className="back">
            ‹ Jobs
          </a>
          <h1>{job.name}</h1>
          <span className="muted">
            {job.fileName} · {job.provider.kind === 'demo' ? 'Demo (offline)' : job.provider.model}
          </span>
          <StatusBadge status={job.status} />
        </div>
        <div className="job-actions">
          <ExportButton job={job} onResult={setExportMessage} />
        </div>
      </div>
      {exportMessage && (
        <p role="status" className="muted small">
          {exportMessage}
        </p>
      )}
      <div className="job-progress">
        <ProgressBar counts={counts} label="Job progress" />
        <p className="progress-text" aria-live="polite">
          <span className="tabular">
            {formatCount(finished)} / {formatCount(counts.total)}
          </span>
          <span className="ok">✓ {formatCount(counts.done)} done</span>
          <span className="bad">✗ {formatCount(counts.failed)} failed</span>
          {counts.running > 0 && <span>{formatCount(counts.running)} running</span>}
          {counts.queued > 0 && <span className="muted">{formatCount(counts.queued)} queued</span>}
        </p>
      </div>
      <div className="filters" role="group" aria-label="Show rows">
        {FILTERS.filter(({ id }) => id !== 'skipped' || counts.skipped > 0).map(({ id, label }) => {
          const count = id === 'all' ? counts.total : counts[id];
          return (
            <button
              type="button"
              key={id}
              className={`filter${filter === id ? ' active' : ''}`}
              aria-pressed={filter === id}
              onClick={() => setFilter(id)}
            >
              {label} <span className="tabular">{formatCount(count)}</span>
            </button>
          );
        })}
      </div>
      {rows ? <RowsTable rows={visible} inputColumns={job.columns} /> : <p className="muted">Loading rows…</p>}
    </div>
  );
}
