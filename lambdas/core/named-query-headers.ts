// The header of a named query file (athena/queries/*.sql): its leading `--` comment block may hold `-- name: ...`
// and `-- description: ...`; a value continues on the following comment lines that are indented (`--   more`).
// Read once here for the CDK named queries and the MCP server's tools, so both describe a query the same way.

/** Header values by lower-case key (`name`, `description`, ...) from the leading comment block of `text`. */
export function readNamedQueryHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let current: string | undefined;
  for (const line of text.trim().split(/\r?\n/)) {
    if (!line.startsWith('--')) break;
    const header = /^--\s?(\w+):\s*(.*)$/.exec(line);
    const continuation = /^--\s{2,}(\S.*)$/.exec(line);
    if (header?.[1] !== undefined) {
      current = header[1].toLowerCase();
      headers[current] = (header[2] ?? '').trim();
    } else if (continuation?.[1] !== undefined && current !== undefined) {
      headers[current] = `${headers[current]} ${continuation[1].trim()}`.trim();
    } else {
      current = undefined;
    }
  }
  return headers;
}

/** The SQL of a named query file without its leading comment block (the header): what runs. */
export function namedQueryBody(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  const first = lines.findIndex((line) => !line.startsWith('--'));
  return first < 0 ? '' : lines.slice(first).join('\n');
}
