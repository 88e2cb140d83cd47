import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MockLlmServer } from '../fixtures/mock-llm-server.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this closed network needs. */
/**
 * Console errors and uncaught page errors of every page a harness browser opens: every e2e test
 * fails on any (test/e2e/setup.ts checks after each test). A test that provokes one on purpose
 * says which with allowPageProblems.
 */
const pageProblems: string[] = [];
let allowedProblems: RegExp[] = [];

export function allowPageProblems(...patterns: RegExp[]): void {
  allowedProblems.push(...patterns);
}

/** The problems seen since the last call, less those allowed; the allowances end with it. */
export function takePageProblems(): string[] {
  const problems = pageProblems.splice(0).filter((problem) => !allowedProblems.some((re) => re.test(problem)));
  allowedProblems = [];
  return problems;
}

function watchPage(page: Page): void {
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(`console error on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageProblems.push(`page error on ${page.url()}: ${error.message}`));
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  // Every page of every context, browser.newPage's included (it makes its context with newContext).
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args);
    context.on('page', watchPage);
    return context;
  };
  return browser;
}

export interface ServeProcess {
  url: string;
  origin: string;
  dbFile: string;
  /** One command of the API contract over HTTP, as the UI's client sends it; throws with the error's message. */
  call<T = unknown>(name: string, input: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * `rowbot serve` whose OpenAI key (`key`) may go to the mock server, with a price for the mock's
 * model (mock-1) so that costs are known.
 */
export async function startServeForMock(mock: MockLlmServer, key: string): Promise<ServeProcess> {
  const serve = await startServe({
    env: { OPENAI_API_KEY: key, ROWBOT_ALLOW_KEY_TO: `openai=${new URL(mock.baseUrl).origin}`, ANTHROPIC_API_KEY: '' },
  });
  await serve.call('setPrice', { model: 'mock-1', input: 10, cachedInput: null, output: 30 });
  return serve;
}

/** Imports a CSV's text through `rowbot serve` (the upload the UI sends); returns the sheet's id. */
export async function uploadCsv(serve: ServeProcess, fileName: string, text: string): Promise<string> {
  const { preview } = await serve.call<{ preview: { sheetId: string } }>('importUpload', {
    fileName,
    dataBase64: Buffer.from(text).toString('base64'),
  });
  return preview.sheetId;
}

/** Exports the open job as CSV through the Export dialog, as a user does; returns the file's text (BOM kept). */
export async function exportCsvDownload(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export results' });
  await dialog.getByRole('radio', { name: /^CSV/ }).check();
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  return readFileSync((await file.path()) ?? '', 'utf8');
}

/** Starts the real `rowbot serve` CLI as a child process on a fresh database. */
export async function startServe(options: { dbFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('The UI is not built: run `npm run build` before the e2e tests (npm test does).');
  }
  const dir = options.dbFile ? null : mkdtempSync(join(tmpdir(), 'rowbot-e2e-'));
  const dbFile = options.dbFile ?? join(dir ?? '', 'rowbot.db');
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'rowbot.js'), 'serve', '--db', dbFile], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`rowbot serve printed no URL:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = output.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`rowbot serve exited with ${code}:\n${output}`)));
  });
  const origin = new URL(url).origin;
  const token = new URL(url).searchParams.get('token') ?? '';
  return {
    url,
    origin,
    dbFile,
    async call<T>(name: string, input: unknown): Promise<T> {
      const response = await fetch(`${origin}/api/call/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      const result = (await response.json()) as { ok: boolean; value: T; error?: { message: string } };
      if (!result.ok) throw new Error(result.error?.message);
      return result.value;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
