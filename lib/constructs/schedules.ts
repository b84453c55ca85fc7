// EventBridge Scheduler: the periodic sync (scheduler -> dispatcher -> queue) and the daily token refresh.
// Both have a flexible window (spreads load, the exact minute does not matter), a bounded retry policy, and a
// dead-letter queue so a failed invocation is visible instead of lost.

import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface SchedulesProps {
  readonly dispatcher: lambda.IFunction;
  readonly tokenRefresher: lambda.IFunction;
  /** Hours between two syncs of every user (1-24). */
  readonly syncEveryHours: number;
  readonly encryptionKey: kms.IKey;
  /**
   * How far the scheduler may shift an invocation.
   * @default 15 minutes
   */
  readonly flexibleWindow?: Duration;
}

/** The event each schedule delivers to its function. */
export const SCHEDULE_INPUT = {
  // The scheduled time names the run, so a retried delivery of the same run produces the same message ids.
  sync: { trigger: 'schedule', job: 'sync', scheduledTime: scheduler.ContextAttribute.scheduledTime },
  tokenRefresh: { trigger: 'schedule', job: 'token-refresh' },
} as const;

export class Schedules extends Construct {
  public readonly group: scheduler.ScheduleGroup;
  public readonly sync: scheduler.Schedule;
  public readonly tokenRefresh: scheduler.Schedule;
  public readonly deadLetterQueue: sqs.Queue;
  /** The scheduler's role: invokes the two functions, writes the dead-letter queue with its key. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    if (!Number.isInteger(props.syncEveryHours) || props.syncEveryHours < 1 || props.syncEveryHours > 24) {
      throw new Error(`syncEveryHours must be a whole number from 1 to 24, got ${props.syncEveryHours}`);
    }
    const timeWindow = scheduler.TimeWindow.flexible(props.flexibleWindow ?? Duration.minutes(15));

    // A group of our own gives the AWS/Scheduler metrics a ScheduleGroup dimension for our schedules only.
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.role = this.schedulerRole();
    this.deadLetterQueue.grantSendMessages(this.role);
    const retry = {
      deadLetterQueue: this.deadLetterQueue,
      maxEventAge: Duration.hours(1),
      retryAttempts: 3,
      role: this.role,
    };

    this.sync = new scheduler.Schedule(this, 'Sync', {
      description: `zepp-lake: sync every user every ${props.syncEveryHours} h`,
      scheduleGroup: this.group,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(props.syncEveryHours)),
      timeWindow,
      target: new targets.LambdaInvoke(props.dispatcher, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULE_INPUT.sync),
        ...retry,
      }),
    });

    this.tokenRefresh = new scheduler.Schedule(this, 'TokenRefresh', {
      description: 'zepp-lake: refresh vendor tokens before they expire',
      scheduleGroup: this.group,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
      timeWindow,
      target: new targets.LambdaInvoke(props.tokenRefresher, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULE_INPUT.tokenRefresh),
        ...retry,
      }),
    });
  }

  private schedulerRole(): iam.Role {
    // One role for both targets, made here so that it can be granted the dead-letter queue's KMS key: the role
    // LambdaInvoke would create gets sqs:SendMessage only, and a KMS-encrypted queue refuses a sender that cannot
    // use the key, so a failed invocation would be lost instead of parked. Trusted only by this account's
    // scheduler, for this schedule group (the confused-deputy conditions the generated role carries).
    return new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.group.scheduleGroupArn,
          },
        },
      }),
      description: 'zepp-lake: EventBridge Scheduler invokes the dispatcher and the token refresher',
    });
  }
}
