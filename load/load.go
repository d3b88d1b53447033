// Package load is presso's load generator: robot customers and robot
// baristas driving a server over its real HTTP API and SSE, like the
// original's OrderRobot and BaristaRobot, but measured.
package load

import (
	"context"
	"errors"
	"io"
)

// Run runs "presso load" with its command-line arguments.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return errors.New("presso load is not built yet")
}
