/** How `rowbot` ends, for scripts: its exit codes. */
export const EXIT = { allDone: 0, someFailed: 1, badUsage: 2, interrupted: 130 } as const;

/** Bad usage or bad input: exit 2 before any request is sent. */
export class UsageError extends Error {}
