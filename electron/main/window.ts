import type { BrowserWindowConstructorOptions, WebContents } from 'electron';

/** The locked-down settings of every Rowbot window. A test reads these. */
export function secureWindowOptions(
  preloadPath: string,
  options: { devTools: boolean } = { devTools: false },
): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: 'Rowbot',
    backgroundColor: '#f7f7f8',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  };
}

/** No navigation away from the app and no new windows, whatever the page tries. */
export function lockNavigation(contents: WebContents, appUrlPrefix: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(appUrlPrefix)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
