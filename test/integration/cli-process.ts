import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');
/** Caps the database of a child process (see test/fixtures/disk-cap.ts). */
export const DISK_CAP = `--import=${pathToFileURL(resolve(import.meta.dirname, '../fixtures/disk-cap.ts')).href}`;

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** What it printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  finished: Promise<Finished>;
}

/** A real `rowbot` process; the mock server runs in the test process, so it must run beside it, not block it. */
export function startRowbot(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((done) => child.on('close', (status) => done({ status, stdout, stderr })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    finished,
  };
}

export function rowbot(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return startRowbot(args, env).finished;
}

/** Lines of a stack trace: what a person must never be shown. */
export const STACK_LINE = /^\s+at .+[:(]/m;
