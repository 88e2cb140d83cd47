// Every e2e test fails on a console error or an uncaught error in any page it opened (issue 15):
// a CSP violation, a failed request the UI did not expect, a React warning logged as an error.
import { afterEach, expect } from 'vitest';
import { takePageProblems } from './harness.ts';

afterEach(() => {
  expect(takePageProblems(), 'console errors or page errors in the browser').toEqual([]);
});
