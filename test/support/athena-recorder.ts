// A small HTTP server on 127.0.0.1 that speaks the part of Athena's JSON protocol (`x-amz-json-1.1`, operation in
// the `X-Amz-Target` header) that a query needs: StartQueryExecution, GetQueryExecution, GetQueryResults (paged,
// the header row first, as Athena sends it) and StopQueryExecution. It records every request and answers from a
// script the test sets, so the test sees exactly what a client sends to Athena and how it reads the answers.
// It is not Athena: it runs no SQL, and what it answers is what the test wrote.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AthenaState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface AthenaScript {
  /** What GetQueryExecution answers, call after call; the last one repeats. Default: SUCCEEDED. */
  states?: AthenaState[];
  /** StateChangeReason of FAILED / CANCELLED. */
  reason?: string;
  columns: { name: string; type: string }[];
  /** Cells as Athena sends them: text, or null for SQL NULL (no VarCharValue). */
  rows: (string | null)[][];
  scannedBytes?: number;
}

export interface AthenaRequest {
  /** The operation, e.g. `StartQueryExecution`. */
  operation: string;
  body: Record<string, unknown>;
}

export interface AthenaRecorder {
  url: string;
  requests: AthenaRequest[];
  /** The answers for every query started from now on. */
  script(next: AthenaScript): void;
  close(): Promise<void>;
}

interface Execution {
  script: AthenaScript;
  polls: number;
  stopped: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

function stateOf(execution: Execution): AthenaState {
  if (execution.stopped) return 'CANCELLED';
  const states = execution.script.states ?? ['SUCCEEDED'];
  const state = states[Math.min(execution.polls, states.length - 1)] ?? 'SUCCEEDED';
  execution.polls++;
  return state;
}

function resultsPage(execution: Execution, body: Record<string, unknown>): unknown {
  const { columns, rows } = execution.script;
  const offset = Number(body.NextToken ?? 0);
  const max = Number(body.MaxResults ?? 1000);
  const header = offset === 0 ? [{ Data: columns.map((c) => ({ VarCharValue: c.name })) }] : [];
  const data = rows
    .slice(offset, offset + max - header.length)
    .map((row) => ({ Data: row.map((cell) => (cell === null ? {} : { VarCharValue: cell })) }));
  const next = offset + data.length;
  return {
    ResultSet: {
      Rows: [...header, ...data],
      ResultSetMetadata: {
        ColumnInfo: columns.map((c) => ({ CatalogName: 'hive', Name: c.name, Label: c.name, Type: c.type })),
      },
    },
    ...(next < rows.length ? { NextToken: String(next) } : {}),
    UpdateCount: 0,
  };
}

export async function startAthenaRecorder(): Promise<AthenaRecorder> {
  const requests: AthenaRequest[] = [];
  const executions = new Map<string, Execution>();
  let current: AthenaScript = { columns: [], rows: [] };

  const answer = (operation: string, body: Record<string, unknown>): [number, unknown] => {
    if (operation === 'StartQueryExecution') {
      const id = `query-${executions.size + 1}`;
      executions.set(id, { script: current, polls: 0, stopped: false });
      return [200, { QueryExecutionId: id }];
    }
    const execution = executions.get(String(body.QueryExecutionId));
    if (!execution) return [400, { __type: 'InvalidRequestException', Message: 'no such query execution' }];
    if (operation === 'StopQueryExecution') {
      execution.stopped = true;
      return [200, {}];
    }
    if (operation === 'GetQueryResults') return [200, resultsPage(execution, body)];
    if (operation !== 'GetQueryExecution') {
      return [400, { __type: 'InvalidRequestException', Message: `not recorded: ${operation}` }];
    }
    const state = stateOf(execution);
    const failed = state === 'FAILED' || state === 'CANCELLED';
    const reason = execution.stopped ? 'Query cancelled by user' : execution.script.reason;
    return [
      200,
      {
        QueryExecution: {
          QueryExecutionId: body.QueryExecutionId,
          Status: { State: state, ...(failed && reason ? { StateChangeReason: reason } : {}) },
          Statistics: { DataScannedInBytes: execution.script.scannedBytes ?? 0, EngineExecutionTimeInMillis: 12 },
        },
      },
    ];
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (text) => {
        const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonAthena\./, '');
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        requests.push({ operation, body });
        const [status, payload] = answer(operation, body);
        send(res, status, payload);
      },
      () => send(res, 500, { __type: 'InternalServerException', Message: 'could not read the request' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
