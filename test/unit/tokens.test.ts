import { describe, expect, it } from 'vitest';
import { encodingFor, estimateTokens, promptTokens, tokenCounterFor } from '../../electron/engine/tokens.ts';

const openai = (model: string) => ({ kind: 'openai' as const, baseUrl: 'https://api.openai.com/v1', model });

describe('token counting', () => {
  it('uses OpenAI’s own encodings for its models, and says when it only estimates', () => {
    expect(encodingFor(openai('gpt-4o-mini'))).toBe('o200k_base');
    expect(encodingFor(openai('openai/gpt-4.1'))).toBe('o200k_base');
    expect(encodingFor(openai('gpt-4-turbo'))).toBe('cl100k_base');
    expect(encodingFor(openai('llama3.1:8b'))).toBeNull();
    expect(
      encodingFor({ kind: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', model: 'claude-sonnet-4' }),
    ).toBeNull();
    expect(tokenCounterFor(openai('llama3')).exact).toBe(false);
  });

  it('counts real tokens', () => {
    const o200k = tokenCounterFor(openai('gpt-4o'));
    expect(o200k.exact).toBe(true);
    expect(o200k.count('Hello world')).toBe(2);
    expect(o200k.count('')).toBe(0);
    // Chat framing: 4 per message and 3 to prime the answer.
    expect(promptTokens(o200k, '', 'Hello world')).toBe(9);
    expect(promptTokens(o200k, 'Be brief.', 'Hello world')).toBe(9 + o200k.count('Be brief.') + 4);
  });

  it('estimates about four characters per token otherwise', () => {
    expect(estimateTokens('x'.repeat(40))).toBe(10);
    expect(estimateTokens('')).toBe(0);
  });
});
