/**
 * The Electron shell: one window, native menus and dialogs, notifications, keys in the OS
 * keychain, IPC to the engine. All real work happens in electron/engine.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  Notification,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL, type EventMessage, type JobSummary, type MenuAction } from '../../shared/api.ts';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';
import { Engine, PAUSED_BY_USER } from '../engine/engine.ts';
import type { ShellHooks } from '../engine/handlers.ts';
import { defaultDbFile } from '../engine/paths.ts';
import { exportFileName } from '../engine/sheets/export.ts';
import { registerIpc } from './ipc.ts';
import { menuTemplate } from './menu.ts';
import { SafeStorageKeyStore } from './safe-key-store.ts';
import { lockNavigation, secureWindowOptions } from './window.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';

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

function send(message: EventMessage): void {
  mainWindow?.webContents.send(IPC_EVENT_CHANNEL, message);
}

async function start(): Promise<void> {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, allow) => allow(false));

  const userData = app.getPath('userData');
  try {
    engine = new Engine({
      dbFile: defaultDbFile(process.env, userData),
      keys: new SafeStorageKeyStore(join(userData, 'keys.json'), safeStorage),
      // Batches sent before the app was closed are collected again as soon as it opens.
      resumeBatches: true,
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
      const { notes } = await running.exportTo(jobId, saved.filePath, exportOptions);
      return { kind: 'saved', path: saved.filePath, notes };
    },
    logError(command, error) {
      // The command name and the error only: never arguments (they may hold keys or data).
      console.error(`rowbot: ${command} failed:`, error instanceof Error ? error.message : 'unknown error');
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
  running.on((message) => {
    send(message);
    if (message.name === 'job') notifyWhenFinished(message.payload);
  });

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        send: (action: MenuAction) => send({ name: 'menu', payload: { action } }),
        setTheme: (theme) => {
          nativeTheme.themeSource = theme;
          send({ name: 'menu', payload: { action: `theme:${theme}` } });
        },
        openReadme: () => {
          const readme = join(app.getAppPath(), 'README.md');
          if (existsSync(readme)) void shell.openPath(readme);
        },
        openLogs: () => void shell.openPath(app.getPath('logs')),
        quit: () => app.quit(),
      }),
    ),
  );

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  offerToResume(running);
}

function createWindow(): void {
  const stateFile = join(app.getPath('userData'), 'window.json');
  const state = loadWindowState(
    stateFile,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const options = secureWindowOptions(join(here, '../preload/index.cjs'), { devTools: !app.isPackaged });
  mainWindow = new BrowserWindow({ ...options, ...state });
  if (state.maximized) mainWindow.maximize();
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('close', () => {
    if (!mainWindow) return;
    saveWindowState(stateFile, { ...mainWindow.getNormalBounds(), maximized: mainWindow.isMaximized() });
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadFile(rendererIndex);
}

const lastStatus = new Map<string, string>();

/** An OS notification when a job finishes (or stops) while Rowbot is not in front. */
function notifyWhenFinished(job: JobSummary): void {
  const before = lastStatus.get(job.id);
  lastStatus.set(job.id, job.status);
  if (before !== 'running' || job.status === 'running' || mainWindow?.isFocused() || !Notification.isSupported())
    return;
  const body =
    job.status === 'completed'
      ? `${job.counts.done.toLocaleString()} done, ${job.counts.failed.toLocaleString()} failed.`
      : (job.pauseReason ?? 'The job stopped.');
  const batch = job.batches.length > 0 && job.status === 'completed';
  const note = new Notification({
    title: batch
      ? `The batch results of “${job.name}” are in`
      : `“${job.name}” ${job.status === 'completed' ? 'is finished' : 'stopped'}`,
    body,
  });
  note.on('click', () => mainWindow?.focus());
  note.show();
}

/** After a crash or a quit during a run, offer to carry on where it stopped. */
function offerToResume(running: Engine): void {
  const interrupted = running
    .listJobs()
    .filter(
      (job) =>
        job.status === 'paused' &&
        job.pauseReason !== PAUSED_BY_USER &&
        job.counts.queued > 0 &&
        !job.pauseReason?.startsWith('Paused:'),
    );
  if (interrupted.length === 0 || !mainWindow) return;
  const names = interrupted.map((job) => `“${job.name}”`).join(', ');
  void dialog
    .showMessageBox(mainWindow, {
      type: 'question',
      buttons: ['Resume', 'Not now'],
      defaultId: 0,
      cancelId: 1,
      message: interrupted.length === 1 ? `Resume ${names}?` : `Resume ${interrupted.length} jobs?`,
      detail: `${names} stopped when Rowbot closed. Every finished row is kept; the rest can continue now.`,
    })
    .then(({ response }) => {
      if (response === 0) for (const job of interrupted) running.startJob(job.id);
    });
}

let closing = false;
app.on('before-quit', (event) => {
  if (closing || !engine) return;
  const active = engine.listJobs().filter((job) => job.status === 'running');
  if (active.length > 0) {
    const choice = dialog.showMessageBoxSync({
      type: 'question',
      buttons: ['Pause and Quit', 'Keep Running'],
      defaultId: 0,
      cancelId: 1,
      message: active.length === 1 ? `“${active[0]?.name}” is running.` : `${active.length} jobs are running.`,
      detail: 'Rowbot will pause it safely: finished rows are kept and the next launch offers to resume.',
    });
    if (choice === 1) {
      event.preventDefault();
      return;
    }
  }
  event.preventDefault();
  closing = true;
  // Rows in flight go back to the queue; the job is paused and resumes on the next launch.
  void engine.close().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
