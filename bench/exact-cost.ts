// Exact decimal arithmetic for the bench's cost check: no doubles between the price list and the figure.

/** An exact decimal: digits × 10^-scale. */
export interface Decimal {
  digits: bigint;
  scale: number;
}

/** A number as written in JSON or JavaScript ("0.15", "2.1e-3"), exactly. */
export function parseDecimal(text: string): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!match) throw new Error(`not a decimal number: ${text}`);
  const [, sign = '', whole = '0', fraction = '', exponent = '0'] = match;
  let scale = fraction.length - Number(exponent);
  let digits = BigInt(`${sign}${whole}${fraction}`);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

export const atScale = (d: Decimal, scale: number): bigint => d.digits * 10n ** BigInt(scale - d.scale);

export function formatDecimal(d: Decimal): string {
  const text = (d.digits < 0n ? -d.digits : d.digits).toString().padStart(d.scale + 1, '0');
  const whole = text.slice(0, text.length - d.scale);
  const fraction = text.slice(text.length - d.scale).replace(/0+$/, '');
  return `${d.digits < 0n ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Dollars for these tokens at list prices in dollars per million tokens, without rounding. */
export function exactCost(promptTokens: number, completionTokens: number, input: number, output: number): Decimal {
  const inPrice = parseDecimal(String(input));
  const outPrice = parseDecimal(String(output));
  const scale = Math.max(inPrice.scale, outPrice.scale);
  const perMillion =
    BigInt(promptTokens) * atScale(inPrice, scale) + BigInt(completionTokens) * atScale(outPrice, scale);
  return { digits: perMillion, scale: scale + 6 };
}
