import { Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { composeTestApp } from './infra-fixture.ts';

/** Every acknowledgement recorded in the construct tree: rule id, reason, where. */
function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id,
          reason,
          path: construct.node.path,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it('pass for the whole app with every finding fixed or acknowledged', () => {
    const { app } = composeTestApp({ stage: 'prod', alarmEmail: 'me@example.com' });
    expect(() => app.synth()).not.toThrow();
  });

  it('are active: an insecure resource added to the app fails synthesis', () => {
    const { app } = composeTestApp({ stage: 'prod' });
    new sqs.Queue(new Stack(app, 'InsecureExtra'), 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/InsecureExtra\/PlainQueue[\s\S]*AwsSolutions-SQS2/);
  });

  it('acknowledge only the reviewed rules, each with a written reason', () => {
    const { app } = composeTestApp({ stage: 'prod' });
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
    const rules = new Set(acks.map((ack) => ack.id.replace(/^\w+::/, '').replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual(['AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1', 'AwsSolutions-SQS3']);
  });

  it('never acknowledge a wildcard resource other than X-Ray, the lake prefixes, user secrets and function versions', () => {
    const { app } = composeTestApp({ stage: 'prod' });
    const resources = acknowledgements(app)
      .map((ack) => /IAM5\[Resource::(.*)\]$/.exec(ack.id)?.[1])
      .filter((resource): resource is string => resource !== undefined);
    for (const resource of resources) {
      expect(resource).toMatch(
        /^(\*|zepp-lake-prod-storage:LakeBucketArn\/(tables|raw|raw\/webhook-rejects)\/\*|arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:zepp-lake\/users\/\*-\?{6}|<\w+\.Arn>:\*)$/,
      );
    }
  });
});
