import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Rowbot';

/** The folder Electron's app.getPath('userData') resolves to, so the CLI and the app share one database. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

/** `ROWBOT_DB` wins; otherwise `rowbot.db` in the data folder. */
export function defaultDbFile(env: NodeJS.ProcessEnv = process.env, dataDir = defaultDataDir(env)): string {
  return env.ROWBOT_DB ?? join(dataDir, 'rowbot.db');
}
