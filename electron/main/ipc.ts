import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { COMMAND_NAMES, IPC_PREFIX } from '../../shared/api.ts';
import type { Result } from '../../shared/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { createHandlers, dispatch, type ShellHooks } from '../engine/handlers.ts';

/**
 * One ipcMain handler per command of the contract. Each checks that the call comes
 * from our own window's top frame, then validates and runs it; nothing throws across.
 */
export function registerIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  engine: Engine;
  hooks: ShellHooks;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
}): () => void {
  const handlers = createHandlers(options.engine, options.hooks);
  for (const name of COMMAND_NAMES) {
    options.ipcMain.handle(`${IPC_PREFIX}${name}`, async (event, input: unknown): Promise<Result<unknown>> => {
      if (!options.isTrustedSender(event)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'This window may not call Rowbot.' } };
      }
      return dispatch(handlers, name, input, options.hooks);
    });
  }
  return () => {
    for (const name of COMMAND_NAMES) options.ipcMain.removeHandler(`${IPC_PREFIX}${name}`);
  };
}
