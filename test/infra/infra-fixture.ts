// Shared set-up of the infra tests: the app exactly as bin/app.ts composes it, with cdk.json's context (feature
// flags included) and per-test overrides. Asset bundling and the built-in CloudFormation schema validation are
// skipped here (each costs seconds); synth.test.ts runs the real `cdk synth` with both.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { composeApp, type ZeppLakeApp } from '../../bin/app.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The `context` of cdk.json: configuration defaults and feature flags. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'),
).context;

export function newTestApp(context: Readonly<Record<string, unknown>> = {}): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'zepp-lake-cdk-')),
  });
}

/** The composed zepp-lake app (storage + ingest + cdk-nag) for the given context overrides. */
export function composeTestApp(context: Readonly<Record<string, unknown>> = {}): ZeppLakeApp & { app: App } {
  const app = newTestApp(context);
  return { app, ...composeApp(app) };
}

type Json = Record<string, unknown>;

/** Every IAM policy statement in a template, with the logical id of the policy that holds it. */
export function policyStatements(template: { toJSON(): Json }): { policy: string; statement: Json }[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, r]) =>
      ((r.Properties.PolicyDocument as { Statement: Json[] }).Statement ?? []).map((statement) => ({
        policy,
        statement,
      })),
    );
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
