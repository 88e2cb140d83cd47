import { useEffect } from 'react';
import { useApi } from './api.ts';
import { savePreferences } from './preferences.ts';
import { navigate } from './router.ts';

/** Screens listen for these to do what the desktop menu asked. */
export const IMPORT_REQUEST = 'rowbot:import-request';
export const EXPORT_REQUEST = 'rowbot:export-request';

let importPending = false;

/** True once after File › Import asked for the file dialog. */
export function takeImportRequest(): boolean {
  const pending = importPending;
  importPending = false;
  return pending;
}

/** Carries out the native menu's requests (desktop app only; the browser has no menu). */
export function useMenu(): void {
  const api = useApi();
  useEffect(
    () =>
      api.on('menu', ({ action }) => {
        if (action === 'newJob') navigate({ screen: 'new' });
        else if (action === 'settings') navigate({ screen: 'settings' });
        else if (action === 'import') {
          importPending = true;
          navigate({ screen: 'new' });
          window.dispatchEvent(new Event(IMPORT_REQUEST));
        } else if (action === 'export') window.dispatchEvent(new Event(EXPORT_REQUEST));
        else savePreferences({ theme: action.slice('theme:'.length) as 'system' | 'light' | 'dark' });
      }),
    [api],
  );
}
