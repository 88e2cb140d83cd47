import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RowSelectionState } from '@tanstack/react-table';
import type { ColumnSummary, JobDetail, JobSummary, RowView } from '../../../shared/api.ts';
import { BatchPanel } from '../components/BatchPanel.tsx';
import { JobOverview } from '../components/JobOverview.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ExportButton } from '../components/ExportDialog.tsx';
import { RetryCutOffDialog } from '../components/RetryCutOffDialog.tsx';
import { RowDrawer, type CellRef } from '../components/RowDrawer.tsx';
import { inFilter, matches, RowFilters, type Filter } from '../components/RowFilters.tsx';
import { RowsTable, type AnswerColumn } from '../components/RowsTable.tsx';
import { RunControls, type RetryHow } from '../components/RunControls.tsx';
import { JobBadge } from '../components/StatusBadge.tsx';
import { ColumnsContext, type ColumnsView } from '../components/columnsContext.ts';
import { useApi } from '../api.ts';
import { rowStatus, usesSeveralModels } from '../cells.ts';
import { useColumnCommands } from '../hooks/useColumnCommands.tsx';
import { hrefOf } from '../router.ts';
import { useJobRows } from '../hooks/useJobRows.ts';
import { useLiveSamples } from '../hooks/useLiveSamples.ts';
import { errorMessage, formatCount, plural } from '../format.ts';

const NO_STATS: ColumnSummary[] = [];

export function JobScreen({ jobId }: { jobId: string }) {
  const api = useApi();
  const [job, setJob] = useState<JobDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>('all');
  // The AI column the status filters look at (null: any of them).
  const [filterCol, setFilterCol] = useState<number | null>(null);
  const [search, setSearch] = useState('');
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [openCell, setOpenCell] = useState<CellRef | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [retryingCutOff, setRetryingCutOff] = useState(false);
  const [rerunningRows, setRerunningRows] = useState<number[] | null>(null);
  // Counts the changes to the job's AI columns made here: each takes a new snapshot of the rows.
  const [columnsEpoch, setColumnsEpoch] = useState(0);
  const { rows, live: liveRows, error: rowsError } = useJobRows(jobId, String(columnsEpoch));
  const samples = useLiveSamples(jobId);

  // Whichever arrives last, an answer or an event, the newest summary (highest rev) wins.
  const showSummary = useCallback((summary: JobSummary) => {
    setJob((current) => (current && summary.rev > current.rev ? { ...current, ...summary } : current));
  }, []);

  useEffect(() => {
    // Summaries come several times a second while a job runs: the newest of a frame is shown, as a
    // transition, so a click or a key press never waits for the header to redraw.
    let newest: JobSummary | null = null;
    let frame: number | undefined;
    const unsubscribe = api.on('job', (summary) => {
      if (summary.id !== jobId || (newest && summary.rev <= newest.rev)) return;
      newest = summary;
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        const shown = newest;
        if (shown) startTransition(() => showSummary(shown));
      });
    });
    api.getJob({ jobId }).then(
      (detail) => setJob(newest && newest.rev > detail.rev ? { ...detail, ...newest } : detail),
      (e: unknown) => setError(errorMessage(e)),
    );
    return () => {
      unsubscribe();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [api, jobId, showSummary]);

  /** A JobDetail from a column command: the columns changed, and the rows are fetched again. */
  const showDetail = useCallback((detail: JobDetail) => {
    setJob((current) => (current && current.rev > detail.rev ? { ...detail, ...stripDetail(current) } : detail));
    setColumnsEpoch((n) => n + 1);
  }, []);
  const columnCommands = useColumnCommands({
    job,
    rows,
    onDetail: showDetail,
    onSummary: showSummary,
    onMessage: setMessage,
  });
  const { runCells } = columnCommands;

  const needle = search.trim().toLocaleLowerCase();
  // Stable while only counts change, so the table is not rebuilt for each summary.
  const answersKey = JSON.stringify(
    job?.aiColumns.map((column) => [
      column,
      (column.options.jsonOutput !== undefined ? column.options.jsonOutput : job.settings.jsonOutput)?.fields.map(
        (f) => f.name,
      ) ?? [],
    ]) ?? [],
  );
  const answers = useMemo<AnswerColumn[]>(
    () =>
      (JSON.parse(answersKey) as [AnswerColumn['column'], string[]][]).map(([column, jsonFields]) => ({
        column,
        jsonFields,
      })),
    [answersKey],
  );
  const aiColumns = useMemo(() => answers.map((answer) => answer.column), [answers]);
  const columnStats = job?.columnStats ?? NO_STATS;
  const running = job?.status === 'running';
  const columnsView = useMemo<ColumnsView>(
    () => ({
      columns: aiColumns,
      stats: new Map(columnStats.map((stat) => [stat.id, stat])),
      running,
      severalModels: usesSeveralModels(aiColumns),
      live: liveRows,
      actions: columnCommands.actions,
    }),
    [aiColumns, columnStats, running, liveRows, columnCommands.actions],
  );
  const visible = useMemo<RowView[]>(
    () => (rows ?? []).filter((row) => inFilter(row, filter, filterCol) && matches(row, needle)),
    [rows, filter, filterCol, needle],
  );
  const selectedFailed = useMemo(
    () =>
      Object.keys(selection)
        .map(Number)
        .filter((index) => {
          const row = rows?.[index];
          return row !== undefined && rowStatus(row) === 'failed';
        }),
    [selection, rows],
  );

  const several = aiColumns.length > 1;
  const retry = useCallback(
    (which: number[] | 'failed') => {
      if (several) {
        void runCells(which === 'failed' ? { which: 'failed' } : { which: 'failed', rows: which }, 'failed').then(() =>
          setSelection({}),
        );
        return;
      }
      api.retryRows({ jobId, rows: which }).then(
        ({ requeued, job: summary }) => {
          showSummary(summary);
          setMessage(`${plural(requeued, 'row')} sent back to the queue.`);
          setSelection({});
        },
        (e: unknown) => setMessage(errorMessage(e)),
      );
    },
    [api, jobId, showSummary, several, runCells],
  );
  const retryOne = useCallback((index: number) => retry([index]), [retry]);

  /** A batch job's failed rows go again live (batch off first) or in a new batch; others as the job runs. */
  const retryFailed = useCallback(
    async (how: RetryHow) => {
      try {
        if (how === 'live') await api.updateJobSettings({ jobId, settings: { batch: false } });
        const { requeued, job: summary } = await api.retryRows({ jobId, rows: 'failed' });
        showSummary(summary);
        // A finished job starts again by itself; a paused or canceled one is started here.
        if (requeued > 0 && summary.status !== 'running') showSummary(await api.startJob({ jobId }));
        setMessage(
          `${plural(requeued, 'failed row')} sent again${how === 'live' ? ' now (live)' : how === 'batch' ? ' in a new batch' : ''}.`,
        );
      } catch (e) {
        setMessage(errorMessage(e));
      }
    },
    [api, jobId, showSummary],
  );

  // Where the user was when a row's drawer opened, to go back there when it closes.
  const opener = useRef<{ element: HTMLElement | null; index: number } | null>(null);
  const firstColumn = aiColumns[0]?.id ?? 0;
  const openRowAt = useCallback(
    (index: number, col?: number) => {
      const element = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      opener.current = { element, index };
      setOpenCell({ index, col: col ?? firstColumn });
    },
    [firstColumn],
  );
  const closeRow = useCallback(() => {
    setOpenCell(null);
    const from = opener.current;
    opener.current = null;
    // Once the dialog is gone: the row's own "Open row N" button (also when the row itself was
    // clicked), else where the focus was before, else the table.
    requestAnimationFrame(() => {
      const button =
        from && document.querySelector<HTMLElement>(`.grid button[aria-label="Open row ${from.index + 1}"]`);
      const before = from?.element?.isConnected ? from.element : null;
      (button ?? before ?? document.querySelector<HTMLElement>('.grid-scroll'))?.focus();
    });
  }, []);

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
  const staleCells = job.columnStats.reduce((sum, stat) => sum + stat.stale, 0);
  const selectedRows = Object.keys(selection).map(Number);
  const remaining = counts.queued + counts.running;
  const endedWithFailures = remaining === 0 && counts.failed > 0;

  return (
    <div className="job-view">
      <div className="job-header">
        <div className="job-title">
          <a href="#/jobs" className="back">
            ‹ Jobs
          </a>
          <h1>{job.name}</h1>
          <span className="muted">
            {job.fileName} ·{' '}
            {several
              ? `${aiColumns.length} AI columns`
              : job.provider.kind === 'demo'
                ? 'Demo (offline)'
                : job.provider.model}
          </span>
          <JobBadge job={job} />
        </div>
        <div className="job-actions">
          {job.status !== 'running' && (
            <>
              <button type="button" onClick={columnCommands.openAdd}>
                + Add AI column
              </button>
              <button type="button" onClick={() => (window.location.hash = hrefOf({ screen: 'edit', jobId }))}>
                Edit prompt and settings
              </button>
            </>
          )}
          <ExportButton job={job} onResult={setMessage} />
        </div>
      </div>

      {job.pauseReason && job.status !== 'running' && (
        <p className={`banner ${job.pauseReason.startsWith('Paused:') ? 'banner-warning' : ''}`} role="status">
          {job.pauseReason}
        </p>
      )}

      <JobOverview job={job} samples={samples} cells={several} />

      <RunControls job={job} onJob={showSummary} onError={setMessage} onRetryFailed={(how) => void retryFailed(how)} />
      {job.batches.length > 0 && <BatchPanel job={job} />}

      {message && (
        <p role="status" className="muted small">
          {message}
        </p>
      )}

      <div className="table-toolbar">
        <RowFilters
          filter={filter}
          onFilter={setFilter}
          counts={counts}
          cutOff={job.cutOff}
          stale={staleCells}
          rows={several && rows ? rows.length : null}
          columns={several ? columnStats : NO_STATS}
          col={several && columnStats.some((stat) => stat.id === filterCol) ? filterCol : null}
          onCol={setFilterCol}
        />
        <input
          type="search"
          className="search"
          placeholder="Search rows"
          aria-label="Search rows"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        {selectedFailed.length > 0 && (
          <button type="button" onClick={() => retry(selectedFailed)}>
            Retry selected ({formatCount(selectedFailed.length)})
          </button>
        )}
        {selectedRows.length > 0 && (
          <button type="button" onClick={() => setRerunningRows(selectedRows)}>
            Run selected again ({formatCount(selectedRows.length)})
          </button>
        )}
        {staleCells > 0 && (
          <button type="button" className="stale-button" onClick={() => void runCells({ which: 'stale' }, 'stale')}>
            Run stale cells ({formatCount(staleCells)})
          </button>
        )}
        {!endedWithFailures && (
          // A job that ended with failures offers them beside "Finished, N failed" instead.
          <button type="button" disabled={counts.failed === 0} onClick={() => retry('failed')}>
            Retry all failed{counts.failed > 0 ? ` (${formatCount(counts.failed)})` : ''}
          </button>
        )}
        {job.cutOff > 0 && (
          <button type="button" onClick={() => setRetryingCutOff(true)}>
            Retry cut-off rows with a higher limit…
          </button>
        )}
      </div>
      {rerunningRows && (
        <ConfirmDialog
          title={`Run ${plural(rerunningRows.length, 'row')} again?`}
          confirmLabel="Run them again"
          keepLabel="Keep the answers"
          onClose={() => setRerunningRows(null)}
          onConfirm={() =>
            void runCells({ which: 'all', rows: rerunningRows }, 'selected rows').then(() => setSelection({}))
          }
        >
          <p>
            Their answers in {several ? `all ${aiColumns.length} AI columns` : 'the AI column'} are asked again and
            replaced (answers you corrected by hand are kept).
          </p>
        </ConfirmDialog>
      )}
      {retryingCutOff && (
        <RetryCutOffDialog job={job} rows={rows ?? []} onClose={() => setRetryingCutOff(false)} onResult={setMessage} />
      )}

      {columnCommands.dialogs}

      {rows ? (
        visible.length > 0 || rows.length === 0 ? (
          <ColumnsContext value={columnsView}>
            <RowsTable
              rows={visible}
              live={liveRows}
              answers={answers}
              inputColumns={job.columns}
              selection={selection}
              onSelectionChange={setSelection}
              onOpen={openRowAt}
              onRetry={retryOne}
            />
          </ColumnsContext>
        ) : (
          <p className="empty-rows muted">No rows match. Clear the search or choose another filter.</p>
        )
      ) : (
        <p className="muted">Loading rows…</p>
      )}

      <RowDrawer
        jobId={jobId}
        at={openCell}
        live={liveRows}
        columns={job.columns}
        aiColumns={aiColumns}
        outputLimit={job.settings.maxOutputTokens}
        running={running}
        onPickColumn={(col) => setOpenCell((current) => (current ? { ...current, col } : current))}
        onClose={closeRow}
        onRetry={({ index, col }) =>
          several ? void runCells({ which: 'failed', col, rows: [index] }, 'failed') : retry([index])
        }
        onRegenerate={({ index, col }) => void runCells({ which: 'all', col, rows: [index] }, 'this cell')}
        onEdit={async ({ index, col }, output) => {
          const { cell, job: summary } = await api.editCell({ jobId, index, col, output });
          liveRows.apply([cell]);
          showSummary(summary);
          setMessage(`Row ${formatCount(index + 1)}: answer corrected.`);
          // Cells that use it became stale: the rows are fetched again to show them so.
          if (aiColumns.some((column) => column.uses.includes(col))) setColumnsEpoch((n) => n + 1);
        }}
        onRetryCutOff={() => {
          setOpenCell(null);
          setRetryingCutOff(true);
        }}
      />
    </div>
  );
}

/** A summary's fields of a JobDetail, to lay a newer summary over an older detail. */
function stripDetail(detail: JobDetail): JobSummary {
  const { importSettings: _i, columns: _c, aiColumns: _a, template: _t, systemPrompt: _s, ...summary } = detail;
  return summary;
}
