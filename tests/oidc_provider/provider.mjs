// A real OpenID provider (node's oidc-provider, OpenID certified) on loopback
// for the sign-in tests. tests/oidc_provider.py starts it once per test session.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS and
// POST_LOGOUT_REDIRECT_URIS (comma-separated).
//
// The tests steer it through /__test__/ on the same port (loopback only):
//   PUT /__test__/accounts/<login>  {"name": ..., "groups": [...]}  who may sign in
//   PUT /__test__/fault             {"fault": "wrong-audience" | "short-code" | ""}
// A fault is what a provider or an attacker could do and the client must refuse:
// an ID token issued to another client, an authorization code that expires in
// a second.
import { createServer } from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.CLIENT_ID;
const list = (name) => (process.env[name] || '').split(',').filter(Boolean);

const accounts = new Map();
let fault = '';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: list('REDIRECT_URIS'),
      post_logout_redirect_uris: list('POST_LOGOUT_REDIRECT_URIS'),
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  // Every client must send a PKCE challenge: a sign-in that succeeds proves the app sends one.
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  ttl: { AuthorizationCode: () => (fault === 'short-code' ? 1 : 60) },
  cookies: { keys: ['test-only-cookie-key'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const [given, ...family] = (account.name || id).split(' ');
        return {
          sub: id,
          email: `${id}@kommune.example`,
          email_verified: true,
          name: account.name || id,
          given_name: given,
          family_name: family.join(' '),
          preferred_username: id,
          groups: account.groups || [],
        };
      },
    };
  },
});

// The "wrong-audience" fault: the ID token the token endpoint returns is
// re-signed for another client, as if one issued to another app were replayed.
provider.use(async (ctx, next) => {
  await next();
  if (fault !== 'wrong-audience' || ctx.path !== '/token' || ctx.status !== 200) return;
  const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
  if (!body || !body.id_token) return;
  const claims = jose.decodeJwt(body.id_token);
  body.id_token = await new jose.SignJWT({ ...claims, aud: 'another-client' })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .sign(privateKey);
  ctx.body = body;
});

const callback = provider.callback();

function readJson(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data ? JSON.parse(data) : {}));
  });
}

createServer(async (req, res) => {
  if (req.url.startsWith('/__test__/')) {
    const body = await readJson(req);
    if (req.url === '/__test__/fault') {
      fault = body.fault || '';
    } else if (req.url.startsWith('/__test__/accounts/')) {
      accounts.set(decodeURIComponent(req.url.slice('/__test__/accounts/'.length)), body);
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(204).end();
    return;
  }
  callback(req, res);
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
