import { startTransition, useEffect, useMemo, useState } from 'react';
import type { RowResult, RowView } from '../../../shared/api.ts';
import { useApi } from '../api.ts';
import { errorMessage } from '../format.ts';

/**
 * A job's rows as they are now, each with its cells (one per AI column). The array, its rows and
 * their cells change in place; listeners hear which rows a batch changed, so only the parts of the screen that show rows re-render (the grid,
 * the open drawer), never the whole job view.
 */
export interface LiveRows {
  /** Null until the snapshot arrives. */
  readonly rows: RowView[] | null;
  /** Increases with each batch applied (never repeated, even by a store made for new columns). */
  readonly version: number;
  /** The batch that last changed row `index` (0: none since the snapshot), so unchanged rows skip rendering. */
  versionOf(index: number): number;
  subscribe(listener: (changed: ReadonlySet<number>) => void): () => void;
  /** Applies cells the backend answered with (an edit), as a batch would. */
  apply(upserts: readonly RowResult[]): void;
}

/**
 * Batches applied, counted across every store: a store made for new columns never repeats a version
 * an older one had, so a component that saw the older store's version 1 re-renders for the new one's.
 */
let batchesApplied = 0;

class RowsStore implements LiveRows {
  rows: RowView[] | null = null;
  version = 0;
  readonly #versions = new Map<number, number>();
  readonly #listeners = new Set<(changed: ReadonlySet<number>) => void>();

  versionOf(index: number): number {
    return this.#versions.get(index) ?? 0;
  }

  subscribe(listener: (changed: ReadonlySet<number>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A snapshot arrived: every row is new to whoever shows rows. */
  load(rows: RowView[]): void {
    this.rows = rows;
    batchesApplied += 1;
    this.version = batchesApplied;
    const all = new Set(rows.map((row) => row.index));
    for (const index of all) this.#versions.set(index, this.version);
    for (const listener of this.#listeners) listener(all);
  }

  apply(upserts: readonly RowResult[]): void {
    const rows = this.rows;
    if (!rows || upserts.length === 0) return;
    const changed = new Set<number>();
    batchesApplied += 1;
    this.version = batchesApplied;
    for (const upsert of upserts) {
      const row = rows[upsert.index];
      if (!row) continue;
      // A cell of a column the snapshot did not have (added meanwhile) waits for the next snapshot.
      const cell = row.cells.find((c) => c.col === upsert.col);
      if (!cell) continue;
      Object.assign(cell, upsert);
      changed.add(upsert.index);
      this.#versions.set(upsert.index, this.version);
    }
    for (const listener of this.#listeners) listener(changed);
  }
}

/** How long upserts wait to be merged: bigger tables re-render less often. Zero: the next frame. */
function mergeInterval(size: number): number {
  return size > 50_000 ? 500 : size > 10_000 ? 250 : 0;
}

/**
 * The rows of one job, live: a snapshot, then batched cell upserts. A new `columnsKey` (the job's
 * AI columns were added, removed or moved) takes a new snapshot. Batches that arrive before the
 * snapshot are held and applied only if newer than it. Upserts are merged and applied at most once
 * an animation frame (less often for big tables), so a burst of events costs one render.
 */
export function useJobRows(
  jobId: string,
  columnsKey = '',
): { rows: RowView[] | null; live: LiveRows; error: string | null } {
  const api = useApi();
  // eslint-disable-next-line react-hooks/exhaustive-deps -- a new store for new columns
  const store = useMemo(() => new RowsStore(), [columnsKey]);
  const [rows, setRows] = useState<RowView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let snapshotSeq: number | null = null;
    let early: { seq: number; upserts: RowResult[] }[] = [];
    let cancelled = false;
    let pending: RowResult[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let frame: number | undefined;
    const flush = (): void => {
      timer = undefined;
      frame = undefined;
      const upserts = pending;
      pending = [];
      store.apply(upserts);
    };
    const unsubscribe = api.on('rows', (batch) => {
      if (batch.jobId !== jobId) return;
      if (snapshotSeq === null) {
        early.push(batch);
        return;
      }
      if (batch.seq <= snapshotSeq) return;
      for (const upsert of batch.upserts) pending.push(upsert);
      const interval = mergeInterval(store.rows?.length ?? 0);
      if (interval > 0) timer ??= setTimeout(flush, interval);
      else frame ??= requestAnimationFrame(flush);
    });

    api.getRows({ jobId }).then(
      (snapshot) => {
        if (cancelled) return;
        snapshotSeq = snapshot.seq;
        store.load(snapshot.rows);
        store.apply(early.filter((batch) => batch.seq > snapshot.seq).flatMap((batch) => batch.upserts));
        early = [];
        setRows(snapshot.rows);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
      if (frame !== undefined) cancelAnimationFrame(frame);
      unsubscribe();
    };
  }, [api, jobId, store]);

  return { rows, live: store, error };
}

/**
 * The rows' version, for a component that shows rows: it re-renders after each batch, as a
 * transition, so typing, clicks and the sliders always come first.
 */
export function useRowsVersion(live: LiveRows): number {
  const [version, setVersion] = useState(live.version);
  useEffect(() => {
    return live.subscribe(() => startTransition(() => setVersion(live.version)));
  }, [live]);
  return version;
}
