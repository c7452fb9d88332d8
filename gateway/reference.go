package gateway

// WithReferenceExecutor executes operations with gqlgen's field-by-field executor; the engine's oracle
// in differential tests (e2e/differential_test.go). Not for production: it is the slow path the engine
// replaces.
func WithReferenceExecutor() Option { return func(o *options) { o.reference = true } }
