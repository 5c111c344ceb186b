// What a CDR data recipient signs and checks, for the collection's scripts.
// Node's own crypto and fs only (no npm package): Bruno runs it in its "developer" sandbox.
//
// - clientAssertion: private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9),
//   used by every request of "2 Recipient client (private_key_jwt)".
// - requestObject + pkce: the signed authorization request pushed to PAR (RFC 9126, RFC 9101,
//   FAPI 1.0 Advanced §5.2.2) with its PKCE S256 challenge (RFC 7636).
// - jarmClaims: the verified claims of the bank's JARM response (the code comes inside it).
//
// Every value is read with bru.interpolate, so it comes from the environment, a runtime
// variable (set by an earlier request) or a `bru run --env-var` override alike.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const b64url = (data) => Buffer.from(data).toString("base64url");
const fromB64url = (text) => Buffer.from(text, "base64url");
// RSASSA-PSS with SHA-256 and a 32-byte salt is what "PS256" means (RFC 7518 §3.5).
const PSS = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };

function variable(bru, name) {
  const value = bru.interpolate(`{{${name}}}`);
  if (!value || value === `{{${name}}}`) throw new Error(`Set the variable ${name} (see README.md).`);
  return value;
}

/** A compact JWS of `claims`, signed PS256 with the recipient's private key (signing_key_file). */
function signPs256(bru, claims) {
  const keyFile = variable(bru, "signing_key_file");
  const pem = fs.readFileSync(path.resolve(bru.cwd(), keyFile)); // relative to the collection
  const header = { alg: "PS256" };
  const kid = bru.interpolate("{{signing_key_kid}}");
  if (kid && kid !== "{{signing_key_kid}}") header.kid = kid; // which key of the recipient's JWKS
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.sign("sha256", Buffer.from(input), { key: crypto.createPrivateKey(pem), ...PSS });
  return `${input}.${b64url(signature)}`;
}

/** private_key_jwt: iss = sub = client_id, aud = the bank's issuer, single use, 5 minutes. */
function clientAssertion(bru) {
  const clientId = variable(bru, "client_id");
  const iat = Math.floor(Date.now() / 1000);
  return signPs256(bru, {
    iss: clientId, sub: clientId, aud: variable(bru, "issuer"),
    jti: crypto.randomUUID(), iat, exp: iat + 300,
  });
}

/** PKCE S256: a fresh 256-bit verifier and its SHA-256 challenge. */
function pkce() {
  const verifier = b64url(crypto.randomBytes(32));
  return { verifier, challenge: b64url(crypto.createHash("sha256").update(verifier).digest()) };
}

/** The request object for PAR: the whole authorization request, signed by the recipient. */
function requestObject(bru, { codeChallenge, state, nonce }) {
  const clientId = variable(bru, "client_id");
  const now = Math.floor(Date.now() / 1000);
  return signPs256(bru, {
    iss: clientId, aud: variable(bru, "issuer"), client_id: clientId,
    iat: now, nbf: now, exp: now + 300, jti: crypto.randomUUID(),
    response_type: "code", response_mode: "jwt", // code flow with JARM, as CDS requires
    redirect_uri: variable(bru, "redirect_uri"), scope: variable(bru, "scope"),
    state, nonce, code_challenge: codeChallenge, code_challenge_method: "S256",
    claims: {
      sharing_duration: Number(variable(bru, "sharing_duration")), // seconds; 0 = once-off
      id_token: { acr: { essential: true, values: ["urn:cds.au:cdr:3"] } },
    },
  });
}

/**
 * The claims of the JARM response (the `response` parameter of the redirect, or the whole
 * redirect URL), after checking its signature against the bank's JWKS (`jwks`: the JSON
 * document), its issuer, audience (us) and expiry, and that `state` is the one we sent.
 */
function jarmClaims(bru, responseOrUrl, jwks) {
  const jwt = responseOrUrl.includes("?")
    ? new URL(responseOrUrl).searchParams.get("response") : responseOrUrl.trim();
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new Error("JARM: not a compact JWS");
  const [head, body, signature] = parts;
  const header = JSON.parse(fromB64url(head));
  const claims = JSON.parse(fromB64url(body));
  // The algorithm is ours to allow (PS256 or ES256), and the key must be of its type: an
  // ES256 header naming an RSA key would otherwise be checked as plain RS256.
  const keyType = { PS256: { kty: "RSA" }, ES256: { kty: "EC", crv: "P-256" } }[header.alg];
  if (!keyType || typeof header.kid !== "string") throw new Error("JARM: bad alg or no kid");
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error("JARM: no key with this kid in the bank's JWKS");
  if (jwk.kty !== keyType.kty || (keyType.crv && jwk.crv !== keyType.crv)
      || (jwk.use !== undefined && jwk.use !== "sig")) {
    throw new Error("JARM: the key is not a signing key for " + header.alg);
  }
  const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
  const input = Buffer.from(`${head}.${body}`);
  const valid = header.alg === "PS256"
    ? crypto.verify("sha256", input, { key, ...PSS }, fromB64url(signature))
    : crypto.verify("sha256", input, { key, dsaEncoding: "ieee-p1363" }, fromB64url(signature));
  if (!valid) throw new Error("JARM: bad signature");
  if (claims.iss !== variable(bru, "issuer") || claims.aud !== variable(bru, "client_id")) {
    throw new Error("JARM: not from our bank or not for us");
  }
  if (!Number.isFinite(claims.exp) || claims.exp <= Date.now() / 1000) {
    throw new Error("JARM: expired or no expiry");
  }
  if (claims.state !== variable(bru, "state")) throw new Error("JARM: answer to another request (state)");
  if (claims.error) throw new Error(`JARM: ${claims.error}: ${claims.error_description || ""}`);
  return claims;
}

module.exports = { clientAssertion, pkce, requestObject, jarmClaims, signPs256 };
