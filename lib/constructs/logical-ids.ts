// Stateful resources keep their CloudFormation logical ids forever: a changed id means CloudFormation
// creates a new resource and deletes (or orphans) the old one, with its data.

import { CfnResource } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Gives a construct's CloudFormation resource a fixed logical id, independent of where it sits in the tree. */
export function pinLogicalId(construct: Construct, logicalId: string): void {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(`cannot pin the logical id of ${construct.node.path}: it has no cloudformation resource`);
  }
  resource.overrideLogicalId(logicalId);
}
