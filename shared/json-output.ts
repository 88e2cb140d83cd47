/** The fields of a JSON answer, by name; empty when the answer is not a JSON object (a Markdown fence is allowed). */
export function jsonFieldsOf(output: string | null): Record<string, unknown> {
  if (!output) return {};
  try {
    const value: unknown = JSON.parse(output.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
