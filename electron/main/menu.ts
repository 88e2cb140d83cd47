import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../../shared/api.ts';

export interface MenuHandlers {
  /** Ask the window to do something (open a screen, a dialog). */
  send: (action: MenuAction) => void;
  setTheme: (theme: 'system' | 'light' | 'dark') => void;
  openReadme: () => void;
  openLogs: () => void;
  quit: () => void;
}

/** The native menu: File, Edit, View (zoom and theme), Help. */
export function menuTemplate(
  handlers: MenuHandlers,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'New Job', accelerator: 'CmdOrCtrl+N', click: () => handlers.send('newJob') },
        { label: 'Import Spreadsheet…', accelerator: 'CmdOrCtrl+O', click: () => handlers.send('import') },
        { label: 'Export Results…', accelerator: 'CmdOrCtrl+E', click: () => handlers.send('export') },
        { type: 'separator' },
        { label: 'Settings', accelerator: 'CmdOrCtrl+,', click: () => handlers.send('settings') },
        { type: 'separator' },
        mac ? { role: 'close' } : { label: 'Quit', accelerator: 'Ctrl+Q', click: handlers.quit },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        {
          label: 'Theme',
          submenu: [
            { label: 'Follow the System', type: 'radio', checked: true, click: () => handlers.setTheme('system') },
            { label: 'Light', type: 'radio', click: () => handlers.setTheme('light') },
            { label: 'Dark', type: 'radio', click: () => handlers.setTheme('dark') },
          ],
        },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [
        { label: 'Rowbot Guide (README)', click: handlers.openReadme },
        { label: 'Open the Logs Folder', click: handlers.openLogs },
      ],
    },
  ];
}
