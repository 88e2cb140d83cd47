/**
 * The one Content-Security-Policy of the UI, in Electron and in `rowbot serve`. Scripts come only from
 * the app itself. Styles too, but for the <style> elements that Radix's dialogs and menus add while
 * they are open (react-remove-scroll): they carry a nonce. renderer/index.html holds the placeholder;
 * `rowbot serve` puts a fresh nonce in its place for every page it serves (withStyleNonce), and the UI
 * reads it from the page (renderer/src/main.tsx).
 */
export const STYLE_NONCE_PLACEHOLDER = 'rowbotStyleNonce';

export function contentSecurityPolicy(styleNonce: string = STYLE_NONCE_PLACEHOLDER): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** The page with `nonce` in place of the placeholder: in its policy and in the meta the UI reads it from. */
export function withStyleNonce(html: string, nonce: string): string {
  return html.replaceAll(STYLE_NONCE_PLACEHOLDER, nonce);
}
