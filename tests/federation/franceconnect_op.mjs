// A test FranceConnect: the certified Node.js `oidc-provider` (npm) on a loopback port.
//
// Started by tests/federation/conftest.py with one argument, a JSON file:
//   {issuer, port, moduleDir, client: {client_id, client_secret, redirect_uris,
//    post_logout_redirect_uris}, jwks: {keys: [private JWK]}, users: {login: {claims}}}
// `moduleDir` holds node_modules/oidc-provider (installed by the fixture into a cache).
// Like FranceConnect: claim-named scopes, acr eidas1, PKCE S256, client_secret_post, the
// end-session endpoint. The login page is ours (a login of the test users, no password); the
// consent is given at once (loadExistingGrant), as FranceConnect's is implied; the sign-out
// page submits itself (FranceConnect ends its session without asking).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const entry = path.join(config.moduleDir, 'node_modules', 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(entry).href);

const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'email'];
const claims = { openid: ['sub'] };
for (const name of PIVOT) claims[name] = [name];

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(config.issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: config.jwks,
  scopes: ['openid', ...PIVOT],
  claims,
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  pkce: { methods: ['S256'], required: () => true },
  cookies: { keys: ['preau-test-op-cookie-key'] },
  findAccount: async (ctx, id) => {
    const user = config.users[id];
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...user }) };
  },
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(['openid', ...PIVOT].join(' '));
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        const yes = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
        ctx.body = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title></head>
<body><main>${yes}<button type="submit" form="op.logoutForm">Se déconnecter de FranceConnect</button>
<script>document.getElementById('op.logoutForm').submit()</script></main></body></html>`;
      },
    },
  },
});
provider.proxy = false;

function page(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>FranceConnect (test)</title></head><body><main>${body}</main></body></html>`);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res) {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== match[1]) return page(res, 400, 'bad interaction');
  if (req.method === 'POST' && match[2]) {
    const login = (await readForm(req)).get('login') || '';
    if (!config.users[login]) return page(res, 401, '<p id="op-error">Utilisateur inconnu</p>');
    return provider.interactionFinished(
      req, res, { login: { accountId: login, acr: 'eidas1' } }, { mergeWithLastSubmission: false },
    );
  }
  return page(res, 200, `<h1>FranceConnect de test</h1>
<form method="post" action="/interaction/${escape(details.uid)}/login">
<label for="op-login">Utilisateur</label> <input id="op-login" name="login" autocomplete="off">
<button type="submit" id="op-submit">Continuer</button></form>`);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => page(res, 500, escape(err.message)));
  } else {
    callback(req, res);
  }
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${config.port}\n`);
});
