import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

const DEFAULT: WindowState = { width: 1280, height: 820, maximized: false };

/**
 * The window's last size and place, remembered between launches. A place that no longer
 * lies on any screen (a monitor was unplugged) is dropped so the window never opens off-screen.
 */
export function loadWindowState(file: string, screens: readonly Area[]): WindowState {
  let state: WindowState;
  try {
    state = { ...DEFAULT, ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>) };
  } catch {
    return DEFAULT;
  }
  state.width = Math.max(1024, Math.round(state.width));
  state.height = Math.max(700, Math.round(state.height));
  if (state.x !== undefined && state.y !== undefined) {
    const { x, y } = state;
    const visible = screens.some(
      (s) => x + 100 > s.x && y + 50 > s.y && x < s.x + s.width - 100 && y < s.y + s.height - 50,
    );
    if (!visible) {
      delete state.x;
      delete state.y;
    }
  }
  return state;
}

export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state));
}
