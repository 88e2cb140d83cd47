import { startTransition, useEffect, useState } from 'react';
import type { RowResult, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';

/**
 * The rows of one job, live: a snapshot, then batched upserts. Batches that arrive
 * before the snapshot are held and applied only if newer than it; one re-render per batch.
 */
export function useJobRows(jobId: string): { rows: RowView[] | null; error: string | null } {
  const api = useApi();
  const [rows, setRows] = useState<RowView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let snapshotSeq: number | null = null;
    let early: { seq: number; upserts: RowResult[] }[] = [];
    let cancelled = false;

    const apply = (current: RowView[] | null, upserts: RowResult[]): RowView[] | null => {
      if (!current) return current;
      const next = current.slice();
      for (const upsert of upserts) {
        const existing = next[upsert.index];
        if (existing) next[upsert.index] = { ...existing, ...upsert };
      }
      return next;
    };

    // Big tables re-render less often: upserts are merged and applied at most every `interval` ms,
    // as a transition, so typing and the sliders always come first.
    let pending: RowResult[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let size = 0;
    const flush = (): void => {
      timer = undefined;
      const upserts = pending;
      pending = [];
      startTransition(() => setRows((current) => apply(current, upserts)));
    };
    const unsubscribe = api.on('rows', (batch) => {
      if (batch.jobId !== jobId) return;
      if (snapshotSeq === null) {
        early.push(batch);
        return;
      }
      if (batch.seq <= snapshotSeq) return;
      pending.push(...batch.upserts);
      const interval = size > 50_000 ? 500 : size > 10_000 ? 250 : 0;
      if (interval === 0) flush();
      else timer ??= setTimeout(flush, interval);
    });

    api.getRows({ jobId }).then(
      (snapshot) => {
        if (cancelled) return;
        snapshotSeq = snapshot.seq;
        let current: RowView[] | null = snapshot.rows;
        for (const batch of early) if (batch.seq > snapshot.seq) current = apply(current, batch.upserts);
        early = [];
        size = current?.length ?? 0;
        setRows(current);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [api, jobId]);

  return { rows, error };
}
