import { describe, expect, it } from 'vitest';
import { envKeyAllowances, keyDestinationProblem, parseKeyAllowance } from '../../electron/engine/keys.ts';
import { KEY_IDS, PROVIDER_PRESETS, keyMayGoTo, originMatches } from '../../shared/providers.ts';

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
      'Rowbot sends your OpenAI key only to https://api.openai.com, not to http://10.0.0.5:8000, so nothing was sent. If you trust http://10.0.0.5:8000 with this key, allow it: start Rowbot with the environment variable ROWBOT_ALLOW_KEY_TO="openai=http://10.0.0.5:8000" (rowbot run also takes --allow-key-to openai=http://10.0.0.5:8000). Otherwise choose the service\'s own address.',
    );
    expect(keyDestinationProblem('custom', 'http://10.0.0.5:8000/v1', [])).toContain(
      'only to addresses you allowed for it, and you have allowed none',
    );
  });
});
