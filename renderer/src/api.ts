import { createContext, use } from 'react';
import type { Api, EventMessage } from '../../shared/api.ts';
import { createApi, type Transport } from '../../shared/client.ts';
import type { Result } from '../../shared/errors.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser over `rowbot serve`. */
    rowbot?: Transport;
  }
}

const LOST_CONNECTION: Result<never> = {
  ok: false,
  error: {
    code: 'INTERNAL',
    message: 'Lost the connection to Rowbot. Check that `rowbot serve` is still running, then reload the page.',
  },
};

/** `rowbot serve`: commands are POSTs, events arrive over one EventSource. */
export function httpTransport(): Transport {
  const listeners = new Set<(message: EventMessage) => void>();
  let source: EventSource | null = null;
  const connect = (): void => {
    source = new EventSource('/api/events');
    source.onmessage = (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as EventMessage;
      for (const listener of listeners) listener(message);
    };
  };
  return {
    platform: 'web',
    async invoke(name, input) {
      try {
        const response = await fetch(`/api/call/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input),
          credentials: 'same-origin',
        });
        if (response.status === 401) {
          return {
            ok: false,
            error: {
              code: 'FORBIDDEN',
              message: 'Rowbot needs its access token: open the full link that `rowbot serve` printed.',
            },
          };
        }
        return (await response.json()) as Result<unknown>;
      } catch {
        return LOST_CONNECTION;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          source?.close();
          source = null;
        }
      };
    },
  };
}

export function connectApi(): Api {
  return createApi(window.rowbot ?? httpTransport());
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = use(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}
