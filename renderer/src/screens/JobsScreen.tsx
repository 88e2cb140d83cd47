import { useEffect, useRef, useState } from 'react';
import { AlertDialog, Dialog, DropdownMenu } from 'radix-ui';
import type { JobSummary } from '../../../shared/api.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { JobBadge } from '../components/StatusBadge.tsx';
import { useApi } from '../api.ts';
import { errorMessage, formatCost, formatCount, formatDate } from '../format.ts';
import { navigate } from '../router.ts';

export function JobsScreen() {
  const api = useApi();
  const [jobs, setJobs] = useState<JobSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<JobSummary | null>(null);
  const [deleting, setDeleting] = useState<JobSummary | null>(null);
  const [search, setSearch] = useState('');
  const searchBox = useRef<HTMLInputElement>(null);

  // "/" anywhere on the list (outside a text field) goes to the search box, as in many web apps.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
      event.preventDefault();
      searchBox.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    // Answers and events travel apart: keep the newest summary (highest rev) of each job.
    const newest = new Map<string, JobSummary>();
    api.listJobs({}).then(
      (list) =>
        setJobs(list.map((job) => ((newest.get(job.id)?.rev ?? 0) > job.rev ? (newest.get(job.id) ?? job) : job))),
      (e: unknown) => setError(errorMessage(e)),
    );
    const offJob = api.on('job', (summary) => {
      newest.set(summary.id, summary);
      setJobs((current) => {
        if (!current) return current;
        if (!current.some((job) => job.id === summary.id)) return [summary, ...current];
        return current.map((job) => (job.id === summary.id && summary.rev > job.rev ? summary : job));
      });
    });
    const offDeleted = api.on('jobDeleted', ({ jobId }) =>
      setJobs((current) => current?.filter((job) => job.id !== jobId) ?? current),
    );
    return () => {
      offJob();
      offDeleted();
    };
  }, [api]);

  async function act(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (!jobs && !error) return <p className="muted">Loading jobs…</p>;
  if (jobs && jobs.length === 0) {
    return (
      <section className="empty-state">
        <h1>Run an AI model over every row of a spreadsheet</h1>
        <p>
          Import a spreadsheet, write one prompt with the column names in <code>{'{{double braces}}'}</code>, and Rowbot
          sends it once per row and collects the answers in a new column. Try it right away with the built-in Demo
          model: no account needed.
        </p>
        <button type="button" className="primary large" onClick={() => navigate({ screen: 'new' })}>
          Start your first job
        </button>
      </section>
    );
  }
  const needle = search.trim().toLocaleLowerCase();
  const shown = (jobs ?? []).filter((job) => matchesJob(job, needle));
  return (
    <section>
      <div className="jobs-header">
        <h1>Jobs</h1>
        <input
          ref={searchBox}
          type="search"
          className="search jobs-search"
          aria-label="Search jobs"
          aria-keyshortcuts="/"
          placeholder="Search by name, file, model or prompt  ( / )"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        {needle !== '' && (
          <span className="muted small" role="status">
            {shown.length === 1 ? '1 job' : `${formatCount(shown.length)} jobs`} of {formatCount(jobs?.length ?? 0)}
          </span>
        )}
      </div>
      {error && (
        <p role="alert" className="error-box">
          {error}
        </p>
      )}
      {shown.length === 0 && needle !== '' && (
        <p className="muted">
          No job matches “{search.trim()}”.{' '}
          <button type="button" className="link" onClick={() => setSearch('')}>
            Clear the search
          </button>
        </p>
      )}
      <table className="jobs-table" hidden={shown.length === 0}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">File</th>
            <th scope="col">Model</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col">Progress</th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((job) => (
            <tr key={job.id}>
              <td className="job-name-cell">
                <a href={`#/jobs/${job.id}`}>{job.name}</a>
                {job.promptStart && (
                  <span className="muted small prompt-start" title={job.promptStart}>
                    {job.promptStart}
                  </span>
                )}
              </td>
              <td className="muted">{job.fileName}</td>
              <td className="muted model-cell" title={modelOf(job)}>
                {modelOf(job)}
              </td>
              <td className="muted">{formatDate(job.createdAt)}</td>
              <td className="num">{formatCount(job.counts.total)}</td>
              <td>
                <div className="progress-cell">
                  <ProgressBar counts={job.counts} label={`Progress of ${job.name}`} />
                  <span className="muted small">
                    ✓ {formatCount(job.counts.done)} done
                    {job.counts.failed > 0 && (
                      <span className="warning-text"> · {formatCount(job.counts.failed)} failed</span>
                    )}
                    {job.cutOff > 0 && <span className="warning-text"> · {formatCount(job.cutOff)} cut off</span>}
                  </span>
                </div>
              </td>
              <td className="num">{formatCost(job.usage.cost)}</td>
              <td>
                <JobBadge job={job} />
              </td>
              <td>
                {/* Not modal: a modal menu injects a <style> the UI's CSP refuses. */}
                <DropdownMenu.Root modal={false}>
                  <DropdownMenu.Trigger asChild>
                    <button type="button" className="small-button" aria-label={`Actions for ${job.name}`}>
                      ⋯
                    </button>
                  </DropdownMenu.Trigger>
                  <DropdownMenu.Portal>
                    <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
                      <DropdownMenu.Item
                        className="menu-item"
                        onSelect={() => navigate({ screen: 'job', jobId: job.id })}
                      >
                        Open
                      </DropdownMenu.Item>
                      <DropdownMenu.Item
                        className="menu-item"
                        disabled={job.status === 'running'}
                        onSelect={() => navigate({ screen: 'edit', jobId: job.id })}
                      >
                        {job.status === 'running'
                          ? 'Edit prompt and settings (pause first)'
                          : 'Edit prompt and settings…'}
                      </DropdownMenu.Item>
                      <DropdownMenu.Item className="menu-item" onSelect={() => setRenaming(job)}>
                        Rename…
                      </DropdownMenu.Item>
                      <DropdownMenu.Item
                        className="menu-item"
                        onSelect={() =>
                          void act(async () =>
                            // A copy is made to be changed: it opens in the edit form.
                            navigate({ screen: 'edit', jobId: (await api.duplicateJob({ jobId: job.id })).id }),
                          )
                        }
                      >
                        Duplicate and edit…
                      </DropdownMenu.Item>
                      <DropdownMenu.Separator className="menu-separator" />
                      <DropdownMenu.Item className="menu-item danger" onSelect={() => setDeleting(job)}>
                        Delete…
                      </DropdownMenu.Item>
                    </DropdownMenu.Content>
                  </DropdownMenu.Portal>
                </DropdownMenu.Root>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <RenameDialog
        job={renaming}
        onClose={() => setRenaming(null)}
        onRename={(job, name) => act(() => api.renameJob({ jobId: job.id, name }))}
      />

      <AlertDialog.Root open={deleting !== null} onOpenChange={(open) => !open && setDeleting(null)}>
        <AlertDialog.Portal>
          <AlertDialog.Overlay className="drawer-overlay" />
          <AlertDialog.Content className="modal">
            <AlertDialog.Title>Delete “{deleting?.name}”?</AlertDialog.Title>
            <AlertDialog.Description>
              Its {formatCount(deleting?.counts.total ?? 0)} rows and their results are removed from Rowbot. Export them
              first if you need them. This cannot be undone.
            </AlertDialog.Description>
            <div className="dialog-actions">
              <AlertDialog.Cancel asChild>
                <button type="button">Keep it</button>
              </AlertDialog.Cancel>
              <AlertDialog.Action asChild>
                <button
                  type="button"
                  className="danger"
                  onClick={() => deleting && void act(() => api.deleteJob({ jobId: deleting.id }))}
                >
                  Delete job
                </button>
              </AlertDialog.Action>
            </div>
          </AlertDialog.Content>
        </AlertDialog.Portal>
      </AlertDialog.Root>
    </section>
  );
}

function modelOf(job: JobSummary): string {
  return job.provider.kind === 'demo' ? 'Demo (offline)' : job.provider.model;
}

/** The search: every word typed is in the job's name, file, model or prompt. */
function matchesJob(job: JobSummary, needle: string): boolean {
  if (needle === '') return true;
  const hay = [job.name, job.fileName, modelOf(job), job.promptStart].join('\n').toLocaleLowerCase();
  return needle.split(/\s+/).every((word) => hay.includes(word));
}

function RenameDialog({
  job,
  onClose,
  onRename,
}: {
  job: JobSummary | null;
  onClose: () => void;
  onRename: (job: JobSummary, name: string) => Promise<void>;
}) {
  return (
    <Dialog.Root open={job !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="drawer-overlay" />
        <Dialog.Content className="modal" aria-describedby={undefined}>
          <Dialog.Title>Rename job</Dialog.Title>
          {job && <RenameForm key={job.id} job={job} onClose={onClose} onRename={onRename} />}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function RenameForm({
  job,
  onClose,
  onRename,
}: {
  job: JobSummary;
  onClose: () => void;
  onRename: (job: JobSummary, name: string) => Promise<void>;
}) {
  const [name, setName] = useState(job.name);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim()) void onRename(job, name).then(onClose);
      }}
    >
      <label className="field">
        <span>Name</span>
        <input type="text" value={name} onChange={(event) => setName(event.target.value)} autoFocus />
      </label>
      <div className="dialog-actions">
        <Dialog.Close asChild>
          <button type="button">Cancel</button>
        </Dialog.Close>
        <button type="submit" className="primary" disabled={!name.trim()}>
          Rename
        </button>
      </div>
    </form>
  );
}
