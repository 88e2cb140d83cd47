/**
 * Builds the typed Api from a transport. Both transports (Electron IPC through the
 * preload, HTTP + server-sent events in `rowbot serve`) only move Results and event
 * messages; this is the one place they become the Api the UI uses.
 */
import { ApiError, COMMAND_NAMES, type Api, type CommandName, type Commands, type EventMessage } from './api.ts';
import type { Result } from './errors.ts';

export interface Transport {
  readonly platform: Api['platform'];
  invoke(name: CommandName, input: unknown): Promise<Result<unknown>>;
  /** Every event message, in order; returns the unsubscribe function. */
  subscribe(listener: (message: EventMessage) => void): () => void;
}

export function createApi(transport: Transport): Api {
  const commands = Object.fromEntries(
    COMMAND_NAMES.map((name) => [
      name,
      async (input: unknown) => {
        const result = await transport.invoke(name, input ?? {});
        if (!result.ok) throw new ApiError(result.error);
        return result.value;
      },
    ]),
  ) as unknown as Commands;
  return {
    ...commands,
    platform: transport.platform,
    on(event, listener) {
      return transport.subscribe((message) => {
        if (message.name === event) (listener as (payload: unknown) => void)(message.payload);
      });
    },
  };
}
