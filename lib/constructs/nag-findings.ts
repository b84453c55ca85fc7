// cdk-nag v3 acknowledges a granular finding only by its exact id, e.g.
// `AwsSolutions-IAM5[Resource::<import-name>/tables/*]`. The id is built with cdk-nag's own flattening of the
// resolved CloudFormation value, so an acknowledgement written here matches what the rule reports.

import { Stack, Validations } from 'aws-cdk-lib';
// Not part of cdk-nag's documented API, but it is the exact function the IAM5 rule uses to name its findings.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** The IAM5 finding for a wildcard resource (a string that may hold tokens), as cdk-nag names it. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}`;
}

/** Acknowledges IAM5 wildcard findings on `scope` (a role, usually), each with the reason it is acceptable. */
export function acknowledgeWildcards(
  scope: IConstruct,
  findings: readonly { readonly finding: string; readonly reason: string }[],
): void {
  Validations.of(scope).acknowledge(
    ...findings.map(({ finding, reason }) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason })),
  );
}
