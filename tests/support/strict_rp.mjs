// A strict OpenID Connect relying party: openid-client 6 (panva), unmodified, driven by a test over stdin/stdout.
//
// openid-client validates what Authlib lets pass: the discovery document's issuer against the URL it was fetched
// for, the RFC 9207 `iss` of the authorization response against that issuer, state, PKCE, the id_token's
// signature (JWKS), iss, aud, azp, exp, iat, nonce, auth_time against max_age, and userinfo's sub against the
// id_token's. The only option used is allowInsecureRequests, because the live test server speaks plain http.
//
// Protocol, one JSON object per line:
//   argv: <issuer> <client_id> <client_secret> <redirect_uri> <scope>
//   out:  {"authorization_url": "..."}          the test sends its person there (passkey login, consent)
//   in:   {"callback_url": "..."}                where the person was sent back to
//   out:  {"access_token": "<after refresh>", "id_token": {...}, "userinfo": {...}, "refreshed": {<id_token claims
//          of the refresh>}, "forged_iss_refused": "<openid-client's error code>"}
//   or:   {"error": "...", "code": "..."} and exit status 1
import * as client from "openid-client";
import * as readline from "node:readline";

const [issuer, clientId, clientSecret, redirectUri, scope] = process.argv.slice(2);
const MAX_AGE = 600;

const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));
const say = (message) => process.stdout.write(JSON.stringify(message) + "\n");

async function main() {
  const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
    max_age: String(MAX_AGE),
  });
  say({ authorization_url: authorizationUrl.href });

  const { callback_url: callbackUrl } = JSON.parse(await nextLine());
  const checks = { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, maxAge: MAX_AGE };

  // Before redeeming the code: the same response with the bare origin as `iss` (what the server used to send)
  // must be refused by the client itself, which is what made such platforms unable to sign anyone in.
  const forged = new URL(callbackUrl);
  forged.searchParams.set("iss", new URL(issuer).origin);
  let forgedIssRefused = null;
  try {
    await client.authorizationCodeGrant(config, forged, checks);
  } catch (error) {
    forgedIssRefused = error.code ?? error.name;
  }

  const tokens = await client.authorizationCodeGrant(config, new URL(callbackUrl), checks);
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshedTokens = await client.refreshTokenGrant(config, tokens.refresh_token);
  say({
    access_token: refreshedTokens.access_token,
    id_token: claims,
    userinfo,
    refreshed: refreshedTokens.claims() ?? null,
    forged_iss_refused: forgedIssRefused,
  });
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    say({ error: String(error?.message ?? error), code: error?.code ?? null, cause: String(error?.cause ?? "") });
    process.exit(1);
  });
