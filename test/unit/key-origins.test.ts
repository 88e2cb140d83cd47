import { describe, expect, it } from 'vitest';
import { envKeyAllowances, keyDestinationProblem, parseKeyAllowance } from '../../electron/engine/keys.ts';
import { COMMAND_NAMES } from '../../shared/api.ts';
import { KEY_IDS, PROVIDER_PRESETS, keyMayGoTo, keyOriginsFromLines, originMatches } from '../../shared/providers.ts';
import { commandInputs } from '../../shared/schemas.ts';

describe('keyMayGoTo', () => {
  it('lets every preset’s key go to the preset’s own address', () => {
    for (const preset of PROVIDER_PRESETS) {
      if (preset.keyId === null || preset.keyId === 'custom' || preset.keyId === 'azure') continue;
      expect(keyMayGoTo(preset.keyId, preset.baseUrl)).toBe(true);
    }
    expect(keyMayGoTo('azure', 'https://contoso.openai.azure.com/openai/deployments/gpt4o')).toBe(true);
    expect(keyMayGoTo('azure', 'https://contoso.cognitiveservices.azure.com/openai/deployments/x')).toBe(true);
  });

  it('refuses look-alikes: another scheme, port, host or a suffix trick', () => {
    for (const address of [
      'http://api.openai.com/v1',
      'https://api.openai.com:8443/v1',
      'https://api.openai.com.evil.example/v1',
      'https://evil.example/api.openai.com/v1',
      'https://api.openai.com@evil.example/v1',
      'not a url',
    ]) {
      expect(keyMayGoTo('openai', address)).toBe(false);
    }
    expect(keyMayGoTo('azure', 'https://openai.azure.com.evil.example/')).toBe(false);
    expect(keyMayGoTo('azure', 'https://evilopenai.azure.com/')).toBe(false);
    expect(keyMayGoTo('groq', 'https://api.openai.com/v1')).toBe(false);
    for (const keyId of KEY_IDS) expect(keyMayGoTo(keyId, 'http://127.0.0.1:8000/v1')).toBe(false);
  });

  it('takes the addresses the user allowed, exactly, and *.domain for subdomains', () => {
    expect(keyMayGoTo('custom', 'http://10.0.0.5:8000/v1', ['http://10.0.0.5:8000'])).toBe(true);
    expect(keyMayGoTo('custom', 'http://10.0.0.5:8001/v1', ['http://10.0.0.5:8000'])).toBe(false);
    expect(originMatches('https://*.corp.example', 'https://llm.corp.example/v1')).toBe(true);
    expect(originMatches('https://*.corp.example', 'https://corp.example/v1')).toBe(false);
  });
});

describe('key allowances', () => {
  it('reads SLOT=ADDRESS, keeps the origin only, and explains a bad one', () => {
    expect(parseKeyAllowance('OpenAI=https://Gateway.example.com/v1/')).toEqual({
      keyId: 'openai',
      origin: 'https://gateway.example.com',
    });
    expect(parseKeyAllowance('azure=https://*.azure-api.net')).toEqual({
      keyId: 'azure',
      origin: 'https://*.azure-api.net',
    });
    expect(() => parseKeyAllowance('https://gateway.example.com')).toThrow('write SLOT=ADDRESS');
    expect(() => parseKeyAllowance('mistral=https://api.mistral.ai')).toThrow('SLOT one of openai, anthropic');
    const problems: string[] = [];
    expect(
      envKeyAllowances({ ROWBOT_ALLOW_KEY_TO: 'custom=http://10.0.0.5:8000, bad groq=https://gw.example' }, (m) =>
        problems.push(m),
      ),
    ).toEqual([
      { keyId: 'custom', origin: 'http://10.0.0.5:8000' },
      { keyId: 'groq', origin: 'https://gw.example' },
    ]);
    expect(problems).toEqual([expect.stringContaining('ROWBOT_ALLOW_KEY_TO: "bad" is not a key allowance')]);
  });

  it('says where the key goes and how to allow another address', () => {
    expect(keyDestinationProblem('openai', 'https://api.openai.com/v1', [])).toBeNull();
    expect(
      keyDestinationProblem('custom', 'http://10.0.0.5:8000/v1', [{ keyId: 'custom', origin: 'http://10.0.0.5:8000' }]),
    ).toBeNull();
    // An allowance is for one key only.
    expect(
      keyDestinationProblem('openai', 'http://10.0.0.5:8000/v1', [{ keyId: 'custom', origin: 'http://10.0.0.5:8000' }]),
    ).toBe(
      'Rowbot sends your OpenAI key only to https://api.openai.com, not to http://10.0.0.5:8000, so nothing was sent. If you trust http://10.0.0.5:8000 with this key, save the key again in Settings → API keys with this address added under “Also send this key to”. Otherwise choose an address the key may go to.',
    );
    // rowbot run's key came from the command line: the advice is the command line's.
    expect(keyDestinationProblem('openai', 'http://10.0.0.5:8000/v1', [], { from: 'command line' })).toContain(
      'If you trust http://10.0.0.5:8000 with this key, allow it: add --allow-key-to openai=http://10.0.0.5:8000 to the command, or set the environment variable ROWBOT_ALLOW_KEY_TO="openai=http://10.0.0.5:8000".',
    );
    expect(keyDestinationProblem('custom', 'http://10.0.0.5:8000/v1', [])).toContain(
      'only to addresses you allowed for it, and you have allowed none',
    );
  });
});

describe('addresses saved with a key', () => {
  it('let the key go there, and only there, besides its service’s own', () => {
    const saved = ['https://gateway.example.com'];
    expect(keyDestinationProblem('openai', 'https://gateway.example.com/v1', [], { saved })).toBeNull();
    expect(keyDestinationProblem('openai', 'https://api.openai.com/v1', [], { saved })).toBeNull();
    expect(keyDestinationProblem('openai', 'https://gateway.example.com:8443/v1', [], { saved })).toContain(
      'only to https://api.openai.com, https://gateway.example.com, not to https://gateway.example.com:8443',
    );
    // Saved and environment allowances add up.
    expect(
      keyDestinationProblem('custom', 'http://10.0.0.6/v1', [{ keyId: 'custom', origin: 'http://10.0.0.6' }], {
        saved: ['http://10.0.0.5:8000'],
      }),
    ).toBeNull();
  });

  it('are read from Settings’ lines: a pasted API address is cut to its server, a bad line is named', () => {
    expect(
      keyOriginsFromLines('\n HTTP://10.0.0.5:8000/v1 \n\nhttps://Gateway.example.com\nhttp://10.0.0.5:8000\n'),
    ).toEqual({
      origins: ['http://10.0.0.5:8000', 'https://gateway.example.com'],
      problem: null,
    });
    expect(keyOriginsFromLines('gateway.example.com').problem).toBe(
      '“gateway.example.com” is not a web address: write it like https://gateway.example.com',
    );
    expect(keyOriginsFromLines('https://me:secret@gateway.example.com').problem).toContain('must not hold a user name');
    expect(keyOriginsFromLines('ftp://files.example.com').problem).toContain('must start with https:// or http://');
    expect(keyOriginsFromLines('https://*.example.com').problem).toContain('without *');
  });

  it('are checked by the API: origins only, and the custom key needs one; no call changes them without the key', () => {
    const setKey = commandInputs.setKey;
    const key = 'rk-custom-0123456789';
    expect(setKey.parse({ provider: 'custom', key, origins: ['HTTP://10.0.0.5:8000'] })).toEqual({
      provider: 'custom',
      key,
      origins: ['http://10.0.0.5:8000'],
    });
    expect(setKey.parse({ provider: 'openai', key })).toEqual({ provider: 'openai', key });
    const problem = (input: unknown): string => {
      const parsed = setKey.safeParse(input);
      return parsed.success
        ? 'accepted'
        : `${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`;
    };
    expect(problem({ provider: 'custom', key })).toBe(
      'origins needs the address of your server: the Other OpenAI-compatible API key is sent only to the addresses saved with it, such as http://10.0.0.5:8000',
    );
    expect(problem({ provider: 'custom', key, origins: [] })).toMatch(/^origins needs the address/);
    expect(problem({ provider: 'openai', key, origins: ['https://gw.example.com/v1'] })).toBe(
      'origins.0 must be the server’s address only, without a path: https://gw.example.com',
    );
    expect(problem({ provider: 'openai', key, origins: ['https://u:p@gw.example.com'] })).toMatch(/user name/);
    expect(problem({ provider: 'openai', key, origins: ['file:///etc/passwd'] })).toMatch(/https:\/\//);
    expect(problem({ provider: 'openai', key, origins: ['https://*.example.com'] })).toMatch(/without \*/);
    // Where a key goes is part of saving the key: there is no call that changes it alone.
    expect(problem({ provider: 'custom', origins: ['http://evil.example'] })).toMatch(/^key /);
    expect(problem({ provider: 'custom', key: '', origins: ['http://evil.example'] })).toMatch(/^key /);
    expect(COMMAND_NAMES.filter((name) => /key/i.test(name))).toEqual(['getKeys', 'setKey', 'clearKey']);
    expect(problem({ provider: 'custom', key, origins: Array.from({ length: 21 }, (_, i) => `http://h${i}`) })).toMatch(
      /at most 20/,
    );
  });
});
