import { startTransition, useEffect, useState } from 'react';
import type { RowResult, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';

/**
 * The rows of one job, live: a snapshot, then batched upserts. Batches that arrive
 * before the snapshot are held and applied only if newer than it.
 *
 * The array and its row objects are updated in place and `version` counts the updates:
 * a 100,000-row table then re-renders the rows on screen without rebuilding its model.
 */
export function useJobRows(jobId: string): { rows: RowView[] | null; version: number; error: string | null } {
  const api = useApi();
  const [rows, setRows] = useState<RowView[] | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let snapshotSeq: number | null = null;
    let early: { seq: number; upserts: RowResult[] }[] = [];
    let cancelled = false;

    let current: RowView[] | null = null;
    const apply = (upserts: RowResult[]): void => {
      if (!current) return;
      for (const upsert of upserts) {
        const existing = current[upsert.index];
        if (existing) Object.assign(existing, upsert);
      }
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
      apply(upserts);
      startTransition(() => setVersion((v) => v + 1));
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
        current = snapshot.rows;
        for (const batch of early) if (batch.seq > snapshot.seq) apply(batch.upserts);
        early = [];
        size = current.length;
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

  return { rows, version, error };
}
