// The option values the command line refuses before it does anything: a --host that would send tokens in clear,
// --lake / --home paths that reach outside what was named, a lake inside the home folder, bad bucket names.

import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOption, folderOption, hostOption } from '../../lambdas/cli/option-parsers.ts';
import { bucketNameProblem, checkLocalFolders, OptionValueError } from '../../lambdas/runtime/local.ts';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('the value was accepted');
}

describe('--host', () => {
  it('accepts https:// anywhere and http:// only on this machine', () => {
    for (const url of [
      'https://api-mifit-de2.huami.com',
      'https://api-mifit.zepp.com/',
      'http://127.0.0.1:8080',
      'http://localhost:3000/base',
      'http://LOCALHOST',
      'http://[::1]:9000',
    ]) {
      expect(hostOption(url)).toBe(url);
    }
  });

  it('refuses plain http:// to any other host, naming the https:// URL to use', () => {
    expect(refusal(() => hostOption('http://api-mifit-de2.huami.com'))).toContain(
      'use https://api-mifit-de2.huami.com (',
    );
    expect(refusal(() => hostOption('http://10.0.0.5:8080/api'))).toContain('use https://10.0.0.5:8080/api');
    for (const url of ['http://127.0.0.2', 'http://localhost.example.com', 'http://0.0.0.0:80']) {
      expect(
        refusal(() => hostOption(url)),
        url,
      ).toMatch(/plain http:\/\/ would send your tokens unencrypted/);
    }
  });

  it('refuses what is not an https URL, and a URL carrying a user name or password', () => {
    expect(refusal(() => hostOption('api-mifit-de2.huami.com'))).toContain('https://api-mifit-de2.huami.com');
    expect(refusal(() => hostOption('ftp://x.example'))).toContain('https://');
    const withPassword = refusal(() => hostOption('https://me:secret@api.example.com'));
    expect(withPassword).toContain('without a user name or password: https://api.example.com');
    expect(withPassword).not.toContain('secret');
  });
});

describe('--lake and --home', () => {
  it('accepts ordinary folders, relative or absolute', () => {
    for (const path of ['./lake', 'lake', '.zepp-lake', '/data/zepp/lake', join(homedir(), 'zepp', 'lake'), 'a..b']) {
      expect(folderOption(path)).toBe(path);
    }
  });

  it('refuses .. segments, naming the folder they really point at', () => {
    expect(refusal(() => folderOption('../lake'))).toMatch(/has a "\.\." segment/);
    expect(refusal(() => folderOption('/data/zepp/../../etc'))).toContain('(/etc)');
    expect(refusal(() => folderOption('lake\\..\\..\\x'))).toMatch(/"\.\." segment/);
  });

  it('refuses a ~ the shell did not expand, the root folder and the home folder itself', () => {
    expect(refusal(() => folderOption('~'))).toContain('did not expand');
    expect(refusal(() => folderOption('~/lake'))).toContain(`e.g. ${homedir()}/lake`);
    expect(refusal(() => folderOption('/'))).toContain('root folder');
    expect(refusal(() => folderOption(homedir()))).toContain('your home folder itself');
    expect(refusal(() => folderOption(`${homedir()}/`))).toContain('your home folder itself');
    expect(refusal(() => folderOption('  '))).toContain('folder path');
  });

  describe('the lake and the home folder together', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'zepp-lake-folders-'));
      await mkdir(join(dir, 'home'), { recursive: true });
      await symlink(join(dir, 'home'), join(dir, 'link-to-home'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('accepts separate folders, the home folder inside the lake included', () => {
      expect(() => checkLocalFolders(join(dir, 'lake'), join(dir, 'home'))).not.toThrow();
      expect(() => checkLocalFolders(join(dir, 'lake'), join(dir, 'lake-home'))).not.toThrow();
      expect(() => checkLocalFolders(join(dir, 'lake'), join(dir, 'lake', '.zepp-lake'))).not.toThrow();
    });

    it('refuses the lake equal to the home folder or inside it, also through a symbolic link', () => {
      const refused = (lake: string, home: string) => {
        try {
          checkLocalFolders(lake, home);
        } catch (err) {
          expect(err).toBeInstanceOf(OptionValueError);
          expect((err as Error).name).toBe('OptionValueError');
          return (err as Error).message;
        }
        throw new Error('accepted');
      };
      expect(refused(join(dir, 'home'), join(dir, 'home'))).toContain('is the home folder');
      expect(refused(join(dir, 'home', 'lake'), join(dir, 'home'))).toContain('is inside the home folder');
      expect(refused(join(dir, 'link-to-home', 'lake'), join(dir, 'home'))).toContain('is inside the home folder');
      expect(refused(join(dir, 'home', 'lake'), join(dir, 'home'))).toContain('--lake ./lake --home ./.zepp-lake');
    });
  });
});

describe('--bucket', () => {
  it('accepts valid S3 bucket names', () => {
    for (const name of ['zepp-lake-prod-lakebucket-1a2b3c', 'abc', 'my.bucket.name', 'a'.repeat(63), '123-data']) {
      expect(bucketNameProblem(name), name).toBeUndefined();
      expect(bucketOption(name)).toBe(name);
    }
  });

  it('refuses names S3 does not allow, saying which rule', () => {
    const cases: [string, RegExp][] = [
      ['..', /3 to 63 characters/],
      ['ab', /3 to 63 characters/],
      ['a'.repeat(64), /3 to 63 characters/],
      ['My-Bucket', /lowercase letters/],
      ['-bucket', /starts and ends with a letter or digit/],
      ['bucket-', /starts and ends/],
      ['my_bucket', /lowercase letters, digits/],
      ['a/b/c', /lowercase letters, digits/],
      ['my..bucket', /no two dots in a row/],
      ['192.168.5.4', /not an IP address/],
      ['xn--bucket', /reserved "xn--"/],
      ['sthree-data', /reserved "sthree-"/],
      ['amzn-s3-demo-bucket', /reserved "amzn-s3-demo-"/],
      ['data-s3alias', /reserved "-s3alias"/],
      ['data--ol-s3', /reserved "--ol-s3"/],
      ['data.mrap', /reserved "\.mrap"/],
      ['data--x-s3', /reserved "--x-s3"/],
      ['data--table-s3', /reserved "--table-s3"/],
    ];
    for (const [name, rule] of cases) expect(bucketNameProblem(name), name).toMatch(rule);
    expect(refusal(() => bucketOption('s3://my-bucket/tables'))).toContain('give the name alone: my-bucket');
  });
});
