// The OAuth2 side of the huami-open simulator (reference §2.4): authorization codes, access and refresh
// tokens, consent withdrawal. Every refresh rotates the refresh token (the strictest reading of RFC 6749 §6,
// see sim/README.md); the access token issued with it can be retired at the refresh when so configured.

import { randomBytes } from 'node:crypto';
import { type Answer, answer, bearerOf } from './http.ts';

export interface TokenGrant {
  userId: string;
  clientId: string;
  expiresAt: number;
}

export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  accessLifetimeMs: number;
  retireAccessTokenOnRefresh: boolean;
}

interface CodeGrant {
  userId: string;
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

const INVALID_GRANT: Answer = { status: 400, body: { error: 'invalid_grant' } };

export class OAuthServer {
  private readonly codes = new Map<string, CodeGrant>();
  private readonly accessTokens = new Map<string, TokenGrant>();
  /** Live refresh tokens; each remembers the access token issued with it (retired with it when so configured). */
  private readonly refreshTokens = new Map<string, { userId: string; clientId: string; accessToken: string }>();
  private readonly revoked = new Set<string>();
  private readonly minted: string[] = [];

  constructor(private readonly config: OAuthConfig) {}

  /** Every authorization code, access token and refresh token minted so far. */
  mintedSecrets(): string[] {
    return [...this.minted];
  }

  /** The code the browser's redirect would carry; consenting again restores access. */
  authorize(userId: string, params: { clientId: string; redirectUri: string }): string {
    if (params.clientId !== this.config.clientId) throw new Error('unknown client_id');
    this.revoked.delete(userId);
    const code = randomBytes(12).toString('hex');
    this.minted.push(code);
    this.codes.set(code, {
      userId,
      clientId: params.clientId,
      redirectUri: params.redirectUri,
      expiresAt: Date.now() + 300_000,
    });
    return code;
  }

  /** POST /oauth2/access_token and /oauth2/refresh_token, given the form and the Authorization header. */
  token(form: URLSearchParams, authorization: string | undefined, path: string): Answer {
    if (form.get('client_id') !== this.config.clientId || form.get('client_secret') !== this.config.clientSecret) {
      return answer(401, { error: 'invalid_client' });
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' && path === '/oauth2/access_token') return this.redeemCode(form);
    if (grant === 'refresh_token') return this.refresh(form.get('refresh_token') ?? bearerOf(authorization) ?? '');
    return answer(400, { code: -1001, message: 'Error parameter' });
  }

  private redeemCode(form: URLSearchParams): Answer {
    const code = form.get('code') ?? '';
    const entry = this.codes.get(code);
    this.codes.delete(code); // single use
    if (!entry || entry.expiresAt < Date.now() || entry.redirectUri !== form.get('redirect_uri')) {
      return INVALID_GRANT;
    }
    if (this.revoked.has(entry.userId)) return INVALID_GRANT;
    return answer(200, this.issueTokens(entry.userId, entry.clientId));
  }

  private refresh(refresh: string): Answer {
    const entry = this.refreshTokens.get(refresh);
    if (!entry || this.revoked.has(entry.userId)) return INVALID_GRANT;
    // Rotation: the refresh token used is superseded now; a second use of it answers invalid_grant.
    this.refreshTokens.delete(refresh);
    if (this.config.retireAccessTokenOnRefresh) this.accessTokens.delete(entry.accessToken);
    return answer(200, this.issueTokens(entry.userId, entry.clientId));
  }

  private newToken(): string {
    const value = randomBytes(24).toString('base64');
    this.minted.push(value);
    return value;
  }

  private issueTokens(userId: string, clientId: string) {
    const accessToken = this.newToken();
    const lifetimeMs = this.config.accessLifetimeMs;
    this.accessTokens.set(accessToken, { userId, clientId, expiresAt: Date.now() + lifetimeMs });
    const refresh = this.newToken();
    this.refreshTokens.set(refresh, { userId, clientId, accessToken });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: Math.round(lifetimeMs / 1000),
      refresh_token: refresh,
    };
  }

  /** The grant of a Bearer header's access token, expired or not; undefined for an unknown one. */
  grantOf(authorization: string | undefined): TokenGrant | undefined {
    const bearer = bearerOf(authorization);
    return bearer ? this.accessTokens.get(bearer) : undefined;
  }

  isRevoked(userId: string): boolean {
    return this.revoked.has(userId);
  }

  /** POST /oauth2/verify: what the token grants, or 401 for an unknown, expired or withdrawn one. */
  verify(authorization: string | undefined): Answer {
    const grant = this.grantOf(authorization);
    if (!grant || grant.expiresAt <= Date.now() || this.revoked.has(grant.userId)) {
      return answer(401, { code: 0, message: 'invalid token' });
    }
    return answer(200, {
      userId: grant.userId,
      clientId: grant.clientId,
      scope: 'profile;activity;sleep;heartrate;motion;sport;sportDetail',
      scopeObjects: null,
      scopeProperties: null,
      expireAt: Math.floor(grant.expiresAt / 1000),
      region: null,
      thirdpartyId: null,
      thirdpartyName: null,
    });
  }

  revokeConsent(userId: string): void {
    this.revoked.add(userId);
    for (const [token, grant] of this.accessTokens) if (grant.userId === userId) this.accessTokens.delete(token);
    for (const [token, grant] of this.refreshTokens) if (grant.userId === userId) this.refreshTokens.delete(token);
  }

  expireAccessTokens(userId?: string): void {
    for (const grant of this.accessTokens.values()) if (!userId || grant.userId === userId) grant.expiresAt = 0;
  }

  /** The tokens of a user the vendor accepts now: unexpired access tokens and unsuperseded refresh tokens. */
  liveTokens(userId: string): { accessTokens: string[]; refreshTokens: string[] } {
    const now = Date.now();
    const live = this.revoked.has(userId) ? [] : [userId];
    return {
      accessTokens: [...this.accessTokens]
        .filter(([, g]) => live.includes(g.userId) && g.expiresAt > now)
        .map(([t]) => t),
      refreshTokens: [...this.refreshTokens].filter(([, g]) => live.includes(g.userId)).map(([t]) => t),
    };
  }
}
