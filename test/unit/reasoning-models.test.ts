/**
 * The rules in shared/providers.ts that decide what a request may carry, from OpenAI's own words:
 * - reasoning models: the o-series and gpt-5 "models only" reasoning options, "All models before
 *   gpt-5.1 default to medium reasoning effort", "gpt-5.1 defaults to none, which does not perform
 *   reasoning", "The gpt-5-pro model defaults to (and only supports) high reasoning effort"
 *   (openai-node src/resources/shared.ts, `Reasoning.effort`, commit 7a3c26e4); they refuse any
 *   temperature but the default: "Unsupported value: 'temperature' does not support 0.7 with this
 *   model. Only the default (1) value is supported." (https://platform.openai.com/docs/guides/reasoning,
 *   "Limitations"; the same 400 from Azure OpenAI);
 * - the output limit field: `max_tokens` "is now deprecated in favor of `max_completion_tokens`, and
 *   is not compatible with o-series models" (openai-node src/resources/chat/completions/completions.ts);
 *   Groq: "Deprecated in favor of `max_completion_tokens`" (groq-python
 *   src/groq/types/chat/completion_create_params.py); Ollama's /v1 reads `max_tokens` only
 *   (ollama/ollama openai/openai.go, `ChatCompletionRequest`).
 */
import { describe, expect, it } from 'vitest';
import { isReasoningModel, outputLimitField, presetById, reasoningModelProblem } from '../../shared/providers.ts';

describe('isReasoningModel', () => {
  it.each([
    'o1',
    'o1-mini',
    'o1-preview-2024-09-12',
    'o3',
    'o3-mini-2025-01-31',
    'o3-pro',
    'o4-mini',
    'gpt-5',
    'gpt-5-mini',
    'gpt-5-nano-2025-08-07',
    'gpt-5-pro',
    'gpt-5-codex',
    'gpt-5.1-codex',
    'gpt-5.2-pro',
    'codex-mini-latest',
    'openai/o3-mini',
    ' GPT-5 ',
  ])('%s is one', (model) => {
    expect(isReasoningModel(model)).toBe(true);
  });

  it.each([
    'gpt-4o',
    'gpt-4o-mini',
    'gpt-4.1',
    'gpt-5-chat-latest',
    'gpt-5.1',
    'gpt-5.2-chat-latest',
    'chatgpt-4o-latest',
    'llama-3.1-8b-instant',
    'openai/gpt-oss-120b',
    'claude-sonnet-4-20250514',
    'ollama-o1-style',
    '',
  ])('%s is not', (model) => {
    expect(isReasoningModel(model)).toBe(false);
  });
});

describe('reasoningModelProblem', () => {
  const openai = (model: string) => ({ kind: 'openai', model });

  it('names the model and what the job sets, and says what to do', () => {
    expect(reasoningModelProblem(openai('o4-mini'), { temperature: 0.2, topP: 0.9 })).toBe(
      '“o4-mini” is a reasoning model: it takes no temperature or top-p, and the provider would refuse every row with temperature 0.2 and top-p 0.9. Clear the temperature and top-p (in the CLI, leave out --temperature and --top-p), or choose another model.',
    );
  });

  it('is null when nothing would be refused', () => {
    expect(reasoningModelProblem(openai('o4-mini'), { temperature: null, topP: null })).toBeNull();
    // 1 is their default, which they accept.
    expect(reasoningModelProblem(openai('o4-mini'), { temperature: 1, topP: 1 })).toBeNull();
    expect(reasoningModelProblem(openai('gpt-4o'), { temperature: 0.2, topP: 0.9 })).toBeNull();
    // Not an OpenAI-compatible job: the rule is OpenAI's.
    expect(reasoningModelProblem({ kind: 'anthropic', model: 'o3' }, { temperature: 0.2, topP: null })).toBeNull();
  });
});

describe('outputLimitField', () => {
  const at = (id: string) => {
    const preset = presetById(id);
    if (!preset) throw new Error(id);
    return outputLimitField({
      baseUrl: preset.baseUrl,
      keyId: preset.keyId,
      ...(preset.azureApiVersion ? { azureApiVersion: preset.azureApiVersion } : {}),
    });
  };

  it('max_completion_tokens for OpenAI, Azure OpenAI and Groq, as their API references say', () => {
    expect(['openai', 'azure', 'groq'].map(at)).toEqual(Array(3).fill('max_completion_tokens'));
  });

  it('max_tokens for every other preset', () => {
    expect(['ollama', 'lmstudio', 'vllm', 'openrouter', 'together', 'gemini'].map(at)).toEqual(
      Array(6).fill('max_tokens'),
    );
  });

  it('OpenAI by its key (a gateway in front of it) or its address; Azure by its api-version; others by address', () => {
    expect(outputLimitField({ baseUrl: 'https://gateway.example.com/v1', keyId: 'openai' })).toBe(
      'max_completion_tokens',
    );
    expect(outputLimitField({ baseUrl: 'https://api.openai.com/v1' })).toBe('max_completion_tokens');
    expect(
      outputLimitField({ baseUrl: 'https://x.openai.azure.com/openai/deployments/d', azureApiVersion: '2024-10-21' }),
    ).toBe('max_completion_tokens');
    expect(outputLimitField({ baseUrl: 'http://localhost:8080/v1', keyId: 'custom' })).toBe('max_tokens');
    expect(outputLimitField({ baseUrl: 'not an address' })).toBe('max_tokens');
  });
});
