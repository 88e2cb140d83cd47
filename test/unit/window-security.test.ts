import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { menuTemplate } from '../../electron/main/menu.ts';
import { secureWindowOptions } from '../../electron/main/window.ts';
import { loadWindowState } from '../../electron/main/window-state.ts';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';

const root = join(import.meta.dirname, '../..');

describe('the window is locked down', () => {
  it('webPreferences: isolation, sandbox, no Node, web security, no webview; DevTools only when asked', () => {
    const { webPreferences } = secureWindowOptions('/app/preload.cjs');
    expect(webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      preload: '/app/preload.cjs',
    });
    expect(secureWindowOptions('/p', { devTools: true }).webPreferences?.devTools).toBe(true);
  });

  it('the Content-Security-Policy allows no remote code and no eval, and index.html carries the same one', () => {
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    // Styles from the app, and the style elements Radix adds for an open dialog with the page's nonce.
    expect(directives['style-src']).toEqual(["'self'", "'nonce-rowbotStyleNonce'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-inline|https?:|\*/);
    const html = readFileSync(join(root, 'renderer/index.html'), 'utf8');
    expect(html).toContain(`content="${CONTENT_SECURITY_POLICY}"`);
  });

  it('the preload exposes one bridge through contextBridge and nothing from Node', () => {
    const preload = readFileSync(join(root, 'electron/preload/index.ts'), 'utf8');
    expect(preload.match(/exposeInMainWorld/g)).toHaveLength(1);
    expect(preload).toContain('satisfies Transport');
    expect(preload).toContain('COMMAND_NAMES');
    expect(preload).not.toMatch(/from 'node:|require\(/);
  });
});

describe('native pieces', () => {
  it('the menu has File (new, import, export, quit), Edit, View (zoom, theme) and Help', () => {
    const sent: string[] = [];
    const template = menuTemplate(
      {
        send: (a) => sent.push(a),
        setTheme: (t) => sent.push(t),
        openReadme: () => sent.push('readme'),
        openLogs: () => sent.push('logs'),
        quit: () => sent.push('quit'),
      },
      'linux',
    );
    expect(template.map((m) => m.label ?? m.role)).toEqual(['&File', 'editMenu', '&View', '&Help']);
    const file = template[0]?.submenu as { label?: string; click?: () => void }[];
    for (const item of file) item.click?.();
    expect(sent).toEqual(['newJob', 'import', 'export', 'settings', 'quit']);
  });

  it('a remembered window that is off every screen opens where the system puts it', () => {
    const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    const file = join(root, 'test/fixtures/window-state-offscreen.json');
    const state = loadWindowState(file, screens);
    expect(state).toEqual({ width: 1400, height: 900, maximized: false });
    expect(loadWindowState('/no/such/file.json', screens)).toEqual({ width: 1280, height: 820, maximized: false });
  });
});
