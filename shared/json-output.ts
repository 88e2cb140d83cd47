/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields of a JSON answer, by name; empty when the answer is not a JSON object (a Markdown fence is allowed). */
export function jsonFieldsOf(output: string | null): Record<string, unknown> {
  if (!output) return {};
  try {
    const value: unknown = JSON.parse(output.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
    return isJsonObject(value) ? value : {};
  } catch {
    return {};
  }
}
