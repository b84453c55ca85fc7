// Test-side access to the stand-ins started by global-setup.ts. Call `useAwsStandIns()` at the top of a test
// file (or in beforeAll): it returns the endpoints and points this worker's environment at them, so code that
// builds its own SDK clients (handlers, middy) talks to the stand-ins too.

import { inject } from 'vitest';
import { awsEnvironmentFor, type StandInEndpoints } from './stand-ins.ts';

export type { StandInEndpoints };

export function standInEndpoints(): StandInEndpoints {
  const endpoints = inject('awsStandIns');
  if (!endpoints) throw new Error('the AWS stand-ins are not running: is test/support/global-setup.ts configured?');
  return endpoints;
}

export function useAwsStandIns(): StandInEndpoints {
  const endpoints = standInEndpoints();
  Object.assign(process.env, awsEnvironmentFor(endpoints));
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return endpoints;
}
