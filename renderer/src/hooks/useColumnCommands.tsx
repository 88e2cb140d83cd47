import { useCallback, useMemo, useState } from 'react';
import type { CommandInputs, JobDetail, JobSummary, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { ColumnDialog, type ColumnDraft } from '../components/ColumnDialog.tsx';
import type { ColumnActions } from '../components/columnsContext.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { CompareDialog, RenameDialog } from '../components/RenameCompareDialogs.tsx';
import { errorMessage, formatCount, plural } from '../format.ts';

type Open = { kind: 'add' } | { kind: 'edit' | 'rename' | 'compare' | 'remove' | 'runAgain'; col: number } | null;

type RunCells = Omit<CommandInputs['runCells'], 'jobId'>;

interface Options {
  job: JobDetail | null;
  rows: readonly RowView[] | null;
  /** A new JobDetail from a column command. */
  onDetail: (detail: JobDetail) => void;
  onSummary: (summary: JobSummary) => void;
  onMessage: (message: string) => void;
}

/**
 * What the job view does with AI columns: add, edit, rename, compare, move, remove, and run cells;
 * with the dialogs these open. `dialogs` goes into the view; `actions` into the column headers.
 */
export function useColumnCommands({ job, rows, onDetail, onSummary, onMessage }: Options) {
  const api = useApi();
  const [open, setOpen] = useState<Open>(null);
  const jobId = job?.id ?? '';
  const aiColumns = job?.aiColumns;
  const nameOf = useCallback((col: number) => aiColumns?.find((c) => c.id === col)?.name ?? 'the column', [aiColumns]);

  /** Cells back to the queue, and the job running if it is not. */
  const runCells = useCallback(
    async (input: RunCells, what: string): Promise<void> => {
      try {
        const { requeued, job: summary } = await api.runCells({ jobId, ...input });
        onSummary(summary);
        if (requeued > 0 && summary.status !== 'running') onSummary(await api.startJob({ jobId }));
        onMessage(requeued === 0 ? `No ${what} to run.` : `${plural(requeued, 'cell')} (${what}) sent to the queue.`);
      } catch (e) {
        onMessage(errorMessage(e));
      }
    },
    [api, jobId, onMessage, onSummary],
  );

  const startNewCells = useCallback(
    async (detail: JobDetail): Promise<void> => {
      if (detail.status !== 'running') onSummary(await api.startJob({ jobId }));
    },
    [api, jobId, onSummary],
  );

  const command = useCallback(
    async (run: () => Promise<JobDetail>, done: (detail: JobDetail) => string | null): Promise<void> => {
      try {
        const detail = await run();
        onDetail(detail);
        const message = done(detail);
        if (message) onMessage(message);
      } catch (e) {
        onMessage(errorMessage(e));
      }
    },
    [onDetail, onMessage],
  );

  const actions = useMemo<ColumnActions>(
    () => ({
      edit: (col) => setOpen({ kind: 'edit', col }),
      rename: (col) => setOpen({ kind: 'rename', col }),
      compare: (col) => setOpen({ kind: 'compare', col }),
      remove: (col) => setOpen({ kind: 'remove', col }),
      runAgain: (col) => setOpen({ kind: 'runAgain', col }),
      duplicate: (col) =>
        void command(
          () => api.duplicateColumn({ jobId, col }),
          (detail) => {
            const copy = detail.aiColumns[detail.aiColumns.findIndex((c) => c.id === col) + 1];
            return `${nameOf(col)} duplicated as ${copy?.name ?? 'a new column'}: press ${detail.status === 'ready' ? 'Start' : 'Resume'} to run its cells.`;
          },
        ),
      move: (col, step) => {
        const at = aiColumns?.findIndex((c) => c.id === col) ?? -1;
        void command(
          () => api.moveColumn({ jobId, col, position: at + step }),
          () => `${nameOf(col)} moved ${step < 0 ? 'left' : 'right'}.`,
        );
      },
      runStale: (col) => void runCells({ which: 'stale', col }, `stale in ${nameOf(col)}`),
      retryFailed: (col) => void runCells({ which: 'failed', col }, `failed in ${nameOf(col)}`),
    }),
    [api, jobId, aiColumns, command, nameOf, runCells],
  );

  const close = (): void => setOpen(null);
  const column = open && open.kind !== 'add' ? aiColumns?.find((c) => c.id === open.col) : undefined;
  let dialogs: React.ReactNode = null;
  if (job && open?.kind === 'add') {
    dialogs = (
      <ColumnDialog
        job={job}
        rows={rows}
        onClose={close}
        onSave={async (draft: ColumnDraft, run) => {
          const detail = await api.addColumn({ jobId, column: draft });
          onDetail(detail);
          const added = detail.aiColumns.at(-1);
          const cells = detail.columnStats.find((s) => s.id === added?.id)?.counts.queued ?? 0;
          if (run) await startNewCells(detail);
          onMessage(
            run
              ? `${draft.name} added: ${plural(cells, 'cell')} running.`
              : `${draft.name} added: press ${detail.status === 'ready' ? 'Start' : 'Resume'} to run its ${plural(cells, 'cell')}.`,
          );
        }}
      />
    );
  } else if (job && column && open?.kind === 'edit') {
    dialogs = (
      <ColumnDialog
        job={job}
        column={column}
        rows={rows}
        onClose={close}
        onSave={async (draft, run) => {
          const detail = await api.updateColumn({
            jobId,
            col: column.id,
            ...(draft.name !== column.name ? { name: draft.name } : {}),
            template: draft.template,
            systemPrompt: draft.systemPrompt,
            provider: draft.provider,
            options: draft.options,
            useCorrections: draft.useCorrections,
          });
          onDetail(detail);
          const stale = detail.columnStats.reduce((sum, s) => sum + s.stale, 0);
          if (run) await runCells({ which: 'stale' }, 'stale');
          // The engine says what became stale in the job's banner; otherwise it is said here.
          else
            onMessage(
              stale > 0 && !detail.pauseReason
                ? `${draft.name} saved: ${plural(stale, 'cell')} stale. Run them with “Run stale cells”.`
                : `${draft.name} saved.`,
            );
        }}
      />
    );
  } else if (column && open?.kind === 'rename') {
    dialogs = (
      <RenameDialog
        column={column}
        onClose={close}
        onRename={async (name) => {
          onDetail(await api.updateColumn({ jobId, col: column.id, name }));
          onMessage(`${column.name} renamed to ${name}.`);
        }}
      />
    );
  } else if (job && column && open?.kind === 'compare') {
    dialogs = (
      <CompareDialog
        job={job}
        column={column}
        onClose={close}
        onCompare={async (name, provider) => {
          const detail = await api.duplicateColumn({ jobId, col: column.id, name, provider });
          onDetail(detail);
          await startNewCells(detail);
          onMessage(`${name} added beside ${column.name}: its answers are coming.`);
        }}
      />
    );
  } else if (column && open?.kind === 'remove') {
    dialogs = (
      <ConfirmDialog
        title={`Remove ${column.name}?`}
        confirmLabel="Remove column"
        keepLabel="Keep it"
        onClose={close}
        onConfirm={() =>
          void command(
            () => api.removeColumn({ jobId, col: column.id }),
            () => `${column.name} removed.`,
          )
        }
      >
        <p>Its answers and what they cost leave the job. This cannot be undone.</p>
      </ConfirmDialog>
    );
  } else if (job && column && open?.kind === 'runAgain') {
    const total = job.columnStats.find((s) => s.id === column.id)?.counts.total ?? 0;
    dialogs = (
      <ConfirmDialog
        title={`Run ${column.name} again?`}
        confirmLabel={`Run ${plural(total, 'cell')} again`}
        keepLabel="Keep the answers"
        onClose={close}
        onConfirm={() => void runCells({ which: 'all', col: column.id }, `all of ${column.name}`)}
      >
        <p>
          Its {formatCount(total)} answers are cleared and asked again (answers you corrected by hand are kept). It
          costs about as much as the first run.
        </p>
      </ConfirmDialog>
    );
  }

  return { actions, dialogs, runCells, openAdd: () => setOpen({ kind: 'add' }) };
}
