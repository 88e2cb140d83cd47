import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../electron/engine/store/database.ts';
import { heldMessage, LEASE_STALE_MS, Leases, type LeaseHolder } from '../../electron/engine/store/leases.ts';

const HOST = 'this-host';
const serve: LeaseHolder = { id: 'serve', pid: 1001, host: HOST, program: 'rowbot serve' };
const cli: LeaseHolder = { id: 'cli', pid: 1002, host: HOST, program: 'rowbot run' };

describe('Leases', () => {
  let db: Db;
  let now = 1_000_000;
  let alive = new Set<number>();
  const leases = (me: LeaseHolder): Leases => new Leases(db, me, { now: () => now, isAlive: (pid) => alive.has(pid) });

  beforeEach(() => {
    db = openDatabase(':memory:');
    db.exec(`INSERT INTO sheets (id, file_name, columns_json, row_count, created_at) VALUES ('s', 'f', '[]', 0, '')`);
    db.exec(`INSERT INTO jobs (id, sheet_id, name, status, created_at, updated_at)
             VALUES ('job', 's', 'n', 'ready', '', '')`);
    now = 1_000_000;
    alive = new Set([serve.pid, cli.pid]);
  });
  afterEach(() => db.close());

  it('take refuses a live holder and names it; the holder may take it again', () => {
    expect(leases(serve).take('job')).toBeNull();
    expect(leases(cli).take('job')).toEqual(serve);
    expect(leases(serve).take('job')).toBeNull();
    expect(heldMessage(serve, HOST)).toContain('(rowbot serve, pid 1001) — pause it there, or wait');
    expect(heldMessage({ ...serve, host: 'elsewhere' }, HOST)).toContain('(rowbot serve, pid 1001 on elsewhere)');
  });

  it('a heartbeat older than the stale limit, or a holder whose process is gone, holds nothing', () => {
    const first = leases(serve);
    first.take('job');
    now += LEASE_STALE_MS;
    expect(leases(cli).take('job')).toEqual(serve);
    now += 1;
    expect(leases(cli).heldElsewhere('job')).toBeNull();
    // Nobody took it meanwhile: the late holder keeps it. Once another takes it, its heartbeat says so.
    expect(first.renew()).toEqual(new Set(['job']));
    now += LEASE_STALE_MS + 1;
    expect(leases(cli).take('job')).toBeNull();
    expect(first.renew()).toEqual(new Set());

    now += 10;
    leases(serve).take('job');
    alive.delete(serve.pid);
    expect(leases(cli).take('job')).toBeNull();
  });

  it('renew keeps a lease alive past the stale limit; release and clearDead free it', () => {
    const mine = leases(serve);
    mine.take('job');
    for (let i = 0; i < 10; i += 1) {
      now += LEASE_STALE_MS / 2;
      expect(mine.renew()).toEqual(new Set(['job']));
    }
    expect(leases(cli).heldElsewhere('job')).toEqual(serve);
    mine.release('job');
    expect(leases(cli).heldElsewhere('job')).toBeNull();

    mine.take('job');
    now += LEASE_STALE_MS + 1;
    leases(cli).clearDead();
    expect(db.prepare('SELECT COUNT(*) AS n FROM job_leases').get()).toEqual({ n: 0 });
  });
});
