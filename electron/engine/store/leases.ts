import type { Db } from './database.ts';

/**
 * One process runs a job at a time. Before a job runs, its process takes the job's lease in a
 * transaction and renews it every few seconds; another process (`rowbot serve`, `rowbot run`, the
 * app) refuses the job while the lease is fresh. A lease whose heartbeat is older than
 * LEASE_STALE_MS, or whose process is gone from this computer, is dead: anyone may take it.
 */
export const LEASE_RENEW_MS = 5_000;
export const LEASE_STALE_MS = 30_000;

export interface LeaseHolder {
  /** Random, one per engine: a process may open the database more than once. */
  id: string;
  pid: number;
  host: string;
  /** What the holder is, for the message: "rowbot serve", "rowbot run", "the Rowbot app". */
  program: string;
}

interface LeaseRow {
  job_id: string;
  holder: string;
  pid: number;
  host: string;
  program: string;
  heartbeat_at: number;
}

export interface LeaseOptions {
  /** Unix milliseconds; tests move it. */
  now?: () => number;
  /** Whether a process of this computer still exists. */
  isAlive?: (pid: number) => boolean;
}

export class Leases {
  readonly #db: Db;
  readonly #me: LeaseHolder;
  readonly #now: () => number;
  readonly #isAlive: (pid: number) => boolean;
  readonly #statements;

  constructor(db: Db, me: LeaseHolder, options: LeaseOptions = {}) {
    this.#db = db;
    this.#me = me;
    this.#now = options.now ?? Date.now;
    this.#isAlive = options.isAlive ?? processExists;
    this.#statements = {
      one: db.prepare('SELECT * FROM job_leases WHERE job_id = ?'),
      all: db.prepare('SELECT * FROM job_leases'),
      put: db.prepare(
        `INSERT INTO job_leases (job_id, holder, pid, host, program, taken_at, heartbeat_at)
         VALUES (@jobId, @id, @pid, @host, @program, @takenAt, @now)
         ON CONFLICT (job_id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host,
           program = excluded.program, taken_at = excluded.taken_at, heartbeat_at = excluded.heartbeat_at`,
      ),
      renew: db.prepare('UPDATE job_leases SET heartbeat_at = ? WHERE holder = ? RETURNING job_id'),
      release: db.prepare('DELETE FROM job_leases WHERE job_id = ? AND holder = ?'),
      releaseAll: db.prepare('DELETE FROM job_leases WHERE holder = ?'),
    };
  }

  /**
   * Takes the job's lease for this engine, or renews it when it already has it. Returns the holder
   * instead when another one holds it and is alive; nothing is changed then.
   */
  take(jobId: string): LeaseHolder | null {
    return this.#db
      .transaction((): LeaseHolder | null => {
        const elsewhere = this.heldElsewhere(jobId);
        if (elsewhere) return elsewhere;
        const now = this.#now();
        this.#statements.put.run({ jobId, ...this.#me, takenAt: new Date(now).toISOString(), now });
        return null;
      })
      .immediate();
  }

  /** Another live holder of the job, or null when it is free or this engine's. */
  heldElsewhere(jobId: string): LeaseHolder | null {
    const row = this.#statements.one.get(jobId) as LeaseRow | undefined;
    return row && row.holder !== this.#me.id && this.#alive(row) ? holderOf(row) : null;
  }

  /** The heartbeat: returns the jobs this engine still holds (a lease taken over is not among them). */
  renew(): Set<string> {
    const rows = this.#statements.renew.all(this.#now(), this.#me.id) as { job_id: string }[];
    return new Set(rows.map((row) => row.job_id));
  }

  release(jobId: string): void {
    this.#statements.release.run(jobId, this.#me.id);
  }

  releaseAll(): void {
    this.#statements.releaseAll.run(this.#me.id);
  }

  /** Removes the leases of holders that are gone, so the jobs they held can be recovered and run. */
  clearDead(): void {
    this.#db
      .transaction(() => {
        for (const row of this.#statements.all.all() as LeaseRow[]) {
          if (!this.#alive(row)) this.#statements.release.run(row.job_id, row.holder);
        }
      })
      .immediate();
  }

  #alive(row: LeaseRow): boolean {
    if (this.#now() - row.heartbeat_at > LEASE_STALE_MS) return false;
    // A process of this computer that no longer exists holds nothing (a crash, kill -9).
    return row.host !== this.#me.host || row.pid === this.#me.pid || this.#isAlive(row.pid);
  }
}

/** "This job is running in another Rowbot window or command (rowbot serve, pid 1234) — …" */
export function heldMessage(holder: LeaseHolder, myHost: string): string {
  const where = holder.host === myHost ? '' : ` on ${holder.host}`;
  return `This job is running in another Rowbot window or command (${holder.program}, pid ${holder.pid}${where}) — pause it there, or wait for it to finish. One job runs in one place at a time, so no row is sent twice.`;
}

function holderOf(row: LeaseRow): LeaseHolder {
  return { id: row.holder, pid: row.pid, host: row.host, program: row.program };
}

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
