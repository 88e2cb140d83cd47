import { describe, expect, it } from 'vitest';
import { priceList, priceOf } from '../../electron/engine/pricing.ts';

const shipped = priceList([]);
const priced = (model: string, list = shipped) =>
  priceOf({ kind: 'openai', baseUrl: 'https://api.example.com/v1', model }, list)?.model ?? null;

describe('which price a model gets', () => {
  it('its own name, a dated or numbered release of it, a router’s vendor/ prefix or a :tag', () => {
    expect(priced('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(priced('gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
    expect(priced('GPT-4o-2024-08-06')).toBe('gpt-4o');
    expect(priced('claude-sonnet-4-20250514')).toBe('claude-sonnet-4');
    expect(priced('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku');
    expect(priced('gemini-2.0-flash-001')).toBe('gemini-2.0-flash');
    expect(priced('openai/gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(priced('openai/gpt-4o-mini:free')).toBe('gpt-4o-mini');
    // A release with a price of its own has its own entry, and it wins.
    expect(priceOf({ kind: 'openai', baseUrl: 'x', model: 'gpt-4o-2024-05-13' }, shipped)).toMatchObject({
      input: 5,
      output: 15,
    });
  });

  it('another model that merely starts the same gets no price, never a cheaper one', () => {
    for (const model of [
      'o3-pro',
      'o3-mini',
      'o3-deep-research',
      'o4-mini-deep-research',
      'gpt-4o-realtime-preview',
      'gpt-4o-audio-preview-2024-12-17',
      'claude-opus-4-5',
      'gemini-2.0-flash-lite',
      'gpt-4.1-mini-fast',
    ]) {
      expect(priced(model), model).toBeNull();
    }
  });

  it('the user’s price for a name covers its releases too, and wins over the shipped one', () => {
    const mine = priceList([{ model: 'o3-pro', input: 20, cachedInput: null, output: 80 }]);
    expect(priceOf({ kind: 'openai', baseUrl: 'x', model: 'o3-pro-2025-06-10' }, mine)).toMatchObject({
      model: 'o3-pro',
      input: 20,
      source: 'added',
    });
    expect(priced('o3-2025-04-16', mine)).toBe('o3');
  });
});
