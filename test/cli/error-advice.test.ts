// What the command line says and which exit status it gives for the local-mode failures of several processes and
// of bad local files: a lock another process keeps (4, try again), a damaged state or token file (2, the fix named).

import { describe, expect, it } from 'vitest';
import { adviseError } from '../../lambdas/cli/error-advice.ts';
import { OptionValueError } from '../../lambdas/runtime/local.ts';
import { FileLockLostError, FileLockTimeoutError, LOCK_STALE_MS } from '../../lambdas/stores/file-lock.ts';
import { StateFileError } from '../../lambdas/stores/file-state.ts';
import { TokenFileError } from '../../lambdas/stores/file-tokens.ts';

describe('adviseError for local files and locks', () => {
  it('a lock another process keeps: exit 4, let it finish, and how soon a dead holder stops mattering', () => {
    const advice = adviseError(new FileLockTimeoutError('/h/home.lock', 'the home folder /h'));
    expect(advice.exitCode).toBe(4);
    expect(advice.message).toContain('the home folder /h is in use by another zepp-lake process (lock /h/home.lock');
    expect(advice.message).toContain('let it finish, then run the command again');
    expect(advice.message).toContain(`taken over after ${LOCK_STALE_MS / 1000} s`);
    expect(adviseError(new FileLockLostError('/h/home.lock')).exitCode).toBe(4);
  });

  it('a damaged state or token file, or a lake inside the home folder: exit 2 with the message as it is', () => {
    for (const err of [
      new StateFileError('the state file /h/state.json is damaged (not valid JSON): move it aside'),
      new TokenFileError('the token file /h/tokens.json is damaged (not valid JSON): move it aside'),
      new OptionValueError('the lake (/h/lake) is inside the home folder (/h)'),
    ]) {
      const advice = adviseError(err);
      expect(advice.exitCode, err.name).toBe(2);
      expect(advice.message).toBe(err.message);
    }
  });
});
