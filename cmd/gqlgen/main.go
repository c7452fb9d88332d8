// Command gqlgen runs gqlgen's code generation (`make generate`) with the Trellis plugin that writes the
// execution engine's bindings (graph/engine/enginegen). It reads gqlgen.yml like the stock command.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"

	"github.com/trellisgw/trellis/graph/engine/enginegen"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen: failed to load config:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(enginegen.New())); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(3)
	}
}
