import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary, readElectronPackage } from '../../bin/electron-binary.ts';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { ROOT, SCREENSHOTS } from './harness.ts';

// The Electron binary is downloaded on first use, which this closed machine cannot do: look for one
// without triggering that download, and skip loudly when there is none.
const binary = findElectronBinary(readElectronPackage(join(ROOT, 'node_modules', 'electron')));
if (!binary)
  console.warn(
    '\n  skipped: no Electron binary on this machine (the Electron end-to-end suite runs where one is installed; `npm start` downloads it where the network allows)\n',
  );

describe.skipIf(!binary)('the Electron app: import, run, export', () => {
  let dir: string;
  let mock: MockLlmServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-electron-'));
    mock = await startMockLlmServer({ latencyMs: 50 });
  });

  afterAll(async () => {
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a CSV against the mock server and saves the results', async () => {
    const csv = join(dir, 'cities.csv');
    const out = join(dir, 'out.csv');
    writeFileSync(csv, 'city\nParis\nLima\nOslo\n');
    const app = await electron.launch({
      executablePath: binary ?? '',
      args: [join(ROOT, 'out', 'main', 'index.js')],
      env: { ...process.env, ROWBOT_DB: join(dir, 'rowbot.db') },
    });
    try {
      // Native dialogs cannot be clicked by a test: answer them from the main process.
      await app.evaluate(
        ({ dialog }, paths) => {
          dialog.showOpenDialog = async () => ({ canceled: false, filePaths: [paths.csv] });
          dialog.showSaveDialog = async () => ({ canceled: false, filePath: paths.out });
        },
        { csv, out },
      );
      const page = await app.firstWindow();
      await page.getByRole('button', { name: 'New job' }).click();
      await page.getByRole('button', { name: 'Choose a file…' }).click();
      await page.getByText('3 rows · 1 column').waitFor();
      await page.getByRole('textbox', { name: 'Prompt template' }).fill('Country of {{city}}?');
      await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
      await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
      await page.getByRole('combobox', { name: 'Model' }).fill('mock-1');
      await page.getByRole('button', { name: 'Run 3 rows' }).click();
      await expect
        .poll(() => page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow'), {
          timeout: 30_000,
        })
        .toBe('3');
      await page.screenshot({ path: join(SCREENSHOTS, 'electron-job-done.png') });
      await page.getByRole('button', { name: 'Export…' }).click();
      await page.getByRole('dialog', { name: 'Export results' }).getByRole('button', { name: 'Export' }).click();
      await page.getByText(`Saved to ${out}`).waitFor();
      expect(readFileSync(out, 'utf8')).toContain(mockReply('Country of Lima?'));
    } finally {
      await app.close();
    }
  });
});
