package main

import (
	"log/slog"
	"math"

	"github.com/trellisgw/trellis/internal/gctune"
)

// applyRuntime sets the garbage collector's knobs from the config's runtime section (the environment's
// GOGC and GOMEMLIMIT win) and logs what is in force.
func applyRuntime(cfg gctune.Config, log *slog.Logger) {
	s := gctune.Apply(cfg, gctune.CgroupLimit(), gctune.MachineMemory())
	limit := "none"
	if s.MemoryLimit != math.MaxInt64 {
		limit = slog.Int64Value(s.MemoryLimit).String()
	}
	log.Info("gateway: garbage collector",
		slog.Int("gc_percent", s.GCPercent), slog.Bool("gc_percent_from_env", s.GCPercentEnv),
		slog.String("memory_limit_bytes", limit), slog.String("memory_limit_from", s.LimitFrom))
}
