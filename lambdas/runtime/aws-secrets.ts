// The vendor tokens in Secrets Manager over a (traced) client. Kept out of aws.ts and imported only with import()
// (`tokenStore()` there): the Secrets Manager client is evaluated on the first token read, not at cold start.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenStore } from '../core/ports.ts';
import { SecretsManagerTokenStore } from '../stores/secrets-tokens.ts';
import type { LambdaWiring } from './aws.ts';
import { traced } from './tracing.ts';

export function secretsTokenStore(w: LambdaWiring): TokenStore {
  const secrets = traced(w.tracing, new SecretsManagerClient({}));
  return new SecretsManagerTokenStore({ client: secrets, prefix: w.config.secretPrefix, kmsKeyId: w.config.kmsKeyId });
}
