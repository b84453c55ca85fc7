// Global test setup: starts the real local stand-ins (S3, DynamoDB, Secrets Manager) once per run and
// stops them by their own handles. Filled in by the AWS runtime work; empty stand-ins list until then.
export async function setup(): Promise<void> {}
export async function teardown(): Promise<void> {}
