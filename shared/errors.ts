/**
 * Stable error codes that cross every boundary (IPC, HTTP, CLI exit messages).
 * The message is for people; the code is for programs and tests.
 */
export const ErrorCodes = [
  'BAD_REQUEST',
  'UNKNOWN_COMMAND',
  'FORBIDDEN',
  'NOT_FOUND',
  'FILE_EMPTY',
  'FILE_UNREADABLE',
  'FILE_TOO_LARGE',
  'CSV_INVALID',
  'TEMPLATE_INVALID',
  'JOB_STATE',
  'EXPORT_FAILED',
  'DB_TOO_NEW',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export class RowbotError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RowbotError';
    this.code = code;
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export function isErrorPayload(value: unknown): value is ErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorPayload).code === 'string' &&
    typeof (value as ErrorPayload).message === 'string'
  );
}

/** Turns anything thrown into a payload that is safe to show: no stack, no raw objects. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof RowbotError) return error.toPayload();
  return {
    code: 'INTERNAL',
    message:
      'Something went wrong inside Rowbot. Your data is safe; try again, and if it keeps happening, restart the app.',
  };
}

/** What every transport returns: a value, or a coded error. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };
