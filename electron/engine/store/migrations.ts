/**
 * Numbered migrations, applied in order inside one transaction each; the database's
 * `user_version` records the last one applied. Never edit a migration that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Migration 100's triggers: a row of job_rows counted into its job and status (NEW), or taken out (OLD). */
const COUNT_NEW_ROW = `        INSERT INTO job_counts (job_id, status, n, prompt, completion, cost_nanos, priced, cut_off)
          VALUES (NEW.job_id, NEW.status, 1, COALESCE(NEW.prompt_tokens, 0), COALESCE(NEW.completion_tokens, 0),
                  COALESCE(NEW.cost_nanos, 0), NEW.cost_nanos IS NOT NULL, COALESCE(NEW.finish = 'length', 0))
          ON CONFLICT (job_id, status) DO UPDATE SET
            n = n + 1, prompt = prompt + excluded.prompt, completion = completion + excluded.completion,
            cost_nanos = cost_nanos + excluded.cost_nanos, priced = priced + excluded.priced,
            cut_off = cut_off + excluded.cut_off;`;
const UNCOUNT_OLD_ROW = `        UPDATE job_counts SET
            n = n - 1, prompt = prompt - COALESCE(OLD.prompt_tokens, 0),
            completion = completion - COALESCE(OLD.completion_tokens, 0),
            cost_nanos = cost_nanos - COALESCE(OLD.cost_nanos, 0), priced = priced - (OLD.cost_nanos IS NOT NULL),
            cut_off = cut_off - COALESCE(OLD.finish = 'length', 0)
          WHERE job_id = OLD.job_id AND status = OLD.status;`;

/** Migration 140's triggers: a cell of job_cells counted into its job, column and status (NEW), or taken out (OLD). */
const COUNT_NEW_CELL = `        INSERT INTO job_counts (job_id, col, status, n, prompt, completion, cost_nanos, priced, cut_off, stale, edited)
          VALUES (NEW.job_id, NEW.col, NEW.status, 1, COALESCE(NEW.prompt_tokens, 0), COALESCE(NEW.completion_tokens, 0),
                  COALESCE(NEW.cost_nanos, 0), NEW.cost_nanos IS NOT NULL, COALESCE(NEW.finish = 'length', 0),
                  NEW.stale, NEW.edited)
          ON CONFLICT (job_id, col, status) DO UPDATE SET
            n = n + 1, prompt = prompt + excluded.prompt, completion = completion + excluded.completion,
            cost_nanos = cost_nanos + excluded.cost_nanos, priced = priced + excluded.priced,
            cut_off = cut_off + excluded.cut_off, stale = stale + excluded.stale, edited = edited + excluded.edited;`;
const UNCOUNT_OLD_CELL = `        UPDATE job_counts SET
            n = n - 1, prompt = prompt - COALESCE(OLD.prompt_tokens, 0),
            completion = completion - COALESCE(OLD.completion_tokens, 0),
            cost_nanos = cost_nanos - COALESCE(OLD.cost_nanos, 0), priced = priced - (OLD.cost_nanos IS NOT NULL),
            cut_off = cut_off - COALESCE(OLD.finish = 'length', 0), stale = stale - OLD.stale, edited = edited - OLD.edited
          WHERE job_id = OLD.job_id AND col = OLD.col AND status = OLD.status;`;

export const migrations: Migration[] = [
  {
    version: 10,
    name: 'initial',
    sql: `
      CREATE TABLE sheets (
        id TEXT PRIMARY KEY,
        file_name TEXT NOT NULL,
        columns_json TEXT NOT NULL,
        row_count INTEGER NOT NULL,
        notes_json TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sheet_rows (
        sheet_id TEXT NOT NULL REFERENCES sheets(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        values_json TEXT NOT NULL,
        PRIMARY KEY (sheet_id, row_index)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        sheet_id TEXT NOT NULL REFERENCES sheets(id),
        name TEXT NOT NULL,
        template TEXT NOT NULL,
        system_prompt TEXT NOT NULL,
        provider_json TEXT NOT NULL,
        concurrency INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ready', 'running', 'paused', 'completed')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE job_rows (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        prompt TEXT NOT NULL,
        output TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        http_status INTEGER,
        latency_ms INTEGER,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        started_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (job_id, row_index)
      ) STRICT, WITHOUT ROWID;

      CREATE INDEX job_rows_by_status ON job_rows (job_id, status);
    `,
  },
  {
    version: 20,
    name: 'run settings, pause reasons, canceled jobs, row cost',
    // SQLite cannot change a CHECK constraint: rebuild the table (foreign keys are off while migrating).
    sql: `
      CREATE TABLE jobs_new (
        id TEXT PRIMARY KEY,
        sheet_id TEXT NOT NULL REFERENCES sheets(id),
        name TEXT NOT NULL,
        template TEXT NOT NULL,
        system_prompt TEXT NOT NULL,
        provider_json TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL CHECK (status IN ('ready', 'running', 'paused', 'canceled', 'completed')),
        pause_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      INSERT INTO jobs_new (id, sheet_id, name, template, system_prompt, provider_json, settings_json, status, created_at, updated_at)
        SELECT id, sheet_id, name, template, system_prompt, provider_json, json_object('concurrency', concurrency),
               status, created_at, updated_at
        FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs_new RENAME TO jobs;

      ALTER TABLE job_rows ADD COLUMN cost REAL;
    `,
  },
  {
    version: 30,
    name: 'import settings, source rows, kept workbooks, skipped rows',
    sql: `
      ALTER TABLE sheets ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}';
      -- The imported workbook itself, for exports that write back into it (XLSX only).
      ALTER TABLE sheets ADD COLUMN source_blob BLOB;
      ALTER TABLE sheet_rows ADD COLUMN source_row INTEGER;

      CREATE TABLE job_rows_new (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'skipped')),
        prompt TEXT NOT NULL,
        output TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        http_status INTEGER,
        latency_ms INTEGER,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        started_at TEXT,
        finished_at TEXT,
        cost REAL,
        PRIMARY KEY (job_id, row_index)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO job_rows_new
        SELECT job_id, row_index, status, prompt, output, error, attempts, http_status, latency_ms,
               prompt_tokens, completion_tokens, started_at, finished_at, cost
        FROM job_rows;
      DROP TABLE job_rows;
      ALTER TABLE job_rows_new RENAME TO job_rows;
      CREATE INDEX job_rows_by_status ON job_rows (job_id, status);
    `,
  },
  {
    version: 40,
    name: 'every attempt of every row',
    sql: `
      CREATE TABLE row_attempts (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'rate_limited', 'failed', 'stopped', 'aborted')),
        http_status INTEGER,
        latency_ms INTEGER,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        error TEXT,
        PRIMARY KEY (job_id, row_index, attempt)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 50,
    name: 'response cache, cached rows',
    sql: `
      -- Answers by request: provider, address, model, parameters and the full prompt, hashed.
      CREATE TABLE response_cache (
        key TEXT PRIMARY KEY,
        output TEXT NOT NULL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        created_at TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
      ALTER TABLE job_rows ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 60,
    name: 'the user’s model prices',
    sql: `
      -- Dollars per million tokens, over the shipped list: an edit of a shipped model or one of the user's own.
      CREATE TABLE model_prices (
        model TEXT PRIMARY KEY,
        input REAL NOT NULL,
        cached_input REAL,
        output REAL NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 70,
    name: 'answers priced after the fact',
    sql: `
      -- 1: the answer came while its model had no price; its cost is worked out from today's price
      -- and follows later edits of it. 0: the cost is what the answer was billed at when it came.
      ALTER TABLE job_rows ADD COLUMN priced_later INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 80,
    name: 'exact money, the cost of every attempt, finish reasons',
    sql: `
      -- Money in whole nanodollars (1e-9 $): sums of integers are exact, sums of dollar floats drift.
      ALTER TABLE job_rows ADD COLUMN cost_nanos INTEGER;
      UPDATE job_rows SET cost_nanos = CAST(ROUND(cost * 1000000000) AS INTEGER) WHERE cost IS NOT NULL;

      -- What each request was billed, answers not kept included. priced_later as migration 70 had it
      -- on rows: 1, worked out from today's price after the fact (it follows edits of the price);
      -- 0, what the request was billed at when it came.
      ALTER TABLE row_attempts ADD COLUMN cost_nanos INTEGER;
      ALTER TABLE row_attempts ADD COLUMN priced_later INTEGER NOT NULL DEFAULT 0;

      -- A row's tokens and cost become the sums over its attempts. Until now they were those of the
      -- answer kept: its cost moves to the attempt that brought it (the row's last 'done' one)...
      UPDATE row_attempts SET cost_nanos = r.cost_nanos, priced_later = r.priced_later
        FROM job_rows r
        WHERE r.job_id = row_attempts.job_id AND r.row_index = row_attempts.row_index
          AND r.status = 'done' AND r.cached = 0 AND row_attempts.outcome = 'done'
          AND row_attempts.attempt = (
            SELECT MAX(a.attempt) FROM row_attempts a
            WHERE a.job_id = r.job_id AND a.row_index = r.row_index AND a.outcome = 'done');
      -- ...and rows answered before attempts were logged (migration 40) get that attempt back from
      -- what the row recorded of it, so no answer's cost is left outside the sums.
      INSERT INTO row_attempts
          (job_id, row_index, attempt, started_at, finished_at, outcome, http_status, latency_ms,
           prompt_tokens, completion_tokens, error, cost_nanos, priced_later)
        SELECT r.job_id, r.row_index,
               COALESCE((SELECT MAX(a.attempt) FROM row_attempts a
                         WHERE a.job_id = r.job_id AND a.row_index = r.row_index), 0) + 1,
               COALESCE(r.started_at, r.finished_at, ''), COALESCE(r.finished_at, r.started_at, ''), 'done',
               r.http_status, r.latency_ms, r.prompt_tokens, r.completion_tokens, NULL, r.cost_nanos, r.priced_later
        FROM job_rows r
        WHERE r.status = 'done' AND r.cached = 0
          AND NOT EXISTS (SELECT 1 FROM row_attempts a
                          WHERE a.job_id = r.job_id AND a.row_index = r.row_index AND a.outcome = 'done');

      ALTER TABLE job_rows DROP COLUMN cost;
      ALTER TABLE job_rows DROP COLUMN priced_later;

      -- Why the model stopped writing the answer kept: stop, length (cut off at the output limit), ...
      ALTER TABLE job_rows ADD COLUMN finish TEXT;
    `,
  },
  {
    version: 90,
    name: 'one process runs a job: leases',
    sql: `
      -- Taken in a transaction before a job runs, renewed every few seconds (heartbeat_at, Unix ms);
      -- another process refuses the job until the heartbeat is stale or the holder's process is gone.
      CREATE TABLE job_leases (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        holder TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        program TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 100,
    name: 'counters, not scans: job_counts',
    sql: `
      -- What a job summary counts, per job and row status: the GROUP BY over job_rows it replaces,
      -- kept right by triggers in the same transaction as every row change (the writer's patches,
      -- requeues, retries, recovery at open, re-pricing, deletes), in whichever process makes it.
      -- A migration that rebuilds job_rows must create these triggers again.
      CREATE TABLE job_counts (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        prompt INTEGER NOT NULL,
        completion INTEGER NOT NULL,
        cost_nanos INTEGER NOT NULL,
        priced INTEGER NOT NULL,
        cut_off INTEGER NOT NULL,
        PRIMARY KEY (job_id, status)
      ) STRICT, WITHOUT ROWID;

      INSERT INTO job_counts (job_id, status, n, prompt, completion, cost_nanos, priced, cut_off)
        SELECT job_id, status, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
               COALESCE(SUM(cost_nanos), 0), COUNT(cost_nanos), COALESCE(SUM(finish = 'length'), 0)
        FROM job_rows GROUP BY job_id, status;

      CREATE TRIGGER job_counts_insert AFTER INSERT ON job_rows BEGIN
${COUNT_NEW_ROW}
      END;

      CREATE TRIGGER job_counts_delete AFTER DELETE ON job_rows BEGIN
${UNCOUNT_OLD_ROW}
      END;

      CREATE TRIGGER job_counts_update
      AFTER UPDATE OF job_id, status, prompt_tokens, completion_tokens, cost_nanos, finish ON job_rows BEGIN
${UNCOUNT_OLD_ROW}
${COUNT_NEW_ROW}
      END;
    `,
  },
  {
    version: 110,
    name: 'job_counts: skip updates that change nothing counted',
    sql: `
      -- An UPDATE that names a counted column fires the trigger even when it writes the same value
      -- (the sums written back after every answer, a 'running' row marked running again): each such
      -- firing took the row out of its counts and put it back, two writes to job_counts for nothing.
      DROP TRIGGER job_counts_update;
      CREATE TRIGGER job_counts_update
      AFTER UPDATE OF job_id, status, prompt_tokens, completion_tokens, cost_nanos, finish ON job_rows
      WHEN OLD.job_id IS NOT NEW.job_id OR OLD.status IS NOT NEW.status
        OR OLD.prompt_tokens IS NOT NEW.prompt_tokens OR OLD.completion_tokens IS NOT NEW.completion_tokens
        OR OLD.cost_nanos IS NOT NEW.cost_nanos OR OLD.finish IS NOT NEW.finish
      BEGIN
${UNCOUNT_OLD_ROW}
${COUNT_NEW_ROW}
      END;
    `,
  },
  {
    version: 120,
    name: 'row_attempts by finish time',
    sql: `
      -- The job view's chart is rebuilt from the attempt log after a reload (getTimeline): its last
      -- ten minutes are read by this index instead of every attempt of the job.
      CREATE INDEX row_attempts_by_finish ON row_attempts (job_id, finished_at);
    `,
  },
  {
    version: 130,
    name: 'batches at the providers',
    sql: `
      -- A job's rows sent to a provider's Batch API (OpenAI Batch, Anthropic Message Batches). The row
      -- is written first, with its own id (in the batch's metadata and every custom_id), before the
      -- provider is asked to create the batch: a crash between the provider creating it and Rowbot
      -- storing remote_id is then recognised on the next start instead of creating a second batch.
      CREATE TABLE job_batches (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        -- 'submitting' (rows claimed, not known to be at the provider), 'waiting' (remote_id known),
        -- 'collected' (every row answered or failed), 'lost' (never created: its rows went back to the queue).
        state TEXT NOT NULL CHECK (state IN ('submitting', 'waiting', 'collected', 'lost')),
        remote_id TEXT,
        -- The provider's word for where the batch is (validating, in_progress, ended, …) and its counts.
        remote_status TEXT,
        requests INTEGER NOT NULL,
        succeeded INTEGER NOT NULL DEFAULT 0,
        errored INTEGER NOT NULL DEFAULT 0,
        input_file_id TEXT,
        created_at TEXT NOT NULL,
        submitted_at TEXT,
        ended_at TEXT,
        polled_at TEXT,
        error TEXT,
        -- The worst case of the batch's cost, held against the job's budget until its results are in.
        reserved_nanos INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX job_batches_by_job ON job_batches (job_id, state);

      -- The batch a queued row waits in; live runs leave such rows alone. Not indexed: a batch's rows
      -- are found through the job's own (job_id, row_index) key, and every result stored would
      -- otherwise also update an index.
      ALTER TABLE job_rows ADD COLUMN batch_id TEXT;
    `,
  },
  {
    version: 140,
    name: 'several AI columns: job_columns and job_cells',
    sql: `
      -- A job's AI columns, each with its own prompt, service and model, and answer options over the
      -- job's settings. \`col\` is the column's id within the job (its cells are stored under it, never
      -- reused); \`position\` is its place in the table. Every job so far has one: 'output'.
      CREATE TABLE job_columns (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        col INTEGER NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        template TEXT NOT NULL,
        system_prompt TEXT NOT NULL,
        provider_json TEXT NOT NULL,
        options_json TEXT NOT NULL DEFAULT '{}',
        use_corrections INTEGER NOT NULL DEFAULT 0,
        compares_with INTEGER,
        PRIMARY KEY (job_id, col)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO job_columns (job_id, col, position, name, template, system_prompt, provider_json)
        SELECT id, 0, 0, 'output', template, system_prompt, provider_json FROM jobs;
      ALTER TABLE jobs DROP COLUMN template;
      ALTER TABLE jobs DROP COLUMN system_prompt;
      ALTER TABLE jobs DROP COLUMN provider_json;

      -- The unit of work is the cell: a row's answer in one AI column. job_rows was column 0's cells.
      -- stale: answered before its column's prompt, model or an input it uses changed. edited: the
      -- answer was corrected by hand (kept through re-runs). prompt is empty until the cells it uses
      -- are done, for a column whose template uses other AI columns.
      CREATE TABLE job_cells (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        col INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'skipped')),
        prompt TEXT NOT NULL,
        output TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        http_status INTEGER,
        latency_ms INTEGER,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        started_at TEXT,
        finished_at TEXT,
        cached INTEGER NOT NULL DEFAULT 0,
        cost_nanos INTEGER,
        finish TEXT,
        batch_id TEXT,
        stale INTEGER NOT NULL DEFAULT 0,
        edited INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, row_index, col)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO job_cells (job_id, row_index, col, status, prompt, output, error, attempts, http_status, latency_ms,
                             prompt_tokens, completion_tokens, started_at, finished_at, cached, cost_nanos, finish, batch_id)
        SELECT job_id, row_index, 0, status, prompt, output, error, attempts, http_status, latency_ms,
               prompt_tokens, completion_tokens, started_at, finished_at, cached, cost_nanos, finish, batch_id
        FROM job_rows;
      DROP TABLE job_rows;
      -- The scheduler reads a column's queued cells in row order.
      CREATE INDEX job_cells_by_status ON job_cells (job_id, col, status, row_index);

      CREATE TABLE row_attempts_new (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        col INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'rate_limited', 'failed', 'stopped', 'aborted')),
        http_status INTEGER,
        latency_ms INTEGER,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        error TEXT,
        cost_nanos INTEGER,
        priced_later INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, row_index, col, attempt)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO row_attempts_new
        SELECT job_id, row_index, 0, attempt, started_at, finished_at, outcome, http_status, latency_ms,
               prompt_tokens, completion_tokens, error, cost_nanos, priced_later
        FROM row_attempts;
      DROP TABLE row_attempts;
      ALTER TABLE row_attempts_new RENAME TO row_attempts;
      CREATE INDEX row_attempts_by_finish ON row_attempts (job_id, finished_at);

      -- Counters per job, column and status (migration 100's, by column), kept by triggers on job_cells.
      DROP TABLE job_counts;
      CREATE TABLE job_counts (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        col INTEGER NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        prompt INTEGER NOT NULL,
        completion INTEGER NOT NULL,
        cost_nanos INTEGER NOT NULL,
        priced INTEGER NOT NULL,
        cut_off INTEGER NOT NULL,
        stale INTEGER NOT NULL,
        edited INTEGER NOT NULL,
        PRIMARY KEY (job_id, col, status)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO job_counts (job_id, col, status, n, prompt, completion, cost_nanos, priced, cut_off, stale, edited)
        SELECT job_id, col, status, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
               COALESCE(SUM(cost_nanos), 0), COUNT(cost_nanos), COALESCE(SUM(finish = 'length'), 0), SUM(stale), SUM(edited)
        FROM job_cells GROUP BY job_id, col, status;

      CREATE TRIGGER job_counts_insert AFTER INSERT ON job_cells BEGIN
${COUNT_NEW_CELL}
      END;

      CREATE TRIGGER job_counts_delete AFTER DELETE ON job_cells BEGIN
${UNCOUNT_OLD_CELL}
      END;

      CREATE TRIGGER job_counts_update
      AFTER UPDATE OF job_id, col, status, prompt_tokens, completion_tokens, cost_nanos, finish, stale, edited ON job_cells
      WHEN OLD.job_id IS NOT NEW.job_id OR OLD.col IS NOT NEW.col OR OLD.status IS NOT NEW.status
        OR OLD.prompt_tokens IS NOT NEW.prompt_tokens OR OLD.completion_tokens IS NOT NEW.completion_tokens
        OR OLD.cost_nanos IS NOT NEW.cost_nanos OR OLD.finish IS NOT NEW.finish
        OR OLD.stale IS NOT NEW.stale OR OLD.edited IS NOT NEW.edited
      BEGIN
${UNCOUNT_OLD_CELL}
${COUNT_NEW_CELL}
      END;
    `,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
