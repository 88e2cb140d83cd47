/**
 * The only bridge between the sandboxed UI and the main process: the Transport of
 * shared/client.ts over an allow-list of channels, one per command of the contract.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { COMMAND_NAMES, IPC_EVENT_CHANNEL, IPC_PREFIX, type EventMessage } from '../../shared/api.ts';
import type { Transport } from '../../shared/client.ts';
import type { Result } from '../../shared/errors.ts';

const bridge = {
  platform: 'electron',
  async invoke(name, input) {
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
      return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `There is no command called ${String(name)}.` } };
    }
    return (await ipcRenderer.invoke(`${IPC_PREFIX}${name}`, input)) as Result<unknown>;
  },
  subscribe(listener) {
    // The IPC event object never reaches the page.
    const handler = (_event: IpcRendererEvent, message: EventMessage): void => listener(message);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
} satisfies Transport;

contextBridge.exposeInMainWorld('rowbot', bridge);
