import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The dependency rule of ARCHITECTURE.md is enforced by lint; prove the rule bites.
const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: the dependency rule', () => {
  it.each([
    ['renderer/src/x.ts', "import { Engine } from '../../electron/engine/engine.ts';\nexport { Engine };\n"],
    ['renderer/src/x.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"],
    ['renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };\n"],
    ['electron/engine/x.ts', "import { app } from 'electron';\nexport { app };\n"],
    ['electron/cli/x.ts', "import { app } from 'electron';\nexport { app };\n"],
    ['shared/x.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"],
    ['shared/x.ts', "import { Engine } from '../electron/engine/engine.ts';\nexport { Engine };\n"],
    ['electron/preload/x.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"],
    ['electron/preload/x.ts', "import { Engine } from '../engine/engine.ts';\nexport { Engine };\n"],
  ])('%s: refuses %s', async (file, code) => {
    expect(await importErrors(file, code)).not.toEqual([]);
  });

  it.each([
    ['renderer/src/x.ts', "import type { Api } from '../../shared/api.ts';\nexport type { Api };\n"],
    ['electron/engine/x.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"],
    ['electron/main/x.ts', "import { app } from 'electron';\nexport { app };\n"],
    ['electron/preload/x.ts', "import { contextBridge } from 'electron';\nexport { contextBridge };\n"],
  ])('%s: allows %s', async (file, code) => {
    expect(await importErrors(file, code)).toEqual([]);
  });
});
