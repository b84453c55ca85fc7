// The small HTTP pieces the huami-open simulator's routes share: an answer as data, and how it is written.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route answers; written by `send`. No body: an empty one. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the log should say about a request beyond its status. */
export interface RequestNote {
  truncated?: boolean;
}

export const answer = (status: number, body?: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body,
  headers,
});

export const NOT_FOUND: Answer = { status: 404, body: { code: -2001, message: 'Not found' } };

/** Writes the answer as JSON and gives back its status (for the request log). */
export function send(res: ServerResponse, a: Answer): number {
  const text = a.body === undefined ? '' : JSON.stringify(a.body);
  res.writeHead(a.status, { 'content-type': 'application/json;charset=UTF-8', ...(a.headers ?? {}) });
  res.end(text);
  return a.status;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The token of an `Authorization: Bearer ...` header, if there is one. */
export const bearerOf = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
