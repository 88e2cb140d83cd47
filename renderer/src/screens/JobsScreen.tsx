import { useCallback, useEffect, useState } from 'react';
import type { JobSummary } from '../../../shared/api.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useApi } from '../api.ts';
import { errorMessage, formatCount, formatDate } from '../format.ts';
import { navigate } from '../router.ts';

export function JobsScreen() {
  const api = useApi();
  const [jobs, setJobs] = useState<JobSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    api.listJobs({}).then(setJobs, (e: unknown) => setError(errorMessage(e)));
  }, [api]);

  useEffect(() => {
    load();
    return api.on('job', (summary) => {
      setJobs((current) => current?.map((job) => (job.id === summary.id ? summary : job)) ?? current);
    });
  }, [api, load]);

  if (error)
    return (
      <p role="alert" className="error-box">
        {error}
      </p>
    );
  if (!jobs) return <p className="muted">Loading jobs…</p>;
  if (jobs.length === 0) {
    return (
      <section className="empty-state">
        <h1>Run an AI model over every row of a spreadsheet</h1>
        <p>
          Import a CSV file, write one prompt with the column names in <code>{'{{double braces}}'}</code>, and Rowbot
          sends it once per row and collects the answers in a new column. Try it right away with the built-in Demo
          model: no account needed.
        </p>
        <button type="button" className="primary large" onClick={() => navigate({ screen: 'new' })}>
          Start your first job
        </button>
      </section>
    );
  }
  return (
    <section>
      <h1>Jobs</h1>
      <table className="jobs-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">File</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col">Progress</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id}>
              <td>
                <a href={`#/jobs/${job.id}`}>{job.name}</a>
              </td>
              <td className="muted">{job.fileName}</td>
              <td className="muted">{formatDate(job.createdAt)}</td>
              <td className="num">{formatCount(job.counts.total)}</td>
              <td className="progress-cell">
                <ProgressBar counts={job.counts} label={`Progress of ${job.name}`} />
                <span className="muted small">
                  ✓ {formatCount(job.counts.done)} · ✗ {formatCount(job.counts.failed)}
                </span>
              </td>
              <td>
                <StatusBadge status={job.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
