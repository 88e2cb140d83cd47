/** About four characters per token for English text: a labelled estimate until a real tokenizer is used. */
export function estimateTokens(text: string): number {
  return text ? Math.ceil(text.length / 4) : 0;
}
