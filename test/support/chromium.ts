// Headless Chromium for the tests that open a page, from npm alone: the binary ships brotli-compressed inside
// @sparticuz/chromium and playwright-core drives it. No system path and no browser download is involved.
// The shared libraries the binary needs beyond glibc (NSS, NSPR, expat) come from the same package: it carries
// them for Amazon Linux 2023 (bin/al2023.tar.br) but unpacks them only on Lambda, so we unpack them ourselves
// into `lib/` and launch with LD_LIBRARY_PATH on it. A machine with Node (and Java) is enough.
//
// @sparticuz/chromium unpacks into os.tmpdir() and trusts whatever `chromium` file it finds there, so two test runs
// at once (or one killed half-way) could leave a truncated binary for every later run. We unpack into a fresh
// folder of our own and rename it into place: the versioned folder is complete or absent, never half-written.

import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium as playwright } from 'playwright-core';
import { extract } from 'tar-fs';

const require = createRequire(import.meta.url);
const CHROMIUM_PACKAGE = '@sparticuz/chromium';
/** The package exports no package.json: find it above its entry point. */
const PACKAGE_DIR = join(dirname(require.resolve(CHROMIUM_PACKAGE)), '..', '..');
const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')).version;

const ARGS = [
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--font-render-hinting=none',
];

/** What to do when the browser does not start, for the failing test's message. */
const HOW_TO_FIX =
  `run \`npm ci\` (it installs ${CHROMIUM_PACKAGE} ${PACKAGE_VERSION} and playwright-core: the browser and the ` +
  'libraries it needs are inside the package); the binary is for Linux x64';

/** Where the package's own binary is, by the name its executablePath() gave, kept beside it in the folder. */
const BINARY_NAME_FILE = 'binary-name';

interface UnpackedChromium {
  dir: string;
  /** The package's binary, as unpacked from its `bin/chromium.br`: never one found on the machine. */
  binary: string;
}

let unpacked: Promise<UnpackedChromium> | undefined;

/** The folder holding the package's binary, its SwiftShader libraries and `fonts/`, unpacked once per version. */
function unpackedChromium(): Promise<UnpackedChromium> {
  unpacked ??= unpackOnce();
  return unpacked;
}

/** The unpacked folder when a complete one is in place (the name file is written before the rename). */
function readyIn(dir: string): UnpackedChromium | undefined {
  const nameFile = join(dir, BINARY_NAME_FILE);
  if (!existsSync(nameFile)) return undefined;
  const binary = join(dir, readFileSync(nameFile, 'utf8').trim());
  return existsSync(binary) ? { dir, binary } : undefined;
}

async function unpackOnce(): Promise<UnpackedChromium> {
  const dir = join(tmpdir(), `zepp-lake-chromium-${PACKAGE_VERSION}-with-libs-named`);
  const ready = readyIn(dir);
  if (ready) return ready;
  const staging = await mkdtemp(join(tmpdir(), `zepp-lake-chromium-${PACKAGE_VERSION}-unpacking-`));
  const savedTmpdir = process.env.TMPDIR;
  try {
    // The package's only say over where it unpacks is os.tmpdir(), which reads TMPDIR on every call.
    process.env.TMPDIR = staging;
    const { default: sparticuz } = await import(CHROMIUM_PACKAGE);
    await writeFile(join(staging, BINARY_NAME_FILE), basename(await sparticuz.executablePath()));
    // NSS, NSPR and expat, which the package unpacks only on Lambda: into lib/, for LD_LIBRARY_PATH.
    await pipeline(
      createReadStream(join(PACKAGE_DIR, 'bin', 'al2023.tar.br')),
      createBrotliDecompress(),
      extract(staging),
    );
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  }
  // Our own fontconfig file: the package's names fixed /tmp paths.
  await writeFile(
    join(staging, 'fonts.conf'),
    `<?xml version="1.0"?>\n<fontconfig><dir>${join(dir, 'fonts')}</dir><cachedir>${join(dir, 'fonts-cache')}</cachedir></fontconfig>\n`,
  );
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another run renamed its copy into place first: use that one.
    await rm(staging, { recursive: true, force: true });
    const theirs = readyIn(dir);
    if (!theirs) throw error;
    return theirs;
  }
  const placed = readyIn(dir);
  if (!placed) throw new Error(`the unpacked browser is not complete in ${dir}`);
  return placed;
}

/** Launches headless Chromium, or fails with a message that says what to install. */
export async function launchChromium(): Promise<Browser> {
  try {
    const { dir, binary } = await unpackedChromium();
    return await playwright.launch({
      executablePath: binary,
      args: ARGS,
      env: {
        ...process.env,
        LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        FONTCONFIG_PATH: dir,
        FONTCONFIG_FILE: join(dir, 'fonts.conf'),
      },
    });
  } catch (error) {
    throw new Error(`headless Chromium did not start: ${HOW_TO_FIX}. Cause: ${String(error)}`, { cause: error });
  }
}
