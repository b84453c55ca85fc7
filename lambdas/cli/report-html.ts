// `zepp-lake report`: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) with the
// charts of each person in the lake. The numbers come from the named Athena queries in athena/queries/, run on
// DuckDB: each runs once into a temporary table, which every person's charts then filter and aggregate in SQL,
// so the page holds only what is drawn (daily charts of at most 365 days, 30 nights of stages, 30 workouts
// listed, 6 tracks of at most 500 points).

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDate } from '../core/time.ts';
import { openLakeDb } from '../stores/duckdb-query.ts';
import { QUERIES_DIR } from './query-command.ts';
import { queryUserRows, REPORT_QUERIES, ReportData, type UserSpan, usersOf } from './report-queries.ts';
import { escapeHtml } from './report-svg.ts';
import { renderUserSection } from './report-user-section.ts';

export interface HtmlReportOptions {
  /** A lake folder DuckDB can read (`tables/` below it). */
  lakeDir: string;
  /** Folder of the named queries (`<name>.sql`); default athena/queries. */
  queriesDir?: string;
  /** Only this person; default everyone in the lake. */
  userId?: string;
  /** First day of the period (YYYY-MM-DD); default the person's first day. */
  from?: string;
  /** Last day of the period; default the person's last day with data. */
  to?: string;
  title?: string;
  /** Printed as the time the page was made; default now. */
  generatedAt?: Date;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:1010px;margin:0 auto;padding:0 16px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 10px;padding-top:8px;border-top:2px solid #d1d5db}
h3{font-size:15px;margin:0 0 2px}
.sub{color:#6b7280;margin:0 0 10px}
nav{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 0}
nav a{background:#fff;border:1px solid #d1d5db;border-radius:999px;padding:3px 12px;color:#1d4ed8;text-decoration:none}
nav a:hover{background:#eff6ff}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.note{color:#6b7280;margin:0 0 8px;font-size:12.5px}
.card svg.chart{display:block;max-width:100%;height:auto}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:0}
.stats div{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:6px 12px}
.stats dt{color:#6b7280;font-size:12px}
.stats dd{margin:0;font-weight:600;font-size:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #f0f1f3;text-align:left;white-space:nowrap}
th{color:#6b7280;font-weight:600;border-bottom:1px solid #d1d5db}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.types{width:auto;margin-bottom:12px}
.tracks{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
figure{margin:0}
figcaption{font-size:12px;color:#4b5563;margin-top:4px}
.empty{color:#6b7280;font-style:italic}
footer{color:#6b7280;font-size:12px;padding:24px 16px 40px}
`;

/** The whole page; see the file comment. */
export async function buildHtmlReport(opts: HtmlReportOptions): Promise<string> {
  for (const d of [opts.from, opts.to]) if (d !== undefined) parseDate(d);
  const db = await openLakeDb(opts.lakeDir);
  let sections: string[];
  let users: UserSpan[];
  try {
    const data = new ReportData(db, opts.queriesDir ?? QUERIES_DIR);
    users = await usersOf(data, opts.userId);
    sections = [];
    for (const user of users) sections.push(renderUserSection(await queryUserRows(data, user, opts), user));
  } finally {
    db.close();
  }
  const title = opts.title ?? 'zepp-lake report';
  const generated = (opts.generatedAt ?? new Date()).toISOString().slice(0, 16).replace('T', ' ');
  const nav = users.map((u) => `<a href="#user-${escapeHtml(u.userId)}">User ${escapeHtml(u.userId)}</a>`).join('');
  const body = sections.length
    ? sections.join('\n')
    : `<p class="empty">${escapeHtml(
        opts.userId === undefined
          ? 'The lake has no data yet: run `zepp-lake sync` first.'
          : `The lake has no data for user ${opts.userId}.`,
      )}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(`${users.length} ${users.length === 1 ? 'person' : 'people'} · made ${generated} UTC from the Parquet lake with the named Athena queries on DuckDB`)}</p>
<nav>${nav}</nav>
</header>
<main>
${body}
</main>
<footer>Queries: ${REPORT_QUERIES.map((q) => `athena/queries/${q}.sql`).join(', ')}. Everything on this page is in this one file: it loads nothing.</footer>
</body>
</html>
`;
}

/** Builds the page and writes it to `out` (folders created); returns the file's absolute path. */
export async function writeHtmlReport(opts: HtmlReportOptions & { out: string }): Promise<string> {
  const html = await buildHtmlReport(opts);
  const path = resolve(opts.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  return path;
}
