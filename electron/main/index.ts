/**
 * The Electron shell: one window, native dialogs, IPC to the engine. All real work
 * happens in electron/engine; this file only ties it to the desktop.
 */
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL } from '../../shared/api.ts';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';
import { Engine } from '../engine/engine.ts';
import type { ShellHooks } from '../engine/handlers.ts';
import { defaultDbFile } from '../engine/paths.ts';
import { exportFileName } from '../engine/sheets/export.ts';
import { registerIpc } from './ipc.ts';
import { lockNavigation, secureWindowOptions } from './window.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const appUrlPrefix = devServerUrl ?? pathToFileURL(join(here, '../renderer')).href;

let mainWindow: BrowserWindow | null = null;
let engine: Engine | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start, (error: unknown) => {
    dialog.showErrorBox('Rowbot could not start', String(error));
    app.exit(1);
  });
}

app.on('web-contents-created', (_event, contents) => lockNavigation(contents, appUrlPrefix));

async function start(): Promise<void> {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, allow) => allow(false));

  try {
    engine = new Engine({
      dbFile: defaultDbFile(process.env, app.getPath('userData')),
    });
  } catch (error) {
    dialog.showErrorBox('Rowbot could not open its database', error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  const running = engine;

  const hooks: ShellHooks = {
    async importDialog(importOptions) {
      const openOptions: Electron.OpenDialogOptions = {
        title: 'Import a spreadsheet',
        properties: ['openFile'],
        filters: [
          { name: 'Spreadsheets', extensions: ['csv', 'tsv', 'txt', 'xlsx', 'json', 'jsonl'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const picked = mainWindow
        ? await dialog.showOpenDialog(mainWindow, openOptions)
        : await dialog.showOpenDialog(openOptions);
      const [path] = picked.filePaths;
      if (picked.canceled || !path) return { kind: 'cancelled' };
      return { kind: 'imported', preview: await running.importFile(path, importOptions) };
    },
    async exportJob({ jobId, ...exportOptions }) {
      const job = running.getJob(jobId);
      const ext = exportOptions.writeBack ? 'xlsx' : exportOptions.format;
      const saveOptions: Electron.SaveDialogOptions = {
        title: 'Export results',
        defaultPath: join(app.getPath('documents'), exportFileName(job.name, exportOptions)),
        filters: [{ name: ext.toUpperCase(), extensions: [ext] }],
      };
      const saved = mainWindow
        ? await dialog.showSaveDialog(mainWindow, saveOptions)
        : await dialog.showSaveDialog(saveOptions);
      if (saved.canceled || !saved.filePath) return { kind: 'cancelled' };
      await running.exportTo(jobId, saved.filePath, exportOptions);
      return { kind: 'saved', path: saved.filePath };
    },
    logError(command, error) {
      console.error(`rowbot: ${command} failed:`, error instanceof Error ? error.stack : basename(String(error)));
    },
  };

  registerIpc({
    ipcMain,
    engine: running,
    hooks,
    isTrustedSender: (event) =>
      mainWindow !== null &&
      event.sender === mainWindow.webContents &&
      event.senderFrame === mainWindow.webContents.mainFrame &&
      (event.senderFrame?.url ?? '').startsWith(appUrlPrefix),
  });
  running.on((message) => mainWindow?.webContents.send(IPC_EVENT_CHANNEL, message));

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow(secureWindowOptions(join(here, '../preload/index.cjs')));
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadFile(rendererIndex);
}

let closing = false;
app.on('before-quit', (event) => {
  if (closing || !engine) return;
  event.preventDefault();
  closing = true;
  // Rows in flight go back to the queue; the next start resumes them.
  void engine.close().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
