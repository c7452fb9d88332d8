package demo

// SeenHeaders returns, for each instance of service in index order, the X-… and Authorization
// headers (gRPC: metadata) of the last call it served; nil for an unknown service. Tests use it to
// check what the gateway told a service about the caller.
func (c *Cluster) SeenHeaders(service string) []map[string][]string {
	list := c.instances[service]
	if list == nil {
		return nil
	}
	out := make([]map[string][]string, len(list))
	for i, in := range list {
		out[i] = in.state.SeenHeaders()
	}
	return out
}
