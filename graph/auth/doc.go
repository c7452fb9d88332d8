// Package auth authenticates the gateway's callers, authorizes the fields they ask for, and decides
// what upstream services are told about them.
//
// # Authentication
//
// Authenticator.Middleware runs before the GraphQL executor. A request without credentials is
// anonymous. A bearer token (JWT) is verified with lestrrat-go/jwx: its alg must be on the allowlist
// (RS256, ES256, EdDSA, HS256; never "none"); HS256 is checked only against the configured secret and
// the others only against the key of the token's kid in the JWKS, of the type the algorithm needs, so
// an HMAC keyed with a public key never verifies; exp (required), nbf and iat are checked with a
// leeway, and iss and aud when configured. The JWKS is fetched on first use, again when older than
// jwks_refresh, and when a token names an unknown kid (key rotation), but at most once per
// jwks_min_refresh. API keys are looked up by their SHA-256. Any invalid credential gets 401 with an
// RFC 6750 challenge and UNAUTHENTICATED, and nothing executes. A verified caller goes into
// graph/identity, and what each upstream receives about it into upstreams/outbound.
//
// # Authorization
//
// Rules read the directives of schema/auth.graphqls once, when the gateway is assembled, and enforce
// them in a gqlgen field interceptor before each field's resolver runs: @authenticated,
// @requiresScopes (OR of ANDs) and @owner (the user whose id is a field of the parent object, or the
// admin scope). A refused field is null with an error at its path and costs no upstream call. The
// directives are skip_runtime in gqlgen.yml: no generated directive code runs.
//
// # Secrets
//
// Tokens, keys and secrets never reach logs, error messages or metrics: secrets are secret.Secret, which prints redacted,
// rejections log only a reason and the library's error, and metric attributes are small fixed sets.
package auth
