// Package ratelimit gives every client a budget of cost points: a token bucket per client (capacity
// and restore rate per second from the client's plan), charged the requested cost of an operation
// before it runs and refunded the difference once its actual cost is known.
//
// Clients are told apart by the caller in the request context (graph/identity): the API key's client
// id, else the signed-in user's id, else the client's IP address (the TCP peer, or the X-Forwarded-For
// entry left of the configured trusted proxies). A caller's plan (the API key's, or the token's plan
// claim) applies when the config defines it. ClientInfo puts the peer address and the response's
// header map in the context, so that the cost extension (graph/cost) can set RateLimit-Policy,
// RateLimit and Retry-After before the body is written.
//
// Buckets live in process (MemoryStore, the default) or in Redis (RedisStore: one atomic Lua script
// per decision, on Redis's clock, so that every gateway instance shares one budget per client). When
// Redis fails, Config.OnRedisError decides: "local" (the default) fails open onto an in-process
// bucket, "allow" lets every operation through, "deny" refuses with RATE_LIMITED; never a 5xx. The
// trellis.ratelimit.decisions metric counts allowed, limited and fail_open decisions, and a log line
// marks each change between Redis reachable and unreachable.
//
// Usage records points consumed and operations per client per interval, for billing: as metrics
// (trellis.ratelimit.points, trellis.ratelimit.operations, by plan, client kind and API-key client id,
// never by user id or address) and in full
// at GET /admin/usage (UsageHandler).
package ratelimit
